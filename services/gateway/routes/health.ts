/**
 * GET /health: HEALTH_BODY (../health-body.ts), the body of the raw baseline server (cases/baseline/http-server.ts),
 * byte for byte, sent as a prepared string (no serialisation per request) so the gateway and the raw
 * node:http server are compared on the same answer. Exempt from rate limits.
 *
 * GET /config: the conditions in effect (KDF cost, rate limits, load-test mode, database, chain), for
 * benchmarks and load runs to report beside their figures.
 */
import type { FastifyInstance } from 'fastify'
import { HEALTH_BODY } from '../health-body.ts'
import type { GatewayContext } from '../context.ts'
import { responses } from '../schemas.ts'

const HEALTH = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['healthy'] }, service: { type: 'string' } },
  required: ['status', 'service']
} as const

const CONFIG = {
  type: 'object',
  properties: {
    kdf: { type: 'string' },
    kdf_params: { type: 'object', properties: { N: { type: 'integer' }, r: { type: 'integer' }, p: { type: 'integer' } }, required: ['N', 'r', 'p'] },
    kdf_concurrency: { type: 'integer' },
    kdf_queue_limit: { type: 'integer' },
    rate_limits: { type: 'string' },
    load_test: { type: 'boolean' },
    db: { type: 'string' },
    chain: { type: 'string' },
    access_token_ttl_s: { type: 'integer' },
    refresh_token_ttl_s: { type: 'integer' },
    max_chunk_bytes: { type: 'integer' },
    durability: { type: 'string' }
  },
  required: [
    'kdf',
    'kdf_params',
    'kdf_concurrency',
    'kdf_queue_limit',
    'rate_limits',
    'load_test',
    'db',
    'chain',
    'access_token_ttl_s',
    'refresh_token_ttl_s',
    'max_chunk_bytes',
    'durability'
  ]
} as const

/** Registers /health and /config. */
export async function healthRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  app.get(
    '/health',
    {
      config: { rateLimit: false },
      schema: { tags: ['meta'], summary: 'Liveness; the same body as the raw baseline server', response: responses({ 200: HEALTH }) }
    },
    async (_req, reply) => reply.type('application/json; charset=utf-8').send(HEALTH_BODY)
  )

  app.get(
    '/config',
    {
      schema: { tags: ['meta'], summary: 'Conditions in effect: KDF cost, rate limits, load-test mode, database, chain', response: responses({ 200: CONFIG }) }
    },
    async () => ctx.conditions
  )
}
