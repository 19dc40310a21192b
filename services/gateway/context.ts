/**
 * What the route modules share: the services of one running gateway. Built once by app.ts.
 */
import type { Registry } from 'prom-client'
import type { Database } from '../db/index.ts'
import type { AccountService } from './accounts.ts'
import type { KdfPool } from './auth/passwords.ts'
import type { TokenService } from './auth/tokens.ts'
import type { ChallengeStore } from './auth/wallet.ts'
import type { ChainPort } from './chain-port.ts'
import type { GatewayConfig } from './config.ts'
import type { HttpMetrics } from './http-metrics.ts'
import type { ByteBudget } from './rate-limit.ts'
import type { SessionService } from './sessions.ts'
import type { GatewayStore } from './store.ts'
import type { GatewayStats } from './stats.ts'

/** The conditions a measurement against this gateway must report (GET /config). */
export interface GatewayConditions {
  /** e.g. `scrypt N=2^17 r=8 p=1` */
  kdf: string
  kdf_params: { N: number; r: number; p: number }
  kdf_concurrency: number
  kdf_queue_limit: number
  /** e.g. `public 100/min, ...` or `off (--load-test)` */
  rate_limits: string
  load_test: boolean
  /** The database engine that answered (e.g. `LevelDB (classic-level 3)`). */
  db: string
  /** The chain's description, or why there is none. */
  chain: string
  access_token_ttl_s: number
  refresh_token_ttl_s: number
  max_chunk_bytes: number
  /** How acknowledged writes are made durable (group commit, one fsync each, or off in a benchmark). */
  durability: string
}

/** The running gateway's services. */
export interface GatewayContext {
  readonly config: GatewayConfig
  readonly db: Database
  /** The gateway's own records (password hashes, session attributes). */
  readonly store: GatewayStore
  readonly accounts: AccountService
  readonly sessions: SessionService
  readonly tokens: TokenService
  readonly challenges: ChallengeStore
  readonly pool: KdfPool
  readonly chain: ChainPort | undefined
  /** The upload bandwidth budget, absent when limits are lifted. */
  readonly uploads: ByteBudget | undefined
  readonly conditions: GatewayConditions
  readonly stats: GatewayStats
  /** Answers and durations per route (behind /metrics, /debug/timing and the admin dashboard). */
  readonly http: HttpMetrics
  /** What GET /metrics serves. */
  readonly metrics: Registry
  /** ms since the epoch */
  readonly startedAt: number
}
