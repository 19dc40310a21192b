/**
 * Access and refresh tokens: HS256 JWTs through @fastify/jwt (fast-jwt underneath).
 *
 * - access: `{sub, roles, typ: "access"}`, 15 minutes; sent as `Authorization: Bearer`.
 * - refresh: `{sub, typ: "refresh", jti, fam}`, 7 days; exchanged once at POST /auth/refresh for a new
 *   pair (rotation). Roles are re-read from the account at refresh, so a role change takes effect within
 *   one access lifetime.
 *
 * Families (issue 16, item 4): every login starts a family (`fam`, carried by its access and refresh
 * tokens); each exchange hands the family on to the new pair. The gateway store records, per family, the
 * one refresh token that may still be exchanged. A family's refresh token presented when it is not the
 * current one is a reuse: whoever holds the family now may be a thief who exchanged the token first, or
 * the owner after the thief did, and the gateway cannot tell which, so the whole family is revoked: its
 * current refresh token and its access tokens stop working, and its owner logs in again. The record is
 * written (synced) before the pair is answered, so neither a restart nor a power cut forgets a spent token
 * or a revocation. Refresh tokens from before families (no `fam`) are refused: their state was never kept.
 *
 * Time comes from the injected clock, not from Date.now(): `iat` is set from it when signing and `exp` is
 * checked against it when verifying (fast-jwt's own expiry check is turned off for that reason only), so
 * tests move a manual clock past the expiry instead of sleeping. Only HS256 is accepted: `alg: none` and
 * tokens re-signed with another algorithm or key fail signature verification (LUCID_ERR_1003).
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { errors } from '../../common/errors.ts'
import type { Clock } from '../../common/clock.ts'
import type { RefreshFamily } from '../store.ts'
import type { Principal } from './roles.ts'

/** Where family state is kept (the gateway store; its writes are durable when they resolve). */
export interface FamilyStore {
  family(id: string): Promise<RefreshFamily | undefined>
  setFamily(id: string, f: RefreshFamily, previous?: RefreshFamily): Promise<void>
  revokedFamilies(now: number): Promise<Array<[string, number]>>
  sweepFamilies(now: number): Promise<number>
}

/** What an exchanged refresh token hands on to the pair issued for it: its family and the new token's id. */
export interface FamilyTicket {
  readonly fam: string
  readonly jti: string
}

/** What a login, a wallet login or a refresh answers. `token` and `access_token` are the same token (both names are in use by clients). */
export interface TokenPair {
  token: string
  access_token: string
  refresh_token: string
  token_type: 'bearer'
  /** Access token lifetime, seconds. */
  expires_in: number
  refresh_expires_in: number
  user_id: string
  roles: string[]
}

interface Claims {
  sub?: unknown
  roles?: unknown
  typ?: unknown
  exp?: unknown
  jti?: unknown
  fam?: unknown
}

/** Options of fastify-jwt registration: HS256 only, expiry checked by TokenService against the injected clock. */
export function jwtPluginOptions(secret: Uint8Array): {
  secret: Buffer
  sign: { algorithm: 'HS256' }
  verify: { algorithms: ['HS256']; ignoreExpiration: true; ignoreNotBefore: true }
} {
  return { secret: Buffer.from(secret), sign: { algorithm: 'HS256' }, verify: { algorithms: ['HS256'], ignoreExpiration: true, ignoreNotBefore: true } }
}

/**
 * Tokens whose signature has been checked, kept so that the next use skips the check. A client sends the same
 * access token on every request until it expires, and checking its HMAC and decoding it again was ~13 % of an
 * authenticated read's CPU (docs/gateway.md, "Hot paths"). Nothing the cache holds decides alone: the type,
 * the expiry against the injected clock and the family's revocation are checked on every use, cached or not.
 *
 * Written here rather than with fast-jwt's own `cache` option because that one keys entries by a SHA-256 of
 * the token (measured: a hit costs 1.6 µs against 0.3 µs for a Map lookup, ~4 % of a request), and its only
 * way around the hash, a custom key builder, prints a security warning at every start. The key here is the
 * whole token: two different tokens can never share an entry. Failures are not kept.
 */
export const VERIFIED_TOKENS_MAX = 10_000

/** Issues and verifies tokens on an app that registered @fastify/jwt with jwtPluginOptions. */
export class TokenService {
  readonly #app: FastifyInstance
  readonly #clock: Clock
  readonly #accessTtlS: number
  readonly #refreshTtlS: number
  readonly #families: FamilyStore
  /** Revoked families with the expiry of their last refresh token (ms): their access tokens are refused. */
  readonly #revoked = new Map<string, number>()
  /** Exchanges in progress per family: one at a time, so two uses of one token cannot both pass. */
  readonly #busy = new Map<string, Promise<unknown>>()
  /** Claims of tokens whose signature verified, frozen, oldest first (VERIFIED_TOKENS_MAX). */
  readonly #verified = new Map<string, Readonly<Claims>>()

  constructor(app: FastifyInstance, clock: Clock, accessTtlS: number, refreshTtlS: number, families: FamilyStore) {
    this.#app = app
    this.#clock = clock
    this.#accessTtlS = accessTtlS
    this.#refreshTtlS = refreshTtlS
    this.#families = families
  }

  /** Loads the revoked families from the store and forgets expired ones (call once before serving, then now and then). */
  async load(): Promise<void> {
    const now = this.#clock.now()
    await this.#families.sweepFamilies(now)
    for (const [k, exp] of this.#revoked) if (exp <= now) this.#revoked.delete(k)
    for (const [fam, exp] of await this.#families.revokedFamilies(now)) this.#revoked.set(fam, exp)
  }

  /**
   * A fresh access and refresh token for the account: a new family (a login), or the family `ticket`
   * hands on (a refresh; consumeRefresh already recorded the new token as the family's current one).
   */
  async issue(userId: string, roles: readonly string[], ticket?: FamilyTicket): Promise<TokenPair> {
    const now = this.#clock.now()
    const iat = Math.floor(now / 1000)
    let t = ticket
    if (t === undefined) {
      t = { fam: randomUUID(), jti: randomUUID() }
      // Recorded (durably) before the token exists anywhere else.
      await this.#families.setFamily(t.fam, { sub: userId, current: t.jti, exp: now + this.#refreshTtlS * 1000, revoked: false })
    }
    const access = this.#app.jwt.sign({ sub: userId, roles: [...roles], typ: 'access', fam: t.fam, iat }, { expiresIn: `${this.#accessTtlS}s` })
    const refresh = this.#app.jwt.sign({ sub: userId, typ: 'refresh', jti: t.jti, fam: t.fam, iat }, { expiresIn: `${this.#refreshTtlS}s` })
    return {
      token: access,
      access_token: access,
      refresh_token: refresh,
      token_type: 'bearer',
      expires_in: this.#accessTtlS,
      refresh_expires_in: this.#refreshTtlS,
      user_id: userId,
      roles: [...roles]
    }
  }

  /** The principal of a valid access token; LUCID_ERR_1003 for anything else (bad signature, expired, a refresh token, malformed). */
  verifyAccess(token: string): Principal {
    const c = this.#verify(token, 'access')
    if (!Array.isArray(c.roles) || !c.roles.every((r) => typeof r === 'string')) throw new errors.InvalidToken()
    // Access tokens from before families carry none; they expire within one access lifetime.
    if (typeof c.fam === 'string' && this.#revoked.has(c.fam)) throw new errors.InvalidToken()
    return { sub: c.sub as string, roles: c.roles as string[] }
  }

  /**
   * Exchanges a refresh token: returns its subject and the ticket of the pair to issue (the family's new
   * current token, already recorded durably). LUCID_ERR_1003 if invalid, expired, of an unknown or revoked
   * family, or already used; a use of a spent token also revokes its family, durably, before answering.
   */
  async consumeRefresh(token: string): Promise<{ sub: string; ticket: FamilyTicket }> {
    const c = this.#verify(token, 'refresh')
    if (typeof c.jti !== 'string' || typeof c.fam !== 'string') throw new errors.InvalidToken()
    const fam = c.fam
    const jti = c.jti
    const sub = c.sub as string
    // One exchange of a family at a time: the read and the write of its state must not interleave with
    // another's, or two uses of one token could both see it current.
    const before = this.#busy.get(fam) ?? Promise.resolve()
    const run = before.then(noop, noop).then(async () => {
      const f = await this.#families.family(fam)
      if (f === undefined || f.revoked || f.sub !== sub) throw new errors.InvalidToken()
      if (f.current !== jti) {
        await this.#families.setFamily(fam, { ...f, revoked: true }, f)
        this.#revoked.set(fam, f.exp)
        throw new errors.InvalidToken()
      }
      const next = { fam, jti: randomUUID() }
      await this.#families.setFamily(fam, { sub, current: next.jti, exp: this.#clock.now() + this.#refreshTtlS * 1000, revoked: false }, f)
      return { sub, ticket: next }
    })
    this.#busy.set(fam, run)
    try {
      return await run
    } finally {
      if (this.#busy.get(fam) === run) this.#busy.delete(fam)
    }
  }

  #verify(token: string, typ: 'access' | 'refresh'): Readonly<Claims> {
    let c = this.#verified.get(token)
    if (c === undefined) {
      try {
        c = this.#app.jwt.verify<Claims>(token)
      } catch {
        throw new errors.InvalidToken()
      }
      // Frozen, roles included (the principal hands them out): the same object answers every later use, so
      // no caller may change it for the next. Claims are flat JSON apart from roles.
      if (Array.isArray(c.roles)) Object.freeze(c.roles)
      Object.freeze(c)
      // Oldest out (a Map iterates in insertion order): a bound, not a recency order, which a hit would
      // have to pay for by deleting and inserting again.
      if (this.#verified.size >= VERIFIED_TOKENS_MAX) this.#verified.delete(this.#verified.keys().next().value as string)
      this.#verified.set(token, c)
    }
    if (c.typ !== typ || typeof c.sub !== 'string' || typeof c.exp !== 'number') throw new errors.InvalidToken()
    if (c.exp * 1000 <= this.#clock.now()) throw new errors.InvalidToken()
    return c
  }
}

function noop(): void {}
