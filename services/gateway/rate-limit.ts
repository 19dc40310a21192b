/**
 * Rate limits (docs/reference.md section 3) through @fastify/rate-limit, one-minute windows:
 *
 * | tier | limit | applies to | keyed on |
 * |---|---|---|---|
 * | public | 100/min | requests without a valid access token | client address |
 * | authenticated | 1000/min | requests with a valid access token | token subject |
 * | admin | 10000/min | requests of an Admin or SuperAdmin | token subject |
 * | blocks | 500/min | block queries (`config.tier: 'blocks'`), except admins | subject, else address |
 * | upload | 10 MB/s | chunk upload bytes (ByteBudget) | token subject |
 *
 * Each tier counts in its own bucket (the key carries the tier), so block queries do not eat the general
 * budget. Keying on the subject means one user cannot dodge the limit by opening connections from many
 * addresses, and many users behind one NAT do not share one budget; a request whose token does not verify
 * is keyed on its address like any anonymous one. `/health` is exempt. Over the limit: 429 with
 * LUCID_ERR_3001 and Retry-After (seconds). The client address is the socket's (no proxy is trusted).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import { errors } from '../common/errors.ts'
import type { Clock } from '../common/clock.ts'
import { hasRole } from './auth/roles.ts'
import type { RateLimitTiers } from './config.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's rate-limit tier when it is not the caller's own (block queries). */
    tier?: 'blocks'
  }
}

/** The tier a request counts against. */
export function tierOf (req: FastifyRequest): 'public' | 'authenticated' | 'admin' | 'blocks' {
  const p = req.principal
  if (p !== undefined && hasRole(p.roles, 'Admin')) return 'admin'
  if (req.routeOptions.config.tier === 'blocks') return 'blocks'
  return p === undefined ? 'public' : 'authenticated'
}

/** Registers the limits on every route (routes opt out with `config: { rateLimit: false }`). */
export async function registerRateLimits (app: FastifyInstance, tiers: RateLimitTiers): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    keyGenerator: (req) => `${tierOf(req)}:${req.principal?.sub ?? req.ip}`,
    max: (req) => tiers[tierOf(req)],
    addHeadersOnExceeding: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true },
    addHeaders: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true, 'retry-after': true },
    errorResponseBuilder: (_req, ctx) => new errors.LUCID_ERR_3001(`${Math.max(1, Math.ceil(ctx.ttl / 1000))} s (limit ${ctx.max} per minute)`)
  })
}

/**
 * A per-key token bucket of bytes: `rate` bytes per second, holding at most `rate` (one second of burst,
 * but a single chunk larger than that is admitted when the bucket is full, so no chunk size is banned).
 */
export class ByteBudget {
  readonly #rate: number
  readonly #clock: Clock
  readonly #buckets = new Map<string, { level: number, at: number }>()

  constructor (bytesPerS: number, clock: Clock) {
    this.#rate = bytesPerS
    this.#clock = clock
  }

  /** Takes `bytes` from `key`'s bucket, or throws LUCID_ERR_3001 with `retryAfterS` when it is short. */
  take (key: string, bytes: number): void {
    const now = this.#clock.now()
    const b = this.#buckets.get(key) ?? { level: this.#rate, at: now }
    b.level = Math.min(this.#rate, b.level + ((now - b.at) / 1000) * this.#rate)
    b.at = now
    const full = b.level >= this.#rate
    if (b.level < bytes && !full) {
      this.#buckets.set(key, b)
      const retryS = Math.max(1, Math.ceil((Math.min(bytes, this.#rate) - b.level) / this.#rate))
      throw Object.assign(new errors.LUCID_ERR_3001(`${retryS} s (upload limit ${this.#rate / 1e6} MB/s)`), { retryAfterS: retryS })
    }
    b.level -= bytes
    this.#buckets.set(key, b)
    // Forget buckets that have refilled: they hold nothing a fresh bucket would not.
    if (this.#buckets.size > 10_000) for (const [k, v] of this.#buckets) if (v.level + ((now - v.at) / 1000) * this.#rate >= this.#rate) this.#buckets.delete(k)
  }
}
