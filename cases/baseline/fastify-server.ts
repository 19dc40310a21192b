/**
 * The bare fastify server of baseline.fastify: GET /health with the gateway's body and response schema,
 * sent as the gateway sends it (a prepared string), and nothing else: no logger, hooks, plugins, metrics or
 * limits. The gateway's /health divided by it is what the gateway's own features cost per request; divided
 * by baseline.http, what the framework does.
 */
import Fastify from 'fastify'
import type { AddressInfo } from 'node:net'
import { HEALTH_BODY } from '../../services/gateway/health-body.ts'

/** The response schema of the gateway's /health (routes/health.ts), so both serialise alike. */
const HEALTH = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['healthy'] }, service: { type: 'string' } },
  required: ['status', 'service']
} as const

/** Starts the bare fastify server on loopback. */
export async function start(opts: { host: string; port: number }): Promise<{ port: number; close(): Promise<void> }> {
  const app = Fastify({ logger: false, keepAliveTimeout: 72_000 })
  app.get('/health', { schema: { response: { 200: HEALTH } } }, async (_req, reply) => reply.type('application/json; charset=utf-8').send(HEALTH_BODY))
  await app.listen({ host: opts.host, port: opts.port })
  return {
    port: (app.server.address() as AddressInfo).port,
    close: async () => {
      app.server.closeAllConnections()
      await app.close()
    }
  }
}
