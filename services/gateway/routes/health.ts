/**
 * GET /health: HEALTH_BODY (../health-body.ts), the body of the raw baseline server (cases/baseline/http-server.ts),
 * byte for byte, sent as a prepared string (no serialisation per request) so the gateway and the raw
 * node:http server are compared on the same answer. Exempt from rate limits.
 *
 * GET /config: the conditions in effect (KDF cost, rate limits, load-test mode, database, chain), for
 * benchmarks and load runs to report beside their figures.
 */
import { HEALTH_BODY } from '../health-body.ts'
import type { GatewayContext } from '../context.ts'
import { type GatewayApp, responses } from '../schemas/common.ts'
import { CONFIG, HEALTH } from '../schemas/meta.ts'

/** Registers /health and /config. */
export async function healthRoutes(app: GatewayApp, ctx: GatewayContext): Promise<void> {
  // The body is HEALTH_BODY, a prepared string: the reply is that string, the schema documents it.
  app.get<{ Reply: string }>(
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
