/**
 * The gateway's configuration: password-hashing cost, token lifetimes, rate-limit tiers and body limits.
 * Every knob that changes what a benchmark measures (the KDF cost, whether limits are on) is reported by
 * `GET /config` and printed by `lucid serve`, so a result is never quoted without its conditions.
 */
import { systemClock, type Clock } from '../common/clock.ts'
import { kdfThreadPlan } from './auth/hash-threads.ts'

/** scrypt parameters. Memory per hash is 128 * N * r * p bytes (128 MiB at the default). */
export interface KdfParams {
  readonly N: number
  readonly r: number
  readonly p: number
}

/**
 * OWASP's recommended scrypt cost (Password Storage Cheat Sheet): N=2^17, r=8, p=1. ~320 ms per hash on
 * one core here, 128 MiB of memory each: a password login cannot reach 500 req/s on 2 cores at this cost,
 * and that is the point of it.
 */
export const DEFAULT_KDF: KdfParams = Object.freeze({ N: 2 ** 17, r: 8, p: 1 })

/**
 * The `--load-test` cost: N=2^12, 32x cheaper than OWASP's (~9 ms per hash, 4 MiB). Never the default; always
 * announced (banner, GET /config). It was N=2^14 (~36 ms) until issue 27: the load scenarios' users log in as
 * they spawn and again in their loops, and at ~36 ms a hash (~50-60 ms on this shared machine) the hash alone
 * took half of the scenarios' 100 ms p95 budget, so POST /auth/login was every scenario's worst endpoint and
 * light failed on the hash itself, not on queueing (docs/gateway.md, "Logins under load").
 */
export const LOAD_TEST_KDF: KdfParams = Object.freeze({ N: 2 ** 12, r: 8, p: 1 })

/** Requests per minute of each rate-limit tier (docs/reference.md section 3). */
export interface RateLimitTiers {
  /** Unauthenticated requests, keyed on the client address. */
  readonly public: number
  /** Requests with a valid access token, keyed on its subject. */
  readonly authenticated: number
  /** Requests of an Admin (or SuperAdmin), keyed on its subject. */
  readonly admin: number
  /** Block queries (`/chain/blocks/*`, `/blocks/*`), a bucket of their own, for everyone but admins. */
  readonly blocks: number
  /** Chunk upload bandwidth per subject, bytes per second. */
  readonly uploadBytesPerS: number
  /**
   * Authenticated requests per minute from one client address, all its subjects together: accounts are
   * cheap to make (a wallet login costs two requests), so a subject budget alone would let one address
   * multiply its budget by making accounts.
   */
  readonly authenticatedPerAddress: number
  /** Accounts created per hour from one client address (password registrations and wallet first logins). */
  readonly accountsPerAddress: number
  /**
   * Password hashes one client address may have running or waiting at once (of `kdfQueueLimit` waiting
   * places): one address flooding logins is refused with 429 past its share instead of filling the queue
   * and turning everyone else's logins into 503s.
   */
  readonly hashesPerAddress: number
}

/**
 * The reference's tiers (100/min public, 1000/min authenticated, 10000/min admin, 500/min block queries,
 * 10 MB/s upload) and this gateway's per-address budgets: 5000 authenticated requests a minute, 20 new
 * accounts an hour, 4 password hashes in flight.
 */
export const DEFAULT_TIERS: RateLimitTiers = Object.freeze({
  public: 100,
  authenticated: 1000,
  admin: 10_000,
  blocks: 500,
  uploadBytesPerS: 10_000_000,
  authenticatedPerAddress: 5000,
  accountsPerAddress: 20,
  hashesPerAddress: 4
})

/** Everything the gateway's behaviour depends on. */
export interface GatewayConfig {
  /** scrypt cost used for new password hashes (stored hashes keep the cost they were made with). */
  readonly kdf: KdfParams
  /**
   * Hashes computed at once, on threads of their own (auth/hash-threads.ts). Default (kdfThreadPlan): one per
   * core on Linux, where the hashing threads run at nice 10 so that the event loop takes the core whenever it
   * has work; one per core but one elsewhere. (It was one per core but one everywhere: lucid chaos --suite
   * overload had measured /health p99 at 366 ms with 2 hashes at normal priority on 2 cores.)
   */
  readonly kdfConcurrency: number
  /** Logins allowed to wait for a hashing slot; one more is refused with 503 LUCID_ERR_3002. */
  readonly kdfQueueLimit: number
  /** Rate-limit tiers, or `false` when limits are lifted (`--load-test`). */
  readonly rateLimits: RateLimitTiers | false
  /** True under `--load-test` (cheaper KDF, no rate limits); reported by GET /config. */
  readonly loadTest: boolean
  /** Access token lifetime, seconds (15 min). */
  readonly accessTtlS: number
  /** Refresh token lifetime, seconds (7 days). */
  readonly refreshTtlS: number
  /** Wallet challenge lifetime, seconds. */
  readonly challengeTtlS: number
  /** Body limit of JSON routes, bytes. */
  readonly jsonBodyLimit: number
  /** Largest chunk accepted by an upload, bytes. */
  readonly maxChunkBytes: number
  /** Wall-clock time for tokens, challenges and records (injected by tests). */
  readonly clock: Clock
}

/** The configuration with `overrides` applied; `loadTest` switches the KDF cost and lifts the limits unless those are given. */
export function resolveConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  const loadTest = overrides.loadTest ?? false
  return {
    kdf: overrides.kdf ?? (loadTest ? LOAD_TEST_KDF : DEFAULT_KDF),
    kdfConcurrency: overrides.kdfConcurrency ?? kdfThreadPlan().threads,
    kdfQueueLimit: overrides.kdfQueueLimit ?? 64,
    rateLimits: overrides.rateLimits ?? (loadTest ? false : DEFAULT_TIERS),
    loadTest,
    accessTtlS: overrides.accessTtlS ?? 15 * 60,
    refreshTtlS: overrides.refreshTtlS ?? 7 * 24 * 3600,
    challengeTtlS: overrides.challengeTtlS ?? 5 * 60,
    jsonBodyLimit: overrides.jsonBodyLimit ?? 1024 * 1024,
    maxChunkBytes: overrides.maxChunkBytes ?? 16 * 1024 * 1024,
    clock: overrides.clock ?? systemClock
  }
}

/** `scrypt N=2^17 r=8 p=1`: how the KDF cost is printed and reported. */
export function describeKdf(k: KdfParams): string {
  const log = Math.log2(k.N)
  return `scrypt N=${Number.isInteger(log) ? `2^${log}` : String(k.N)} r=${k.r} p=${k.p}`
}

/** `public 100/min, authenticated 1000/min, ...` or `off (--load-test)`. */
export function describeRateLimits(t: RateLimitTiers | false): string {
  if (t === false) return 'off (--load-test)'
  return `public ${t.public}/min per address, authenticated ${t.authenticated}/min per subject and ${t.authenticatedPerAddress}/min per address, admin ${t.admin}/min, block queries ${t.blocks}/min, upload ${t.uploadBytesPerS / 1e6} MB/s, ${t.accountsPerAddress} new accounts/h and ${t.hashesPerAddress} password hashes in flight per address`
}
