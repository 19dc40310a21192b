/**
 * `lucid chaos --suite fuzz`: generated hostile requests (chaos/fuzz/input.ts, fast-check) on every
 * route of the gateway's OpenAPI document, against `lucid serve` in its own process (or a --host).
 *
 * 1. Setup through the API: a victim A with sessions (one recording, one finalised with chunks), another
 *    user B with a session, the fuzzer's own user F with a session it may upload junk into, an admin when
 *    the demo admin exists, a wallet that logs in once (its challenge is then replayed), and snapshots of
 *    everything A and B own.
 * 2. The run: hostile requests from a seeded generator, 16 at a time. Every answer is judged as it comes:
 *    a 5xx is a server error, a 4xx without `{"error": {"code": "LUCID_ERR_xxxx"}}` a response without
 *    code, a 2xx to credentials that identify nobody, to the wrong user on A's resources or to a role too
 *    low an unauthorised success (so is a 2xx body that shows A's session ids to someone else), a 2xx to
 *    input that cannot be valid an unexpected accept. The process is watched (crash) and /health checked
 *    every few hundred requests.
 * 3. After: A and B log in again, and everything they own is compared with the snapshots (nothing read or
 *    changed by someone else, no role escalated).
 *
 * The local gateway runs with --load-test (rate limits lifted): the point is that the hostile requests
 * reach the handlers, not that the limiter stops them at the 101st. A --host with limits on is fuzzed as
 * it is; its 429s are counted (`rate_limited_count`) and reported.
 */
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import fc from 'fast-check'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { signTronMessage, tronAddressFromPublicKey } from '../../services/gateway/auth/wallet.ts'
import type { ChaosOptions, ChaosResult } from '../types.ts'
import { withModelFuzz } from './model.ts'
import { Judge, diff, fuzzVerdict } from './judge.ts'
import { bare, forgedPrincipals, hostileRequests, routesOf, type FuzzWorld, type Hostile, type Principal, type Route } from './input.ts'
import {
  Client,
  serverConditions,
  describeReq,
  describeRes,
  readJwtKey,
  remoteGateway,
  startGateway,
  type GatewayUnderTest,
  type Req,
  type Res
} from '../gateway.ts'

/** Requests of the quick and full variants. */
export const QUICK_REQUESTS = 10_000
export const FULL_REQUESTS = 100_000
/** Requests in flight at once. */
const CONCURRENCY = 16
/** /health is checked (and the process watched) every this many requests. */
const HEALTH_EVERY = 500

const DEMO_ADMIN = { username: 'admin', password: 'admin_password_123' }

/** An HTTP step of the setup that must succeed. */
async function expectOk(c: Client, req: Req, what: string): Promise<Res & { kind: 'answer' }> {
  for (let attempt = 0; ; attempt++) {
    const r = await c.send(req)
    if (r.kind === 'answer' && r.status >= 200 && r.status < 300) return r
    // A --host with rate limits on: wait as told, a few times.
    if (r.kind === 'answer' && r.status === 429 && attempt < 3) {
      await new Promise((resolve) => setTimeout(resolve, 1000 * Math.min(61, Number(r.headers['retry-after'] ?? 5))))
      continue
    }
    throw new Error(`fuzz setup: ${what} failed: ${describeReq(req)} -> ${describeRes(r)}`)
  }
}

const jsonReq = (method: string, path: string, body: unknown, token?: string): Req => ({
  method,
  path,
  headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body)
})
const authReq = (method: string, path: string, token: string, extra: Partial<Req> = {}): Req => ({
  method,
  path,
  ...extra,
  headers: { authorization: `Bearer ${token}`, ...extra.headers }
})

interface Account {
  username: string
  password: string
  token: string
  refreshToken: string
  sub: string
}

async function account(c: Client, prefix: string): Promise<Account> {
  const username = `${prefix}_${randomBytes(4).toString('hex')}`
  const password = randomBytes(12).toString('base64url')
  await expectOk(c, jsonReq('POST', '/auth/register', { username, password }), `registering ${username}`)
  const r = await expectOk(c, jsonReq('POST', '/auth/login', { username, password }), `logging in ${username}`)
  const j = r.json as { token: string; refresh_token: string; user_id: string }
  return { username, password, token: j.token, refreshToken: j.refresh_token, sub: j.user_id }
}

async function session(c: Client, token: string, chunks: number, finalise: boolean): Promise<string> {
  const r = await expectOk(c, jsonReq('POST', '/sessions', { session_type: 'rdp', duration_minutes: 30 }, token), 'creating a session')
  const id = (r.json as { session_id: string }).session_id
  for (let i = 0; i < chunks; i++) {
    await expectOk(
      c,
      authReq('POST', `/sessions/${id}/chunks?chunk_index=${i}`, token, {
        headers: { 'content-type': 'application/octet-stream' },
        body: randomBytes(2000 + i)
      }),
      'uploading a chunk'
    )
  }
  if (finalise) await expectOk(c, authReq('POST', `/sessions/${id}/finalize`, token), 'finalising a session')
  return id
}

/**
 * Everything an account owns, as the API shows it to the owner: its account, its sessions, their status,
 * manifests and the SHA-256 of each chunk's plaintext. Fields that move on their own (the anchor following
 * the chain to finality) are left out.
 */
async function snapshot(c: Client, token: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  const get = async (path: string): Promise<Res & { kind: 'answer' }> => await expectOk(c, authReq('GET', path, token), `reading ${path}`)
  const me = (await get('/users/me')).json as Record<string, unknown>
  out.set('/users/me', JSON.stringify({ user_id: me.user_id, roles: me.roles, status: me.status, tron_address: me.tron_address }))
  const list = (await get('/sessions?limit=1000')).json as { sessions: Array<Record<string, unknown>> }
  const steady = (s: Record<string, unknown>): string => JSON.stringify({ ...s, blockchain_anchor: undefined })
  out.set('/sessions', JSON.stringify(list.sessions.map((s) => s.session_id).sort()))
  for (const s of list.sessions) {
    const id = String(s.session_id)
    out.set(`/sessions/${id}`, steady((await get(`/sessions/${id}`)).json as Record<string, unknown>))
    const st = (await get(`/sessions/${id}/status`)).json as Record<string, unknown>
    out.set(`/sessions/${id}/status`, JSON.stringify({ status: st.status, chunk_count: st.chunk_count, merkle_root: st.merkle_root }))
    if (s.status === 'finalised') {
      const m = await get(`/sessions/${id}/manifest`)
      out.set(`/sessions/${id}/manifest`, m.text)
      const n = Number(s.chunk_count)
      for (let i = 0; i < n; i++)
        out.set(
          `/sessions/${id}/chunks/${i}`,
          createHash('sha256')
            .update((await get(`/sessions/${id}/chunks/${i}`)).text, 'latin1')
            .digest('hex')
        )
    }
  }
  return out
}

/** A wallet: an address and TRON-style message signing (signMessageV2, r‖s‖v). */
function wallet(): { address: string; sign: (message: string) => string } {
  const { secretKey, publicKey } = secp256k1.keygen()
  return {
    address: tronAddressFromPublicKey(publicKey),
    sign: (message) => signTronMessage(message, secretKey)
  }
}

/**
 * Wallet attacks, each a fresh attempt: the challenge a legitimate login consumed, replayed; a challenge
 * signed by another wallet; a signed challenge with its message altered; a challenge of one address used
 * for another. Every one must be refused.
 */
async function walletAttacks(c: Client, n: number): Promise<Hostile[]> {
  const none: Principal = { name: 'none', kind: 'none' }
  const honest = wallet()
  const mallory = wallet()
  const challenge = async (address: string): Promise<string> =>
    ((await expectOk(c, jsonReq('POST', '/auth/wallet/challenge', { tron_address: address }), 'a wallet challenge')).json as { message: string }).message
  const used = await challenge(honest.address)
  const usedSig = honest.sign(used)
  await expectOk(c, jsonReq('POST', '/auth/wallet/login', { tron_address: honest.address, signature: usedSig, message: used }), 'the honest wallet login')
  const out: Hostile[] = []
  const login = (body: Record<string, unknown>): Hostile => ({
    cls: 'wallet_replay',
    principal: none,
    mustReject: true,
    req: jsonReq('POST', '/auth/wallet/login', body)
  })
  for (let i = 0; i < n; i++) {
    switch (i % 4) {
      case 0:
        out.push(login({ tron_address: honest.address, signature: usedSig, message: used }))
        break
      case 1: {
        const m = await challenge(honest.address)
        out.push(login({ tron_address: honest.address, signature: mallory.sign(m), message: m }))
        break
      }
      case 2: {
        const m = await challenge(honest.address)
        const altered = `${m} `
        out.push(login({ tron_address: honest.address, signature: honest.sign(altered), message: altered }))
        break
      }
      default: {
        const m = await challenge(mallory.address)
        out.push(login({ tron_address: honest.address, signature: honest.sign(m), message: m }))
      }
    }
  }
  return out
}

/**
 * Runs the fuzz suite: QUICK_REQUESTS (FULL_REQUESTS with --full) generated requests, or for --duration,
 * then the model-based sequences (fuzz-model.ts: 2,000 quick, 10,000 full).
 */
export async function run(opts: ChaosOptions): Promise<ChaosResult> {
  return await withModelFuzz(opts, await runFuzz(opts, opts.full ? FULL_REQUESTS : QUICK_REQUESTS))
}

/** What the setup made: accounts, sessions, snapshots and the generator's world. */
interface Setup {
  readonly routes: Route[]
  readonly cfg: Record<string, unknown>
  readonly a: Account
  readonly b: Account
  readonly f: Account
  readonly aSessions: string[]
  readonly admin: Principal | undefined
  readonly before: { a: Map<string, string>; b: Map<string, string> }
  readonly key: Buffer | undefined
  readonly world: FuzzWorld
  /** Replays of A's spent refresh token and of a wallet challenge: fixed attacks, not generated ones. */
  readonly fixed: Hostile[]
}

/** The demo admin's principal, when that account exists. */
async function adminPrincipal(c: Client): Promise<Principal | undefined> {
  const adminLogin = await c.send(jsonReq('POST', '/admin/auth/login', DEMO_ADMIN))
  if (adminLogin.kind !== 'answer' || adminLogin.status !== 200) return undefined
  return {
    name: 'admin',
    kind: 'valid',
    authorization: `Bearer ${(adminLogin.json as { token: string }).token}`,
    sub: (adminLogin.json as { user_id: string }).user_id,
    roles: (adminLogin.json as { roles: string[] }).roles
  }
}

/** Setup through the API: the victim A, the other user B, the fuzzer F, an admin, and snapshots of A's and B's data. */
async function setUp(c: Client, gw: GatewayUnderTest, opts: ChaosOptions): Promise<Setup> {
  opts.progress('setup: accounts, sessions, snapshots')
  const doc = await expectOk(c, { method: 'GET', path: '/openapi.json' }, 'reading the OpenAPI document')
  const routes: Route[] = routesOf(doc.json)
  const config = await c.send({ method: 'GET', path: '/config' })
  const cfg = config.kind === 'answer' ? (config.json as Record<string, unknown>) : {}
  const a = await account(c, 'chaos_a')
  const b = await account(c, 'chaos_b')
  const f = await account(c, 'chaos_f')
  // A's refresh token is spent once here, so the run replays a used one.
  await expectOk(c, jsonReq('POST', '/auth/refresh', { refresh_token: a.refreshToken }), "refreshing A's token")
  const aSessions = [await session(c, a.token, 2, false), await session(c, a.token, 3, true)]
  await session(c, b.token, 1, false) // B owns data too, so the integrity check has B's to compare
  const fSession = await session(c, f.token, 0, false)
  const admin = await adminPrincipal(c)
  const before = { a: await snapshot(c, a.token), b: await snapshot(c, b.token) }
  const key = gw.dataDir !== undefined ? await readJwtKey(gw.dataDir) : undefined
  const principal = (name: string, acc: Account): Principal => ({ name, kind: 'valid', authorization: `Bearer ${acc.token}`, sub: acc.sub, roles: ['User'] })
  const world: FuzzWorld = {
    routes,
    fuzzer: principal('F (fuzzer)', f),
    other: principal('B (other user)', b),
    ...(admin !== undefined ? { admin } : {}),
    forged: forgedPrincipals({ sub: a.sub, token: a.token, refreshToken: a.refreshToken }, { token: b.token }, key),
    victim: { sub: a.sub, sessions: aSessions, finalisedSessions: [aSessions[1]!] },
    fuzzerSession: fSession,
    maxChunkBytes: typeof cfg.max_chunk_bytes === 'number' ? cfg.max_chunk_bytes : 16 * 1024 * 1024,
    jsonBodyLimit: 1024 * 1024,
    hugeEvery: opts.full ? 50 : 100
  }
  const none: Principal = { name: 'none', kind: 'none' }
  const fixed: Hostile[] = [
    ...Array.from(
      { length: 20 },
      (): Hostile => ({ cls: 'bad_tokens', principal: none, mustReject: true, req: jsonReq('POST', '/auth/refresh', { refresh_token: a.refreshToken }) })
    ),
    { cls: 'bad_tokens', principal: none, mustReject: true, req: jsonReq('POST', '/auth/refresh', { refresh_token: a.token }) },
    ...(await walletAttacks(c, 40))
  ]
  return { routes, cfg, a, b, f, aSessions, admin, before, key, world, fixed }
}

/**
 * The run: the fixed attacks, then generated requests from the seeded generator, CONCURRENCY at a time,
 * each judged as it comes, /health checked every HEALTH_EVERY requests. Ends at `total` (or the
 * duration) or at a crash; resolves with the crash findings.
 */
async function drive(c: Client, gw: GatewayUnderTest, su: Setup, judge: Judge, opts: ChaosOptions, seed: number, total: number): Promise<string[]> {
  const crashes: string[] = []
  const arb = hostileRequests(su.world)
  // The length is that of the run itself: setup time (slower on a loaded machine) does not eat into it.
  const deadline = opts.durationS !== undefined ? performance.now() + opts.durationS * 1000 : Infinity
  const limit = opts.durationS !== undefined ? Infinity : total
  let next = 0
  let batch: Hostile[] = [...su.fixed]
  let batchNo = 0
  const take = (): { h: Hostile; i: number } | undefined => {
    if (next >= limit || performance.now() > deadline || crashes.length > 0) return undefined
    if (batch.length === 0) batch = fc.sample(arb, { numRuns: 500, seed: seed + batchNo++ })
    const h = batch.shift()!
    return { h, i: next++ }
  }
  const healthCheck = async (): Promise<void> => {
    const h = await c.send({ method: 'GET', path: '/health' })
    if (!gw.alive() || h.kind === 'transport' || h.status !== 200) {
      crashes.push(
        `crash: the gateway ${gw.alive() ? `stopped answering /health (${describeRes(h)})` : 'process exited'} after request #${next} (seed ${seed}; the requests just before it are the suspects: rerun with --seed ${seed})`
      )
    }
  }
  let sinceHealth = 0
  const worker = async (): Promise<void> => {
    for (let t = take(); t !== undefined; t = take()) {
      const r = await c.send(t.h.req)
      judge.record(t.h, r, t.i)
      if (++sinceHealth >= HEALTH_EVERY) {
        sinceHealth = 0
        await healthCheck()
      }
      if (t.i % 250 === 0)
        opts.progress(
          `${judge.counts.requests} requests, ${judge.counts.server_errors} 5xx, ${judge.counts.unauthorised_successes} unauthorised, ${judge.counts.responses_without_code} without code`
        )
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  if (crashes.length === 0) await healthCheck()
  return crashes
}

/** After the run: nothing of A or B read or changed, no role escalated. One line per violation. */
async function integrityCheck(c: Client, su: Setup, opts: ChaosOptions): Promise<string[]> {
  opts.progress("checking A's and B's data through the API")
  const login = async (acc: Account, what: string): Promise<{ token: string; roles: string[] }> =>
    (await expectOk(c, jsonReq('POST', '/auth/login', { username: acc.username, password: acc.password }), what)).json as { token: string; roles: string[] }
  const relogin = async (acc: Account): Promise<string> => (await login(acc, `logging ${acc.username} in again`)).token
  const integrity = [...diff('A', su.before.a, await snapshot(c, await relogin(su.a))), ...diff('B', su.before.b, await snapshot(c, await relogin(su.b)))]
  for (const acc of [su.b, su.f]) {
    const roles = (await login(acc, 'logging in')).roles
    if (roles.length !== 1 || roles[0] !== 'User') integrity.push(`integrity: ${acc.username}'s roles are now ${JSON.stringify(roles)} (were ["User"])`)
  }
  return integrity
}

/** Runs the fuzz suite with `total` generated requests (plus the fixed replays), unless opts.durationS bounds it instead. */
export async function runFuzz(opts: ChaosOptions, total: number): Promise<ChaosResult> {
  const seed = opts.seed ?? Date.now() % 2 ** 31
  const started = performance.now()
  opts.progress(opts.target === undefined ? 'starting lucid serve --seed-demo --load-test on loopback' : `fuzzing ${opts.target}`)
  const gw: GatewayUnderTest =
    opts.target === undefined
      ? await startGateway({ dataDir: join(opts.tmpdir, 'data'), loadTest: true, seedDemo: true, validators: 4 })
      : remoteGateway(opts.target)
  const c = new Client(gw.url, { connections: CONCURRENCY })
  try {
    const su = await setUp(c, gw, opts)
    const { routes, cfg, admin, key, world } = su
    const judge = new Judge({ sub: su.a.sub, sessions: su.aSessions }, seed)
    const findings = await drive(c, gw, su, judge, opts, seed, total)
    const crashes = findings.length
    const integrity = crashes === 0 ? await integrityCheck(c, su, opts) : []
    findings.push(...judge.findings, ...integrity)
    const k = judge.counts
    const metrics: Record<string, number> = {
      requests_count: k.requests,
      ...Object.fromEntries([...judge.perClass].map(([cls, n]) => [`${cls}_count`, n])),
      server_errors_count: k.server_errors,
      crashes_count: crashes,
      unauthorised_successes_count: k.unauthorised_successes,
      responses_without_code_count: k.responses_without_code,
      integrity_violations_count: integrity.length,
      unexpected_accepts_count: k.unexpected_accepts,
      rejected_count: k.rejected,
      accepted_count: k.accepted,
      shed_count: k.shed,
      rate_limited_count: k.rate_limited,
      transport_errors_count: k.transport_errors,
      duration_s: (performance.now() - started) / 1000,
      requests_per_s: k.requests / ((performance.now() - started) / 1000)
    }
    return {
      metrics,
      conditions: {
        ...serverConditions(gw, cfg),
        seed,
        variant: opts.durationS !== undefined ? `${opts.durationS} s` : `${opts.full ? 'full' : 'quick'} (${total} generated requests)`,
        routes: routes.length,
        secured_routes: routes.filter((r) => r.secured).length,
        forged_credentials: world.forged.length,
        genuine_key_forgeries: key !== undefined,
        admin_principal: admin !== undefined,
        concurrency: CONCURRENCY,
        generator: 'fast-check over the OpenAPI document (chaos/fuzz/input.ts)',
        victim_routes: routes.filter((r) => bare(r.path).startsWith('/sessions/{id}')).length
      },
      // Every failure of the verdict is also a finding, and every finding one of its failures.
      passed: fuzzVerdict({ counts: k, crashes, integrityViolations: integrity.length }).passed,
      findings
    }
  } finally {
    await c.close()
    await gw.close()
  }
}
