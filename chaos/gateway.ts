/**
 * What the HTTP suites (fuzz, overload) share: the gateway under test (started on loopback in its own
 * process with a data directory the suite owns, or a `--host`), whether its process is still alive,
 * and a small client that never throws on an answer and classifies what came back.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Pool, type Dispatcher } from 'undici'
import { startServerProcess } from '../load/server-process.ts'

const GATEWAY = new URL('../services/gateway/index.ts', import.meta.url).href

/** The gateway a suite drives. */
export interface GatewayUnderTest {
  readonly url: string
  /** Its process id when it runs here (peak RSS from /proc, crash detection); undefined for a --host. */
  readonly pid?: number
  /** Its data directory when it runs here (the fuzz suite reads the token key to forge expired tokens). */
  readonly dataDir?: string
  /** What it is, for the report's conditions. */
  readonly description: string
  /** False once the local process has exited (a crash, unless we closed it). Always true for a --host. */
  alive(): boolean
  close(): Promise<void>
}

/** Options of a local gateway (services/gateway `start`). */
export interface LocalGatewayOptions {
  dataDir: string
  loadTest: boolean
  seedDemo: boolean
  validators: number
}

/** Starts `lucid serve` (the gateway's `start`) in a child process on loopback. */
export async function startGateway(o: LocalGatewayOptions): Promise<GatewayUnderTest> {
  const server = await startServerProcess(GATEWAY, { options: { ...o }, timeoutMs: 180_000 })
  return {
    url: server.url,
    pid: server.pid,
    dataDir: o.dataDir,
    description: `lucid serve in a child process (${o.loadTest ? '--load-test' : 'default KDF cost, rate limits on'}${o.seedDemo ? ', --seed-demo' : ''}, ${o.validators} validators, fresh data directory)`,
    alive: () => processAlive(server.pid),
    close: async () => {
      await server.close()
    }
  }
}

/** What the gateway is and the settings it reports at GET /config (`cfg`), for a suite's conditions. */
export function serverConditions(gw: GatewayUnderTest, cfg: Record<string, unknown>): Record<string, string> {
  return {
    server: gw.description,
    kdf: typeof cfg.kdf === 'string' ? cfg.kdf : 'unknown',
    rate_limits: typeof cfg.rate_limits === 'string' ? cfg.rate_limits : 'unknown'
  }
}

/** A gateway someone else runs. */
export function remoteGateway(url: string): GatewayUnderTest {
  return { url, description: `--host ${url}`, alive: () => true, close: async () => {} }
}

/** True while process `pid` exists (signal 0 checks without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Resident set size of a local process, bytes, from /proc (undefined when it cannot be read). */
export async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    return m === null ? undefined : Number(m[1]) * 1024
  } catch {
    return undefined
  }
}

/** The token key of a local gateway's data directory (services/gateway/server.ts keeps it in DIR/jwt.key). */
export async function readJwtKey(dataDir: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(dataDir, 'jwt.key'))
  } catch {
    return undefined
  }
}

/** One request as a suite describes it (and as a finding reproduces it). */
export interface Req {
  method: string
  path: string
  headers?: Record<string, string>
  body?: string | Buffer
}

/** What came back: an answer, or the transport error instead of one. */
export type Res =
  | { kind: 'answer'; status: number; text: string; json: unknown; ms: number; headers: Record<string, string | string[] | undefined> }
  | { kind: 'transport'; error: string; ms: number }

/** A keep-alive connection pool to one origin that turns every outcome into a Res. */
export class Client {
  readonly #pool: Pool
  readonly #timeoutMs: number

  constructor(origin: string, opts: { connections?: number; timeoutMs?: number; localAddress?: string } = {}) {
    this.#pool = new Pool(origin, {
      connections: opts.connections ?? 16,
      pipelining: 1,
      ...(opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {}),
      // Hostile headers are the point: let the server, not the client, decide what is too large.
      maxHeaderSize: 64 * 1024
    })
    this.#timeoutMs = opts.timeoutMs ?? 30_000
  }

  async send(r: Req): Promise<Res> {
    const t0 = performance.now()
    try {
      const res = await this.#pool.request({
        method: r.method as Dispatcher.HttpMethod,
        path: r.path,
        headers: r.headers ?? {},
        ...(r.body !== undefined ? { body: r.body } : {}),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs
      })
      const text = await res.body.text()
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      return { kind: 'answer', status: res.statusCode, text, json, ms: performance.now() - t0, headers: res.headers }
    } catch (err) {
      const e = err as Error & { code?: string }
      return { kind: 'transport', error: e.code ?? e.message, ms: performance.now() - t0 }
    }
  }

  async close(): Promise<void> {
    await this.#pool.destroy()
  }
}

/** The catalogue code of an error answer's body (services/gateway/client.ts). */
export { errorCodeOf } from '../services/gateway/client.ts'

/** Codes a 503 may carry when it is intended load shedding: hashing queue full, chain transaction pool full. */
export const SHEDDING_CODES: ReadonlySet<string> = new Set(['LUCID_ERR_3002', 'LUCID_ERR_5016'])

/** A one-line reproduction of a request: method, path, headers and (the start of) the body, JSON-escaped and capped. */
export function describeReq(r: Req, bodyChars = 300): string {
  const cap = (v: string, n: number): string => (v.length > n ? `${v.slice(0, n)}...(${v.length} chars)` : v)
  const body =
    r.body === undefined ? '' : ` body(${r.body.length} bytes)=${JSON.stringify(cap(Buffer.isBuffer(r.body) ? r.body.toString('latin1') : r.body, bodyChars))}`
  const h = Object.entries(r.headers ?? {})
  // Many generated headers say what they are by their count and size; the rest are shown.
  const shown =
    h.length > 6 ? [...h.slice(0, 3), [`(${h.length - 3} more headers`, `${h.slice(3).reduce((a, [k, v]) => a + k.length + v.length, 0)} bytes)`]] : h
  const headers = shown.length > 0 ? ` headers=${JSON.stringify(Object.fromEntries(shown.map(([k, v]) => [k, cap(v ?? '', 80)])))}` : ''
  return `${r.method} ${cap(r.path, 300)}${headers}${body}`
}

/** A one-line summary of an outcome. */
export function describeRes(r: Res): string {
  return r.kind === 'transport' ? `transport error ${r.error}` : `${r.status} ${r.text.slice(0, 200)}`
}
