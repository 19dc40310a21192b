/**
 * Rate limits (docs/reference.md section 3, hardened by issue 16) through @fastify/rate-limit, one-minute
 * windows, plus per-address budgets of this module's own:
 *
 * | tier | limit | applies to | keyed on |
 * |---|---|---|---|
 * | public | 100/min | auth routes (whatever the token), other public routes and unmatched routes (404) | client address |
 * | authenticated | 1000/min and 5000/min | guarded routes with a valid access token | token subject, and client address |
 * | admin | 10000/min | Admin or SuperAdmin callers, except on auth routes | token subject |
 * | blocks | 500/min | block queries (`config.tier: 'blocks'`), except admins | client address |
 * | upload | 10 MB/s | chunk upload bytes (ByteBudget) | token subject |
 * | account creation | 20/hour | password registrations and wallet first logins (WindowBudget) | client address |
 * | password hashing | 4 in flight | hashes running or waiting (KdfPool) | client address |
 *
 * Why keyed on the address whatever the token, on public routes: accounts are cheap (a wallet login costs
 * two requests and no hashing), so a limit a token lifts is a limit anyone lifts by making an account, and
 * password guessing and the hashing queue would be throttled per account instead of per attacker. Guarded
 * routes count per subject (many users behind one NAT each have their own budget) and per address, all
 * subjects together (one address making many accounts does not multiply its budget). Each tier counts in
 * its own bucket (the key carries the tier). `/health`, `/metrics` and `/debug/timing` are exempt. Over
 * any limit: 429 with LUCID_ERR_3001 and Retry-After (seconds). The client address is the socket's (no
 * proxy is trusted); IPv6 addresses count per /64, the block one host usually holds.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import { errors } from '../common/errors.ts'
import type { Clock } from '../common/clock.ts'
import { isGuard } from './auth/guard.ts'
import { hasRole } from './auth/roles.ts'
import type { RateLimitTiers } from './config.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's rate-limit tier when it is not the caller's own: `blocks` (block queries), `auth` (login,
     * registration, refresh, wallet challenge: per address whatever the token).
     */
    tier?: 'blocks' | 'auth'
    /** Set by the limiter on routes whose preParsing holds a guard (they answer only with a valid token). */
    guarded?: boolean
  }
}

/** The rate-limit tiers of a request. */
export type Tier = 'public' | 'authenticated' | 'admin' | 'blocks'

/** The tier a request counts against. */
export function tierOf(req: FastifyRequest): Tier {
  const p = req.principal
  const config = req.routeOptions.config as { tier?: string; guarded?: boolean } | undefined
  if (config?.tier === 'auth') return 'public'
  if (p !== undefined && hasRole(p.roles, 'Admin')) return 'admin'
  if (config?.tier === 'blocks') return 'blocks'
  return p !== undefined && config?.guarded === true ? 'authenticated' : 'public'
}

/**
 * The client address a per-address budget is keyed on: the socket's, IPv4-mapped IPv6 as IPv4, other IPv6
 * addresses by their /64 (a host usually holds a whole /64, so per address would be per attempt).
 */
export function addressKey(ip: string): string {
  if (!ip.includes(':')) return ip
  if (/^::ffff:[0-9.]+$/i.test(ip)) return ip.slice(7)
  const [head = '', tail] = ip.split('::')
  const h = head === '' ? [] : head.split(':')
  const t = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
  return (
    groups
      .slice(0, 4)
      .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
      .join(':') + '::/64'
  )
}

/** The key of a request's bucket in its tier. */
function limitKey(req: FastifyRequest): string {
  const tier = tierOf(req)
  return tier === 'authenticated' || tier === 'admin' ? `${tier}:${req.principal?.sub ?? ''}` : `${tier}:${addressKey(req.ip)}`
}

/** A 429 answer after which the client may retry in `retryAfterS` seconds. */
function limited(retryAfterS: number, what: string): Error {
  const s = Math.max(1, Math.ceil(retryAfterS))
  return Object.assign(new errors.RateLimited(`${s} s (${what})`), { retryAfterS: s })
}

/**
 * Registers the limits on every route (routes opt out with `config: { rateLimit: false }`) and returns the
 * preHandler that limits unmatched routes (error-handler.ts installs it with the not-found handler).
 */
export async function registerRateLimits(app: FastifyInstance, tiers: RateLimitTiers): Promise<(req: FastifyRequest, reply: FastifyReply) => Promise<unknown>> {
  // Before the limiter's own onRoute hook reads nothing of it, but before any route is added: marks the
  // routes that answer only with a valid token (tierOf: the authenticated tier is theirs alone).
  app.addHook('onRoute', (r: RouteOptions) => {
    const hooks = [r.preParsing ?? []].flat()
    if (hooks.some((h) => isGuard(h))) r.config = { ...r.config, guarded: true }
  })
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    keyGenerator: limitKey,
    max: (req) => tiers[tierOf(req)],
    addHeadersOnExceeding: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true },
    addHeaders: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true, 'retry-after': true },
    errorResponseBuilder: (_req, ctx) => new errors.RateLimited(`${Math.max(1, Math.ceil(ctx.ttl / 1000))} s (limit ${ctx.max} per minute)`)
  })
  // The address budget of authenticated requests, checked after the subject's (a request the subject's
  // budget refused is not counted again here): added after the limiter's onRoute hook, so it runs after.
  const perAddress = app.createRateLimit({ timeWindow: 60_000, max: tiers.authenticatedPerAddress, keyGenerator: (req) => `address:${addressKey(req.ip)}` })
  const addressHook = async (req: FastifyRequest): Promise<void> => {
    if (tierOf(req) !== 'authenticated') return
    const r = await perAddress(req)
    if (!r.isAllowed && r.isExceeded) throw limited(r.ttlInSeconds, `limit ${tiers.authenticatedPerAddress} authenticated requests per minute per address`)
  }
  app.addHook('onRoute', (r: RouteOptions) => {
    if ((r.config as { rateLimit?: unknown } | undefined)?.rateLimit === false) return
    r.onRequest = [...[r.onRequest ?? []].flat(), addressHook]
  })
  return app.rateLimit()
}

/**
 * Fixed-window counts per key on the injected clock (per-address account creation): `limit` takes per
 * `windowMs`. Memory stays bounded: expired windows are swept when the map reaches `maxKeys`, and if it is
 * still full the oldest windows are forgotten (a forgotten address starts afresh, which only errs on the
 * generous side).
 */
export class WindowBudget {
  readonly #windows = new Map<string, { start: number; used: number }>()

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: Clock,
    private readonly maxKeys = 100_000
  ) {}

  /** Takes one from `key`'s window, or throws LUCID_ERR_3001 (429) with `retryAfterS` when it is spent. */
  take(key: string, what: string): void {
    const now = this.clock.now()
    let w = this.#windows.get(key)
    if (w === undefined || now - w.start >= this.windowMs) {
      if (w === undefined && this.#windows.size >= this.maxKeys) this.#sweep(now)
      w = { start: now, used: 0 }
      this.#windows.delete(key)
      this.#windows.set(key, w)
    }
    if (w.used >= this.limit) throw limited((w.start + this.windowMs - now) / 1000, what)
    w.used++
  }

  #sweep(now: number): void {
    for (const [k, w] of this.#windows) if (now - w.start >= this.windowMs) this.#windows.delete(k)
    for (const k of this.#windows.keys()) {
      if (this.#windows.size < this.maxKeys) break
      this.#windows.delete(k)
    }
  }
}

/**
 * A per-key token bucket of bytes: `rate` bytes per second, holding at most `rate` (one second of burst,
 * but a single chunk larger than that is admitted when the bucket is full, so no chunk size is banned).
 */
export class ByteBudget {
  readonly #rate: number
  readonly #clock: Clock
  readonly #buckets = new Map<string, { level: number; at: number }>()

  constructor(bytesPerS: number, clock: Clock) {
    this.#rate = bytesPerS
    this.#clock = clock
  }

  /** Takes `bytes` from `key`'s bucket, or throws LUCID_ERR_3001 with `retryAfterS` when it is short. */
  take(key: string, bytes: number): void {
    const now = this.#clock.now()
    const b = this.#buckets.get(key) ?? { level: this.#rate, at: now }
    b.level = Math.min(this.#rate, b.level + ((now - b.at) / 1000) * this.#rate)
    b.at = now
    const full = b.level >= this.#rate
    if (b.level < bytes && !full) {
      this.#buckets.set(key, b)
      const retryS = Math.max(1, Math.ceil((Math.min(bytes, this.#rate) - b.level) / this.#rate))
      throw Object.assign(new errors.RateLimited(`${retryS} s (upload limit ${this.#rate / 1e6} MB/s)`), { retryAfterS: retryS })
    }
    b.level -= bytes
    this.#buckets.set(key, b)
    // Forget buckets that have refilled: they hold nothing a fresh bucket would not.
    if (this.#buckets.size > 10_000) for (const [k, v] of this.#buckets) if (v.level + ((now - v.at) / 1000) * this.#rate >= this.#rate) this.#buckets.delete(k)
  }
}
