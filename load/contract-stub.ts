/**
 * A minimal stand-in for the gateway that answers the load contract instantly (tokens, session ids, 202 for
 * anchors, 204 for deletes) and optionally records every request. It measures the load generator itself
 * (how many requests one generator core sustains, how much memory a simulated user costs) with the server
 * costing next to nothing, and it lets tests check what simulated users send.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One recorded request. */
export interface Recorded {
  method: string
  path: string
  body: unknown
  token?: string
}

/** Options of the stub. */
export interface StubOptions {
  /** Every login answers 401 LUCID_ERR_1004. */
  failLogin?: boolean
  /** Keep every request (tests); off for throughput runs. */
  record?: Recorded[]
}

/** Creates the stub server (not listening). */
export function createContractStub(opts: StubOptions = {}): Server {
  let n = 0
  return createServer((req, res) => {
    let raw = ''
    req.on('data', (d: Buffer) => {
      raw += d.toString()
    })
    req.on('end', () => {
      const body = raw === '' ? undefined : (JSON.parse(raw) as Record<string, unknown>)
      const auth = req.headers.authorization
      const path = req.url ?? '/'
      opts.record?.push({ method: req.method ?? '', path, body, ...(auth !== undefined ? { token: auth.replace(/^Bearer /, '') } : {}) })
      const send = (status: number, json?: unknown): void => {
        res.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' })
        res.end(json === undefined ? undefined : JSON.stringify(json))
      }
      if (path.endsWith('/login')) {
        if (opts.failLogin === true) {
          send(401, { error: { code: 'LUCID_ERR_1004', message: 'Invalid credentials' } })
          return
        }
        const token = `tok-${String(body?.username)}-${++n}`
        send(200, { token, access_token: token })
      } else if (req.method === 'POST' && path === '/sessions') send(201, { session_id: `sess-${++n}` })
      else if (req.method === 'DELETE') send(204)
      else if (path === '/chain/anchor') send(201, { receipt: 'r' })
      else send(200, { ok: true })
    })
  })
}

/** The harness's child-process entry (load/server-process.ts). */
export async function start(opts: { host: string; port: number; failLogin?: boolean }): Promise<{ port: number; close(): Promise<void> }> {
  const server = createContractStub({ ...(opts.failLogin === true ? { failLogin: true } : {}) })
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
