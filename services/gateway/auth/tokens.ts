/**
 * Access and refresh tokens: HS256 JWTs through @fastify/jwt (fast-jwt underneath).
 *
 * - access: `{sub, roles, typ: "access"}`, 15 minutes; sent as `Authorization: Bearer`.
 * - refresh: `{sub, typ: "refresh", jti}`, 7 days; exchanged once at POST /auth/refresh for a new pair
 *   (rotation: a refresh token is single use, so a stolen one that is replayed after the owner used it is
 *   refused). Roles are re-read from the account at refresh, so a role change takes effect within one
 *   access lifetime.
 *
 * Time comes from the injected clock, not from Date.now(): `iat` is set from it when signing and `exp` is
 * checked against it when verifying (fast-jwt's own expiry check is turned off for that reason only), so
 * tests move a manual clock past the expiry instead of sleeping. Only HS256 is accepted: `alg: none` and
 * tokens re-signed with another algorithm or key fail signature verification (LUCID_ERR_1003).
 *
 * Used refresh ids are remembered in memory until they expire: a restart forgets them, so a refresh token
 * used before a restart could be used once more after it. Persisting them belongs with a revocation list
 * in the database.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { errors } from '../../common/errors.ts'
import type { Clock } from '../../common/clock.ts'
import type { Principal } from './roles.ts'

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
}

/** Options of fastify-jwt registration: HS256 only, expiry checked by TokenService against the injected clock. */
export function jwtPluginOptions (secret: Uint8Array): { secret: Buffer, sign: { algorithm: 'HS256' }, verify: { algorithms: ['HS256'], ignoreExpiration: true, ignoreNotBefore: true } } {
  return { secret: Buffer.from(secret), sign: { algorithm: 'HS256' }, verify: { algorithms: ['HS256'], ignoreExpiration: true, ignoreNotBefore: true } }
}

/** Issues and verifies tokens on an app that registered @fastify/jwt with jwtPluginOptions. */
export class TokenService {
  readonly #app: FastifyInstance
  readonly #clock: Clock
  readonly #accessTtlS: number
  readonly #refreshTtlS: number
  /** Refresh ids already exchanged, with their expiry (ms). */
  readonly #usedRefresh = new Map<string, number>()
  /** Size at which expired ids are next swept out (twice what survived the last sweep, at least 10,000). */
  #sweepAt = 10_000

  constructor (app: FastifyInstance, clock: Clock, accessTtlS: number, refreshTtlS: number) {
    this.#app = app
    this.#clock = clock
    this.#accessTtlS = accessTtlS
    this.#refreshTtlS = refreshTtlS
  }

  /** A fresh access and refresh token for the account. */
  issue (userId: string, roles: readonly string[]): TokenPair {
    const iat = Math.floor(this.#clock.now() / 1000)
    const access = this.#app.jwt.sign({ sub: userId, roles: [...roles], typ: 'access', iat }, { expiresIn: `${this.#accessTtlS}s` })
    const refresh = this.#app.jwt.sign({ sub: userId, typ: 'refresh', jti: randomUUID(), iat }, { expiresIn: `${this.#refreshTtlS}s` })
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
  verifyAccess (token: string): Principal {
    const c = this.#verify(token, 'access')
    if (!Array.isArray(c.roles) || !c.roles.every((r) => typeof r === 'string')) throw new errors.LUCID_ERR_1003()
    return { sub: c.sub as string, roles: c.roles as string[] }
  }

  /** Consumes a refresh token and returns its subject; LUCID_ERR_1003 if invalid, expired or already used. */
  consumeRefresh (token: string): string {
    const c = this.#verify(token, 'refresh')
    if (typeof c.jti !== 'string') throw new errors.LUCID_ERR_1003()
    const now = this.#clock.now()
    if (this.#usedRefresh.has(c.jti)) throw new errors.LUCID_ERR_1003()
    // A used id must be kept until its token expires, so what is held follows the refreshes of one refresh
    // lifetime. Swept when the map doubles, not at every call past a fixed size: with more than that many
    // unexpired ids, every refresh would walk them all.
    if (this.#usedRefresh.size >= this.#sweepAt) {
      for (const [id, exp] of this.#usedRefresh) if (exp <= now) this.#usedRefresh.delete(id)
      this.#sweepAt = Math.max(10_000, 2 * this.#usedRefresh.size)
    }
    this.#usedRefresh.set(c.jti, (c.exp as number) * 1000)
    return c.sub as string
  }

  #verify (token: string, typ: 'access' | 'refresh'): Claims {
    let c: Claims
    try {
      c = this.#app.jwt.verify<Claims>(token)
    } catch {
      throw new errors.LUCID_ERR_1003()
    }
    if (c.typ !== typ || typeof c.sub !== 'string' || typeof c.exp !== 'number') throw new errors.LUCID_ERR_1003()
    if (c.exp * 1000 <= this.#clock.now()) throw new errors.LUCID_ERR_1003()
    return c
  }
}
