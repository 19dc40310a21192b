/**
 * Test helpers: a gateway on 127.0.0.1 port 0 with a temporary data directory, a small HTTP client over
 * undici, and the load contract's demo accounts seeded at the load-test KDF cost (only those a test
 * needs, so seeding takes a fraction of a second).
 */
import { request, type Dispatcher } from 'undici'
import { ManualClock } from '../../services/common/clock.ts'
import { LOAD_TEST_KDF, demoAccounts, openGateway, type Gateway, type GatewayConfig, type GatewayOptions } from '../../services/gateway/index.ts'

/** An answer: status, headers, the body as text and parsed JSON (undefined when it is not JSON). */
export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field by the tests
  json: any
  bytes: Buffer
}

/** Options of one call. */
export interface CallOptions {
  token?: string
  json?: unknown
  body?: string | Buffer
  headers?: Record<string, string>
  /** The undici dispatcher (e.g. an Agent bound to another local address); default the global one. */
  dispatcher?: Dispatcher
}

/** Sends one request to the gateway. */
export async function call(base: string, method: string, path: string, o: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...o.headers }
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`
  let body: string | Buffer | undefined = o.body
  if (o.json !== undefined) {
    body = JSON.stringify(o.json)
    headers['content-type'] ??= 'application/json'
  }
  const r = await request(base + path, { method: method as 'GET', headers, body, ...(o.dispatcher !== undefined ? { dispatcher: o.dispatcher } : {}) })
  const bytes = Buffer.from(await r.body.arrayBuffer())
  const text = bytes.toString('utf8')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: r.statusCode, headers: r.headers, text, json, bytes }
}

/** Asserts an error answer's shape and returns its code. */
export function errorCode(a: Answer): string {
  const e = a.json?.error
  if (typeof e?.code !== 'string' || typeof e?.message !== 'string') throw new Error(`not an error body (${a.status}): ${a.text.slice(0, 200)}`)
  return e.code
}

/** A gateway for a test: load-test KDF cost, rate limits as given (default: lifted), a manual clock. */
export async function testGateway(
  o: { config?: Partial<GatewayConfig>; accounts?: string[] } & Omit<GatewayOptions, 'config'> = {}
): Promise<Gateway & { clock: ManualClock; base: string }> {
  const clock = new ManualClock(Date.now())
  const g = await openGateway({ port: 0, ...o, config: { kdf: LOAD_TEST_KDF, rateLimits: false, clock, ...o.config } })
  const wanted = new Set(o.accounts ?? ['test_user_1', 'test_user_2', 'session_user_1', 'admin'])
  await g.ctx.accounts.seedDemo(demoAccounts().filter((a) => wanted.has(a.username)))
  return Object.assign(g, { clock, base: g.url })
}

/** Logs in with a password; returns the access token (asserting 200). */
export async function login(base: string, username: string, password: string, path = '/auth/login'): Promise<string> {
  const a = await call(base, 'POST', path, { json: { username, password } })
  if (a.status !== 200) throw new Error(`login ${username}: ${a.status} ${a.text}`)
  return a.json.token as string
}

/** Passwords of the demo accounts by name. */
export function passwordOf(username: string): string {
  const a = demoAccounts().find((x) => x.username === username)
  if (a === undefined) throw new Error(`no demo account ${username}`)
  return a.password
}
