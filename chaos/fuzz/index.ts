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
import { hasRole } from '../../services/gateway/auth/roles.ts'
import type { ChaosOptions, ChaosResult } from '../types.ts'
import { withModelFuzz } from './model.ts'
import {
  CLASSES,
  bare,
  forgedPrincipals,
  hostileRequests,
  roleNeeded,
  routesOf,
  type FuzzWorld,
  type Hostile,
  type HostileClass,
  type Principal,
  type Route
} from './input.ts'
import {
  Client,
  SHEDDING_CODES,
  serverConditions,
  describeReq,
  describeRes,
  errorCodeOf,
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
/** Findings of one kind kept in full; the rest are counted. */
const MAX_FINDINGS_PER_KIND = 10

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

/** What differs between two snapshots, one line per item. */
function diff(who: string, before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = []
  for (const [k, v] of before) {
    const w = after.get(k)
    if (w !== v) out.push(`integrity: ${who}'s ${k} changed during the fuzz run: was ${v.slice(0, 200)}, now ${(w ?? '(gone)').slice(0, 200)}`)
  }
  for (const k of after.keys()) if (!before.has(k)) out.push(`integrity: ${who} has ${k} that it did not create`)
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

/** Tallies and findings of a run. */
class Judge {
  readonly perClass = new Map<HostileClass, number>(CLASSES.map((c) => [c, 0]))
  readonly counts = {
    requests: 0,
    server_errors: 0,
    shed: 0,
    rate_limited: 0,
    responses_without_code: 0,
    unauthorised_successes: 0,
    unexpected_accepts: 0,
    transport_errors: 0,
    accepted: 0,
    rejected: 0
  }
  readonly findings: string[] = []
  readonly #perKind = new Map<string, number>()

  constructor(
    private readonly victim: { sub: string; sessions: string[] },
    private readonly seed: number
  ) {}

  #find(kind: string, text: string): void {
    const n = (this.#perKind.get(kind) ?? 0) + 1
    this.#perKind.set(kind, n)
    if (n <= MAX_FINDINGS_PER_KIND) this.findings.push(text)
  }

  /** Judges one answer. */
  record(h: Hostile, r: Res, index: number): void {
    this.counts.requests++
    this.perClass.set(h.cls, (this.perClass.get(h.cls) ?? 0) + 1)
    const repro = `[${h.cls}, principal ${h.principal.name}, seed ${this.seed} #${index}] ${describeReq(h.req)} -> ${describeRes(r)}`
    if (r.kind === 'transport') {
      // The server closing the connection on an oversize body or header is allowed HTTP; whether it
      // survived is checked separately (process alive, /health).
      this.counts.transport_errors++
      return
    }
    const code = errorCodeOf(r.json)
    if (r.status >= 500) {
      if (r.status === 503 && code !== undefined && SHEDDING_CODES.has(code)) {
        this.counts.shed++
        return
      }
      this.counts.server_errors++
      this.#find('5xx', `server error: ${repro}`)
      return
    }
    if (r.status >= 400) {
      this.counts.rejected++
      if (r.status === 429) this.counts.rate_limited++
      if (code === undefined) {
        this.counts.responses_without_code++
        this.#find(`nocode ${r.status}`, `4xx without a LUCID_ERR code: ${repro}`)
      }
      return
    }
    this.counts.accepted++
    const breach = this.#breach(h, r)
    if (breach !== undefined) {
      this.counts.unauthorised_successes++
      this.#find(`breach ${h.cls}`, `unauthorised success (${breach}): ${repro}`)
    } else if (h.mustReject && r.status < 300) {
      this.counts.unexpected_accepts++
      this.#find(`accept ${h.cls}`, `input that cannot be valid was accepted: ${repro}`)
    }
  }

  /** Why a 2xx was a breach, or undefined when the caller was entitled to it. */
  #breach(h: Hostile, r: Res & { kind: 'answer' }): string | undefined {
    const p = h.principal
    const isVictim = p.kind === 'valid' && p.sub === this.victim.sub
    const admin = p.kind === 'valid' && hasRole(p.roles ?? [], 'Admin')
    if (h.route?.secured === true && p.kind !== 'valid') return 'a secured route answered credentials that identify nobody'
    const needed = h.route !== undefined ? roleNeeded(h.route) : undefined
    if (needed !== undefined && !hasRole(p.roles ?? [], needed)) return `the route needs ${needed}`
    if (h.victimResource !== undefined && !isVictim && !(admin && h.req.method === 'GET')) return `${p.name} reached the victim's session ${h.victimResource}`
    // Public routes are public by design: the chain's blocks list every session anchor, ids included.
    if (h.route?.secured === true && !isVictim && !admin && this.victim.sessions.some((id) => r.text.includes(id)))
      return "the answer shows the victim's session ids"
    return undefined
  }
}

/**
 * Runs the fuzz suite: QUICK_REQUESTS (FULL_REQUESTS with --full) generated requests, or for --duration,
 * then the model-based sequences (fuzz-model.ts: 2,000 quick, 10,000 full).
 */
export async function run(opts: ChaosOptions): Promise<ChaosResult> {
  return await withModelFuzz(opts, await runFuzz(opts, opts.full ? FULL_REQUESTS : QUICK_REQUESTS))
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
  const findings: string[] = []
  let crashes = 0
  try {
    // -- setup
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
    const adminLogin = await c.send(jsonReq('POST', '/admin/auth/login', DEMO_ADMIN))
    const admin: Principal | undefined =
      adminLogin.kind === 'answer' && adminLogin.status === 200
        ? {
            name: 'admin',
            kind: 'valid',
            authorization: `Bearer ${(adminLogin.json as { token: string }).token}`,
            sub: (adminLogin.json as { user_id: string }).user_id,
            roles: (adminLogin.json as { roles: string[] }).roles
          }
        : undefined
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
    const judge = new Judge({ sub: a.sub, sessions: aSessions }, seed)
    // Replays of A's spent refresh token and of a wallet challenge are fixed attacks, not generated ones.
    const fixed: Hostile[] = [
      ...Array.from(
        { length: 20 },
        (): Hostile => ({
          cls: 'bad_tokens',
          principal: { name: 'none', kind: 'none' },
          mustReject: true,
          req: jsonReq('POST', '/auth/refresh', { refresh_token: a.refreshToken })
        })
      ),
      { cls: 'bad_tokens', principal: { name: 'none', kind: 'none' }, mustReject: true, req: jsonReq('POST', '/auth/refresh', { refresh_token: a.token }) },
      ...(await walletAttacks(c, 40))
    ]

    // -- the run
    const arb = hostileRequests(world)
    // The length is that of the run itself: setup time (slower on a loaded machine) does not eat into it.
    const deadline = opts.durationS !== undefined ? performance.now() + opts.durationS * 1000 : Infinity
    const limit = opts.durationS !== undefined ? Infinity : total
    let next = 0
    let batch: Hostile[] = [...fixed]
    let batchNo = 0
    const take = (): { h: Hostile; i: number } | undefined => {
      if (next >= limit || performance.now() > deadline || crashes > 0) return undefined
      if (batch.length === 0) batch = fc.sample(arb, { numRuns: 500, seed: seed + batchNo++ })
      const h = batch.shift()!
      return { h, i: next++ }
    }
    const healthCheck = async (): Promise<void> => {
      const h = await c.send({ method: 'GET', path: '/health' })
      if (!gw.alive() || h.kind === 'transport' || h.status !== 200) {
        crashes++
        findings.push(
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
    if (crashes === 0) await healthCheck()

    // -- after: nothing of A or B read or changed, no role escalated
    let integrity: string[] = []
    if (crashes === 0) {
      opts.progress("checking A's and B's data through the API")
      const relogin = async (acc: Account): Promise<string> =>
        (
          (await expectOk(c, jsonReq('POST', '/auth/login', { username: acc.username, password: acc.password }), `logging ${acc.username} in again`)).json as {
            token: string
          }
        ).token
      integrity = [...diff('A', before.a, await snapshot(c, await relogin(a))), ...diff('B', before.b, await snapshot(c, await relogin(b)))]
      for (const acc of [b, f]) {
        const roles = (
          (await expectOk(c, jsonReq('POST', '/auth/login', { username: acc.username, password: acc.password }), 'logging in')).json as { roles: string[] }
        ).roles
        if (roles.length !== 1 || roles[0] !== 'User') integrity.push(`integrity: ${acc.username}'s roles are now ${JSON.stringify(roles)} (were ["User"])`)
      }
    }
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
      passed: findings.length === 0 && k.unexpected_accepts === 0,
      findings
    }
  } finally {
    await c.close()
    await gw.close()
  }
}
