/**
 * Stateful, model-based fuzzing of the gateway (issue 16): fast-check generates sequences of commands
 * (`fc.commands`) over registration, password login, wallet challenge and login (real secp256k1 keys,
 * TRON-style signatures), refresh, sessions, chunk upload, finalisation, session and public anchors, and
 * runs each against the real gateway over HTTP beside a model of what it should hold (`fc.asyncModelRun`).
 *
 * Why sequences: the hostile-request fuzzer (fuzz.ts) sends one request at a time and cannot find bugs that
 * need a history. Issue 16's item 1 needed one: a password account registered under a wallet's address,
 * then that wallet's challenge signed and its login sent; the login then never answered.
 *
 * After every step, invariants (each failure a violation, with the sequence that reproduces it):
 * - every request is answered within its timeout, with no 5xx (503 with a shedding code excepted) and a
 *   4xx always carrying its LUCID_ERR code;
 * - no access across users: another user's session answers 404 on every route, never a 2xx, and a list
 *   shows only the caller's sessions;
 * - the model holds: chunk indices and counts, single-use challenges, refresh-token families (a spent
 *   token refused, its reuse revoking the family), registration conflicts;
 * - the server's memory stays bounded (RSS within a bound of its size after warm-up) and it stays alive.
 *
 * Each sequence uses names of its own (a per-sequence prefix, fresh wallet keys), so sequences run one
 * after another against one server without a restart and the model starts empty each time.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import fc from 'fast-check'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { signTronMessage, tronAddressFromPublicKey } from '../../services/gateway/auth/wallet.ts'
import {
  Client,
  SHEDDING_CODES,
  describeReq,
  describeRes,
  errorCodeOf,
  remoteGateway,
  rssBytes,
  startGateway,
  type GatewayUnderTest,
  type Req,
  type Res
} from '../gateway.ts'
import type { ChaosOptions, ChaosResult } from '../types.ts'

/** Sequences of the quick (`npm test`) and full (`lucid chaos --suite fuzz`) runs. */
export const MODEL_QUICK_SEQUENCES = 2000
export const MODEL_FULL_SEQUENCES = 10_000

/** Options of a model-based run. */
export interface ModelFuzzOptions {
  /** Sequences to run (stops at the first violating one). */
  sequences: number
  /** Most commands per sequence (default 30). */
  maxCommands?: number
  /** Seed of the generator (default: from the time). */
  seed?: number
  /** A request unanswered after this long is a violation (default 15 s). */
  timeoutMs?: number
  /** Largest growth of the server's RSS over its size after the first sequences (default 512 MiB). */
  rssGrowthBytes?: number
  /** An already running gateway (origin); default: `lucid serve --load-test` started here. */
  target?: string
  /** The data directory of a local gateway. */
  dataDir: string
  progress?: (text: string) => void
}

/** What a run found. */
export interface ModelFuzzReport {
  /** Sequences run, the violating one included. */
  sequences: number
  commands: number
  requests: number
  /** 0 or 1: the run stops at the first violating sequence. */
  violations: number
  /** The violation and the sequence that shows it (fast-check's counterexample), when there is one. */
  finding?: string
  /** Answers 429 (only against a --host with limits on): those steps are skipped. */
  rateLimited: number
  seed: number
  peakRssBytes: number
  durationS: number
}

/** A broken invariant; ends the sequence (and the run). */
class Violation extends Error {}

interface Wallet {
  address: string
  secretKey: Uint8Array
  lastLogin?: { message: string; signature: string }
}
interface Token {
  sub: string
  access: string
  refresh: string
  fam: number
  spent: boolean
}
interface SessionRec {
  id: string
  owner: string
  chunks: number
  finalised: boolean
  deleted: boolean
  merkleRoot?: string
}

/** What the gateway should hold for this sequence's names. */
interface Model {
  readonly prefix: string
  readonly wallets: Wallet[]
  /** Registered usernames (password accounts) and e-mails. */
  readonly names: Map<string, string>
  readonly emails: Set<string>
  /** Wallet addresses with an account of their own (first login done). */
  readonly walletAccounts: Set<string>
  /** Wallet addresses a password account holds (registered before the names were reserved). */
  readonly blocked: Set<string>
  readonly tokens: Token[]
  readonly revoked: boolean[]
  readonly sessions: SessionRec[]
}

/** The server under test and the tallies. */
interface Real {
  readonly c: Client
  readonly gw: GatewayUnderTest
  requests: number
  commands: number
  rateLimited: number
}

const WALLETS = 2
const NAMES = 3

function newModel(): Model {
  const wallets: Wallet[] = []
  for (let i = 0; i < WALLETS; i++) {
    const { secretKey, publicKey } = secp256k1.keygen()
    wallets.push({ address: tronAddressFromPublicKey(publicKey), secretKey })
  }
  return {
    prefix: `m${randomBytes(5).toString('hex')}`,
    wallets,
    names: new Map(),
    emails: new Set(),
    walletAccounts: new Set(),
    blocked: new Set(),
    tokens: [],
    revoked: [],
    sessions: []
  }
}

/** A rate-limited step (a --host with limits on): nothing happened on the server, the step is skipped. */
class Skip extends Error {}

const json = (method: string, path: string, body: unknown, token?: string): Req => ({
  method,
  path,
  headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body)
})
const authed = (method: string, path: string, token: string, extra: Partial<Req> = {}): Req => ({
  method,
  path,
  ...extra,
  headers: { authorization: `Bearer ${token}`, ...extra.headers }
})

/** Sends one request and checks the invariants every answer must meet. */
async function send(real: Real, req: Req): Promise<Res & { kind: 'answer' }> {
  real.requests++
  const r = await real.c.send(req)
  const what = `${describeReq(req, 120)} -> ${describeRes(r)}`
  if (r.kind === 'transport') throw new Violation(`no answer within the timeout (${r.error}, ${Math.round(r.ms)} ms): ${what}`)
  const code = errorCodeOf(r.json)
  if (r.status >= 500 && !(r.status === 503 && code !== undefined && SHEDDING_CODES.has(code))) throw new Violation(`server error: ${what}`)
  if (r.status >= 400 && code === undefined) throw new Violation(`an error answer without its code: ${what}`)
  if (r.status === 429) {
    real.rateLimited++
    throw new Skip()
  }
  if (r.status === 503) throw new Skip()
  return r
}

function expect(r: Res & { kind: 'answer' }, ok: readonly number[], what: string, req: Req): void {
  if (!ok.includes(r.status)) throw new Violation(`${what}: expected ${ok.join(' or ')}, got ${describeRes(r)} for ${describeReq(req, 120)}`)
}

/** A 2xx where the model says the caller does not own the session: access across users. */
function acrossUsers(r: Res & { kind: 'answer' }, s: SessionRec, t: Token, req: Req): void {
  if (r.status < 300) throw new Violation(`access across users: ${t.sub} reached ${s.owner}'s session ${s.id}: ${describeReq(req, 120)} -> ${describeRes(r)}`)
  if (r.status !== 404) throw new Violation(`another user's session must answer 404 like a missing one: ${describeReq(req, 120)} -> ${describeRes(r)}`)
}

type Cmd = fc.AsyncCommand<Model, Real>

/** Base of the commands: counts them and turns a Skip into nothing. */
abstract class Step implements Cmd {
  abstract check(m: Readonly<Model>): boolean
  abstract exec(m: Model, r: Real): Promise<void>
  abstract toString(): string
  async run(m: Model, r: Real): Promise<void> {
    r.commands++
    try {
      await this.exec(m, r)
    } catch (err) {
      if (!(err instanceof Skip)) throw err
    }
  }
}

const usable = (m: Readonly<Model>, slot: number): Token | undefined => (m.tokens.length === 0 ? undefined : m.tokens[slot % m.tokens.length])
const liveAccess = (m: Readonly<Model>, t: Token): boolean => !m.revoked[t.fam]

class Register extends Step {
  constructor(
    readonly nameSlot: number,
    readonly emailSlot: number | undefined
  ) {
    super()
  }
  check(): boolean {
    return true
  }
  name(m: Readonly<Model>): string {
    return this.nameSlot < NAMES ? `${m.prefix}_u${this.nameSlot}` : m.wallets[this.nameSlot - NAMES]!.address
  }
  async exec(m: Model, r: Real): Promise<void> {
    const username = this.name(m)
    const email =
      this.emailSlot === undefined
        ? undefined
        : this.emailSlot === 2 && this.nameSlot >= NAMES
          ? `${username}@wallet.lucid.invalid`
          : `${m.prefix}_e${this.emailSlot}@example.org`
    const password = `pw-${m.prefix}-${this.nameSlot}`
    const req = json('POST', '/auth/register', { username, password, ...(email !== undefined ? { email } : {}) })
    const a = await send(r, req)
    const taken = m.names.has(username) || (email !== undefined && m.emails.has(email)) || m.walletAccounts.has(username)
    // A name shaped like a wallet's address, or a lucid.invalid e-mail, is reserved (400 LUCID_ERR_1014)
    // where the gateway reserves them; the model does not insist on the policy, only on its consequences.
    const reserved = this.nameSlot >= NAMES || email?.endsWith('.lucid.invalid') === true
    expect(a, reserved ? (taken ? [409, 400] : [201, 400]) : taken ? [409] : [201], 'registration', req)
    if (a.status === 409 && errorCodeOf(a.json) !== 'LUCID_ERR_1011')
      throw new Violation(`a duplicate registration must be 409 LUCID_ERR_1011: ${describeRes(a)}`)
    if (a.status !== 201) return
    m.names.set(username, password)
    m.emails.add(email ?? `${username}@users.lucid.invalid`)
    if (this.nameSlot >= NAMES) m.blocked.add(username)
  }
  toString(): string {
    return `Register(${this.nameSlot < NAMES ? `name ${this.nameSlot}` : `wallet ${this.nameSlot - NAMES}'s address`}${this.emailSlot !== undefined ? `, email ${this.emailSlot}` : ''})`
  }
}

class PasswordLogin extends Step {
  constructor(
    readonly nameSlot: number,
    readonly right: boolean
  ) {
    super()
  }
  check(): boolean {
    return true
  }
  async exec(m: Model, r: Real): Promise<void> {
    const username = this.nameSlot < NAMES ? `${m.prefix}_u${this.nameSlot}` : m.wallets[this.nameSlot - NAMES]!.address
    const known = m.names.get(username)
    const req = json('POST', '/auth/login', { username, password: this.right && known !== undefined ? known : 'not-the-password' })
    const a = await send(r, req)
    expect(a, known !== undefined && this.right ? [200] : [401], 'password login', req)
    if (a.status === 200) addToken(m, a, username)
  }
  toString(): string {
    return `PasswordLogin(${this.nameSlot < NAMES ? `name ${this.nameSlot}` : `wallet ${this.nameSlot - NAMES}'s address`}, ${this.right ? 'right' : 'wrong'} password)`
  }
}

function addToken(m: Model, a: Res & { kind: 'answer' }, sub: string, fam?: number): void {
  const j = a.json as { access_token: string; refresh_token: string; user_id: string }
  if (j.user_id !== sub) throw new Violation(`tokens for ${j.user_id} answered to a login of ${sub}`)
  let f = fam
  if (f === undefined) {
    f = m.revoked.length
    m.revoked.push(false)
  }
  m.tokens.push({ sub, access: j.access_token, refresh: j.refresh_token, fam: f, spent: false })
}

class WalletLogin extends Step {
  constructor(
    readonly slot: number,
    readonly tamper: boolean
  ) {
    super()
  }
  check(): boolean {
    return true
  }
  async exec(m: Model, r: Real): Promise<void> {
    const w = m.wallets[this.slot]!
    const creq = json('POST', '/auth/wallet/challenge', { tron_address: w.address })
    const c = await send(r, creq)
    expect(c, [200], 'wallet challenge', creq)
    const message = (c.json as { message: string }).message
    const signed = this.tamper ? `${message} ` : message
    const signature = signTronMessage(signed, w.secretKey)
    const req = json('POST', '/auth/wallet/login', { tron_address: w.address, signature, message })
    const a = await send(r, req)
    if (this.tamper) {
      expect(a, [401], 'a wallet login with a signature over another message', req)
      return
    }
    // 200, or 409 where a password account holds the wallet's id: never a hang, a 5xx, or another account.
    expect(a, m.blocked.has(w.address) ? [200, 409] : [200], 'wallet login', req)
    w.lastLogin = { message, signature }
    if (a.status === 200) {
      m.walletAccounts.add(w.address)
      m.emails.add(`${w.address}@wallet.lucid.invalid`)
      addToken(m, a, w.address)
    }
  }
  toString(): string {
    return `WalletLogin(wallet ${this.slot}${this.tamper ? ', signature over another message' : ''})`
  }
}

class WalletReplay extends Step {
  constructor(readonly slot: number) {
    super()
  }
  check(m: Readonly<Model>): boolean {
    return m.wallets[this.slot]!.lastLogin !== undefined
  }
  async exec(m: Model, r: Real): Promise<void> {
    const w = m.wallets[this.slot]!
    const req = json('POST', '/auth/wallet/login', { tron_address: w.address, ...w.lastLogin! })
    expect(await send(r, req), [401], 'a replayed wallet challenge', req)
  }
  toString(): string {
    return `WalletReplay(wallet ${this.slot})`
  }
}

/** A command by one of the sequence's tokens (picked by slot, modulo how many there are). */
abstract class ByToken extends Step {
  constructor(readonly slot: number) {
    super()
  }
  check(m: Readonly<Model>): boolean {
    return m.tokens.length > 0
  }
}

class Refresh extends ByToken {
  async exec(m: Model, r: Real): Promise<void> {
    const t = usable(m, this.slot)!
    const req = json('POST', '/auth/refresh', { refresh_token: t.refresh })
    const a = await send(r, req)
    const valid = !t.spent && !m.revoked[t.fam]
    expect(a, valid ? [200] : [401], t.spent ? 'a spent refresh token' : 'refresh', req)
    // A spent token presented again revokes its family (issue 16, item 4).
    if (t.spent) m.revoked[t.fam] = true
    if (a.status === 200) {
      t.spent = true
      addToken(m, a, t.sub, t.fam)
    }
  }
  toString(): string {
    return `Refresh(token ${this.slot})`
  }
}

class Me extends ByToken {
  async exec(m: Model, r: Real): Promise<void> {
    const t = usable(m, this.slot)!
    const req = authed('GET', '/users/me', t.access)
    const a = await send(r, req)
    expect(a, liveAccess(m, t) ? [200] : [401], 'GET /users/me', req)
    if (a.status === 200 && (a.json as { user_id: string }).user_id !== t.sub)
      throw new Violation(`access across users: ${t.sub}'s token answered as ${(a.json as { user_id: string }).user_id}`)
    const lreq = authed('GET', '/sessions?limit=1000', t.access)
    const l = await send(r, lreq)
    if (l.status !== 200) return
    const mine = new Set(m.sessions.filter((s) => s.owner === t.sub).map((s) => s.id))
    for (const s of (l.json as { sessions: Array<{ session_id: string; owner: string }> }).sessions) {
      if (s.owner !== t.sub) throw new Violation(`access across users: ${t.sub}'s list shows ${s.owner}'s session ${s.session_id}`)
      const rec = m.sessions.find((x) => x.id === s.session_id)
      if (rec !== undefined && !mine.has(s.session_id)) throw new Violation(`access across users: ${t.sub}'s list shows ${rec.owner}'s session ${s.session_id}`)
    }
  }
  toString(): string {
    return `Me(token ${this.slot})`
  }
}

class CreateSession extends ByToken {
  override check(m: Readonly<Model>): boolean {
    return super.check(m) && m.sessions.length < 8
  }
  async exec(m: Model, r: Real): Promise<void> {
    const t = usable(m, this.slot)!
    const req = json('POST', '/sessions', { session_type: 'rdp', duration_minutes: 5 }, t.access)
    const a = await send(r, req)
    expect(a, liveAccess(m, t) ? [201] : [401], 'POST /sessions', req)
    if (a.status === 201) m.sessions.push({ id: (a.json as { session_id: string }).session_id, owner: t.sub, chunks: 0, finalised: false, deleted: false })
  }
  toString(): string {
    return `CreateSession(token ${this.slot})`
  }
}

/** A command on one of the model's sessions by one of its tokens: owner, another user, or revoked. */
abstract class OnSession extends Step {
  constructor(
    readonly slot: number,
    readonly sessionSlot: number
  ) {
    super()
  }
  check(m: Readonly<Model>): boolean {
    return m.tokens.length > 0 && m.sessions.length > 0
  }
  /** The command's request on session `s` with token `t`. */
  abstract request(s: SessionRec, t: Token): Req

  /**
   * Sends the request; judges the answer to a revoked family's token (401) and to anyone but the owner of
   * a live session (404, never a 2xx); returns the owner's answer for the command to judge.
   */
  async attempt(m: Model, r: Real): Promise<{ a: Res & { kind: 'answer' }; s: SessionRec; req: Req } | undefined> {
    const t = usable(m, this.slot)!
    const s = m.sessions[this.sessionSlot % m.sessions.length]!
    const req = this.request(s, t)
    const a = await send(r, req)
    if (!liveAccess(m, t)) {
      expect(a, [401], "a revoked family's token", req)
      return undefined
    }
    if (s.owner !== t.sub) {
      acrossUsers(a, s, t, req)
      return undefined
    }
    if (s.deleted) {
      expect(a, [404], 'a deleted session', req)
      return undefined
    }
    return { a, s, req }
  }
}

class Upload extends OnSession {
  constructor(
    slot: number,
    sessionSlot: number,
    readonly size: number,
    readonly withIndex: boolean
  ) {
    super(slot, sessionSlot)
  }
  request(s: SessionRec, t: Token): Req {
    return authed('POST', `/sessions/${s.id}/chunks${this.withIndex ? `?chunk_index=${s.chunks}` : ''}`, t.access, {
      headers: { 'content-type': 'application/octet-stream' },
      body: randomBytes(this.size)
    })
  }

  async exec(m: Model, r: Real): Promise<void> {
    const x = await this.attempt(m, r)
    if (x === undefined) return
    const { a, s, req } = x
    expect(a, s.finalised ? [409] : [201], 'chunk upload', req)
    if (a.status !== 201) return
    const j = a.json as { chunk_index: number; chunk_count: number }
    if (j.chunk_index !== s.chunks || j.chunk_count !== s.chunks + 1)
      throw new Violation(`chunk ${s.chunks} of ${s.id} acknowledged as index ${j.chunk_index}, count ${j.chunk_count}`)
    s.chunks++
  }
  toString(): string {
    return `Upload(token ${this.slot}, session ${this.sessionSlot}, ${this.size} bytes${this.withIndex ? ', with its index' : ''})`
  }
}

class GetSession extends OnSession {
  request(s: SessionRec, t: Token): Req {
    return authed('GET', `/sessions/${s.id}/status`, t.access)
  }

  async exec(m: Model, r: Real): Promise<void> {
    const x = await this.attempt(m, r)
    if (x === undefined) return
    const { a, s, req } = x
    expect(a, [200], 'GET status', req)
    const j = a.json as { chunk_count: number; status: string }
    if (j.chunk_count !== s.chunks) throw new Violation(`session ${s.id} holds ${j.chunk_count} chunks, ${s.chunks} were acknowledged`)
    if ((j.status === 'finalised') !== s.finalised)
      throw new Violation(`session ${s.id} is ${j.status}, the model says ${s.finalised ? 'finalised' : 'recording'}`)
  }
  toString(): string {
    return `GetSession(token ${this.slot}, session ${this.sessionSlot})`
  }
}

class Finalize extends OnSession {
  request(s: SessionRec, t: Token): Req {
    return authed('POST', `/sessions/${s.id}/finalize`, t.access)
  }

  async exec(m: Model, r: Real): Promise<void> {
    const x = await this.attempt(m, r)
    if (x === undefined) return
    const { a, s, req } = x
    expect(a, s.finalised ? [409] : [200, 400, 409], 'finalise', req)
    if (a.status === 200) {
      s.finalised = true
      s.merkleRoot = (a.json as { merkle_root: string }).merkle_root
      if ((a.json as { chunk_count: number }).chunk_count !== s.chunks)
        throw new Violation(`finalised ${s.id} with ${(a.json as { chunk_count: number }).chunk_count} chunks, ${s.chunks} acknowledged`)
    }
  }
  toString(): string {
    return `Finalize(token ${this.slot}, session ${this.sessionSlot})`
  }
}

class AnchorSession extends OnSession {
  request(s: SessionRec, t: Token): Req {
    return json('POST', '/anchoring/session', { session_id: s.id, merkle_root: s.merkleRoot ?? 'ab'.repeat(32) }, t.access)
  }

  async exec(m: Model, r: Real): Promise<void> {
    const x = await this.attempt(m, r)
    if (x !== undefined) expect(x.a, x.s.finalised ? [202] : [409], 'POST /anchoring/session', x.req)
  }
  toString(): string {
    return `AnchorSession(token ${this.slot}, session ${this.sessionSlot})`
  }
}

class DeleteSession extends OnSession {
  request(s: SessionRec, t: Token): Req {
    return authed('DELETE', `/sessions/${s.id}`, t.access)
  }

  async exec(m: Model, r: Real): Promise<void> {
    const x = await this.attempt(m, r)
    if (x === undefined) return
    expect(x.a, [204], 'DELETE /sessions/{id}', x.req)
    x.s.deleted = true
  }
  toString(): string {
    return `DeleteSession(token ${this.slot}, session ${this.sessionSlot})`
  }
}

class DataAnchor extends Step {
  constructor(readonly label: number) {
    super()
  }
  check(): boolean {
    return true
  }
  async exec(m: Model, r: Real): Promise<void> {
    const req = json('POST', '/chain/anchor', {
      session_id: m.sessions[this.label % Math.max(1, m.sessions.length)]?.id ?? `${m.prefix}-label`,
      data_hash: randomBytes(8).toString('hex')
    })
    const a = await send(r, req)
    expect(a, [201], 'POST /chain/anchor', req)
    const url = (a.json as { status_url?: unknown }).status_url
    if (typeof url !== 'string' || a.headers.location !== url)
      throw new Violation(`POST /chain/anchor: status_url ${String(url)}, Location ${String(a.headers.location)}`)
    const sreq: Req = { method: 'GET', path: url }
    expect(await send(r, sreq), [200], "the receipt's status URL", sreq)
  }
  toString(): string {
    return `DataAnchor(label ${this.label})`
  }
}

/** The generators of every command. */
function commandArbitraries(): Array<fc.Arbitrary<Cmd>> {
  const tok = fc.nat(15)
  const ses = fc.nat(15)
  return [
    fc.tuple(fc.nat(NAMES + WALLETS - 1), fc.option(fc.nat(2), { nil: undefined })).map(([n, e]) => new Register(n, e)),
    fc.tuple(fc.nat(NAMES + WALLETS - 1), fc.boolean()).map(([n, ok]) => new PasswordLogin(n, ok)),
    // Twice: most commands need a token, so logins come often enough for sequences to get somewhere.
    fc.tuple(fc.nat(NAMES - 1), fc.constant(true)).map(([n, ok]) => new PasswordLogin(n, ok)),
    fc.tuple(fc.nat(WALLETS - 1), fc.nat(9)).map(([w, t]) => new WalletLogin(w, t < 2)),
    fc.nat(WALLETS - 1).map((w) => new WalletLogin(w, false)),
    fc.nat(WALLETS - 1).map((w) => new WalletReplay(w)),
    tok.map((t) => new Refresh(t)),
    tok.map((t) => new Me(t)),
    tok.map((t) => new CreateSession(t)),
    fc.tuple(tok, ses, fc.integer({ min: 1, max: 8192 }), fc.boolean()).map(([t, s, n, i]) => new Upload(t, s, n, i)),
    fc.tuple(tok, ses).map(([t, s]) => new GetSession(t, s)),
    fc.tuple(tok, ses).map(([t, s]) => new Finalize(t, s)),
    fc.tuple(tok, ses).map(([t, s]) => new AnchorSession(t, s)),
    fc.tuple(tok, ses).map(([t, s]) => new DeleteSession(t, s)),
    fc.nat(7).map((l) => new DataAnchor(l))
  ]
}

/** Runs model-based sequences until `sequences` ran or one broke an invariant. */
export async function runModelFuzz(o: ModelFuzzOptions): Promise<ModelFuzzReport> {
  const seed = o.seed ?? Date.now() % 2 ** 31
  const t0 = performance.now()
  const gw = o.target === undefined ? await startGateway({ dataDir: o.dataDir, loadTest: true, seedDemo: false, validators: 4 }) : remoteGateway(o.target)
  const real: Real = { c: new Client(gw.url, { connections: 2, timeoutMs: o.timeoutMs ?? 15_000 }), gw, requests: 0, commands: 0, rateLimited: 0 }
  const rssGrowth = o.rssGrowthBytes ?? 512 * 1024 * 1024
  let baseline: number | undefined
  let peak = 0
  let ran = 0
  let finding: string | undefined
  try {
    const prop = fc.asyncProperty(fc.commands(commandArbitraries(), { maxCommands: o.maxCommands ?? 30, size: 'max' }), async (cmds) => {
      ran++
      await fc.asyncModelRun(() => ({ model: newModel(), real }), cmds)
      if (!gw.alive()) throw new Violation('the gateway process exited')
      if (gw.pid !== undefined) {
        const rss = (await rssBytes(gw.pid)) ?? 0
        peak = Math.max(peak, rss)
        // The size after warm-up (caches, JIT, the chain's first blocks) is the baseline growth is judged from.
        if (ran === Math.min(20, o.sequences)) baseline = rss
        if (baseline !== undefined && rss > baseline + rssGrowth)
          throw new Violation(`memory: RSS ${Math.round(rss / 2 ** 20)} MiB, ${Math.round((rss - baseline) / 2 ** 20)} MiB above its size after warm-up`)
      }
      if (ran % 25 === 0) o.progress?.(`model fuzz: ${ran}/${o.sequences} sequences, ${real.commands} commands, ${real.requests} requests, 0 violations`)
    })
    // No shrinking: each replay of a violating sequence may wait out a timeout, and the server a violation
    // left hanging or dying is no place to replay on. The first violating sequence is reported as it ran.
    const d = await fc.check(prop, { numRuns: o.sequences, seed, endOnFailure: true })
    if (d.failed) {
      const err = d.errorInstance
      const what = err instanceof Error ? err.message : String(err)
      finding = `${err instanceof Violation ? '' : 'unexpected error: '}${what} (sequence ${ran} of seed ${seed}: ${String(d.counterexample?.[0] ?? '')})`
    }
  } finally {
    await real.c.close()
    await gw.close()
  }
  return {
    sequences: ran,
    commands: real.commands,
    requests: real.requests,
    violations: finding === undefined ? 0 : 1,
    ...(finding !== undefined ? { finding } : {}),
    rateLimited: real.rateLimited,
    seed,
    peakRssBytes: peak,
    durationS: (performance.now() - t0) / 1000
  }
}

/**
 * The fuzz suite's hook: the model-based sequences after the hostile requests, their figures added to the
 * suite's (prefixed `model_`), a violation added to its findings.
 */
export async function withModelFuzz(opts: ChaosOptions, r: ChaosResult): Promise<ChaosResult> {
  const rep = await runModelFuzz({
    sequences: opts.full ? MODEL_FULL_SEQUENCES : MODEL_QUICK_SEQUENCES,
    dataDir: join(opts.tmpdir, 'model-data'),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.target !== undefined ? { target: opts.target } : {}),
    progress: opts.progress
  })
  return {
    metrics: {
      ...r.metrics,
      model_sequences_count: rep.sequences,
      model_commands_count: rep.commands,
      model_requests_count: rep.requests,
      model_violations_count: rep.violations,
      model_rate_limited_count: rep.rateLimited,
      model_peak_rss_bytes: rep.peakRssBytes,
      model_duration_s: rep.durationS
    },
    conditions: {
      ...r.conditions,
      model_seed: rep.seed,
      model: 'fast-check fc.commands over register, logins, wallet, refresh, sessions, chunks, anchors (chaos/fuzz/model.ts)'
    },
    passed: r.passed && rep.violations === 0,
    findings: [...r.findings, ...(rep.finding !== undefined ? [`model-based: ${rep.finding}`] : [])]
  }
}
