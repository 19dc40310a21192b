/**
 * The raw node:http server of baseline.http: GET /health with a small JSON body, nothing else. It is the
 * ceiling a framework on this machine is divided by, so it does no more work than the body needs.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HEALTH_BODY } from '../../services/gateway/health-body.ts'

/** Starts the raw server on loopback. */
export async function start(opts: { host: string; port: number }): Promise<{ port: number; close(): Promise<void> }> {
  const body = Buffer.from(HEALTH_BODY)
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length })
      res.end(body)
    } else {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' })
      res.end('{"error":{"code":"LUCID_ERR_1006","message":"Not found"}}')
    }
  })
  server.keepAliveTimeout = 72_000
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host, resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
