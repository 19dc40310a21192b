/**
 * Test helpers: a gateway on 127.0.0.1 port 0 with a temporary data directory, a small HTTP client over
 * undici, and the load contract's demo accounts seeded at the load-test KDF cost (only those a test
 * needs, so seeding takes a fraction of a second).
 */
import { ManualClock } from '../../services/common/clock.ts'
import {
  LOAD_TEST_KDF,
  demoAccounts,
  errorCodeOf,
  gatewayCall,
  openGateway,
  type Gateway,
  type GatewayAnswer,
  type GatewayCallOptions,
  type GatewayConfig,
  type GatewayOptions
} from '../../services/gateway/index.ts'

/** An answer (services/gateway/client.ts), its JSON loosely typed: the tests check it field by field. */
export interface Answer extends Omit<GatewayAnswer, 'json'> {
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field by the tests
  json: any
}

/** Options of one call. */
export type CallOptions = GatewayCallOptions

/** Sends one request to the gateway (the project's one client); `json` is the parsed body, undefined when not JSON. */
export async function call(base: string, method: string, path: string, o: CallOptions = {}): Promise<Answer> {
  const a = await gatewayCall(base, method, path, o)
  return { ...a, json: a.parsed }
}

/** Asserts an error answer's shape and returns its code. */
export function errorCode(a: Answer): string {
  const code = errorCodeOf(a.parsed)
  if (code === undefined) throw new Error(`not an error body (${a.status}): ${a.text.slice(0, 200)}`)
  return code
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
