/**
 * The Lucid API gateway (fastify 5): the original load contract at the root paths and under /api/v1,
 * password (scrypt) and TRON wallet login with HS256 access/refresh tokens, roles, rate-limit tiers,
 * sessions with chunk upload into the session pipeline and verified playback, the chain routes through a
 * narrow ChainPort, admin routes and an OpenAPI document. docs/gateway.md has the routes table.
 *
 * ```ts
 * const g = await openGateway({ port: 8080, dataDir: '.lucid-data', config: { loadTest: true }, seedDemo: true })
 * console.log(g.url, g.ctx.conditions.kdf)
 * await g.close()                                   // drains requests in flight, closes the stores
 * ```
 * Benchmarks run it in a child process through `start` (load/server-process.ts).
 */

/** Open a whole gateway (stores, keys, app, listen), and the harness's child-process entry. */
export { openGateway, start } from './server.ts'
/** The HTTP client of the gateway's API (cases, chaos suites, tests). */
export { errorCodeOf, gatewayCall, gatewayJson, type GatewayAnswer, type GatewayCallOptions, type JsonRecord } from './client.ts'
/** Options and handle of a running gateway. */
export type { Gateway, GatewayOptions } from './server.ts'

/** Build the fastify app alone from opened dependencies (tests, embedding). */
export { buildApp, API_PREFIX } from './app.ts'
export type { AppDeps, GatewayApp } from './app.ts'

/** Configuration: KDF costs, rate-limit tiers, token lifetimes. */
export { resolveConfig, describeKdf, describeRateLimits, DEFAULT_KDF, LOAD_TEST_KDF, DEFAULT_TIERS } from './config.ts'
export type { GatewayConfig, KdfParams, RateLimitTiers } from './config.ts'
export type { GatewayConditions, GatewayContext } from './context.ts'

/** The port the chain is adapted to, and its wire shapes. */
export type {
  ChainPort,
  ChainInfo,
  BlockView,
  AnchorView as ChainAnchorView,
  TxReceipt,
  TxStatus,
  ConsensusStatus,
  NodeStatus,
  TransactionSubmission,
  DataAnchorRequest,
  SessionAnchorRequest
} from './chain-port.ts'

/** The load contract's demo accounts and what seeding did. */
export { demoAccounts } from './accounts.ts'
export type { DemoAccount, SeedReport } from './accounts.ts'

/** Roles and their ladder. */
export { ROLES, hasRole } from './auth/roles.ts'
export type { Role, Principal } from './auth/roles.ts'

/** TRON wallet message signing helpers (what a wallet signs, how an address is derived). */
export {
  tronMessageDigest,
  tronAddressFromPublicKey,
  signTronMessage,
  recoverTronSigner,
  isTronAddress,
  TRON_MESSAGE_PREFIX,
  walletRecovery,
  MAX_OUTSTANDING_CHALLENGES,
  nobleRecovery,
  loadNativeRecovery,
  type Secp256k1Recovery
} from './auth/wallet.ts'

/** Password hashing parameters helpers. */
export { scryptMaxmem } from './auth/passwords.ts'
export type { PasswordHash } from './auth/passwords.ts'

/** Logging: the pino logger with redaction, and where its level comes from (docs/observability.md). */
export { createGatewayLogger, resolveLogLevel, LOG_LEVELS, LOG_LEVEL_ENV, DEFAULT_LOG_LEVEL, REDACT_PATHS } from './logging.ts'
export type { LogLevel } from './logging.ts'

/** Observability: the reference metric names /metrics exports, and the shape of GET /debug/timing. */
export { REFERENCE_METRICS } from './prometheus.ts'
export { DURATION_BUCKETS_S, UNMATCHED_ROUTE } from './http-metrics.ts'
export type { TimingView, RouteTimingView } from './routes/observability.ts'
export type { ChainTelemetry } from './chain-port.ts'

/** The error body every 4xx/5xx answer has. */
export type { ErrorBody } from './error-handler.ts'
