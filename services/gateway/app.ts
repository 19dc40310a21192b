/**
 * The fastify application: plugins, hooks and routes of the gateway, with no I/O of its own (server.ts
 * opens the stores and listens). Every route is served at the root paths of the load contract and again
 * under /api/v1 (the real gateway's prefix).
 *
 * Order matters and is deliberate:
 * 1. error handling (every answer, even from plugins, is `{"error": {"code", "message"}}`);
 * 2. OpenAPI (@fastify/swagger collects routes as they are added, so it comes before them);
 * 3. JWT, then the `identify` hook that records the caller (global onRequest: runs before any route hook);
 * 4. the per-route accounting (http-metrics.ts: its onRoute hook must see every route added after it);
 * 5. the rate limiter (its onRequest hook keys on the caller identified in 3), then the not-found handler
 *    behind it (unmatched routes are limited too);
 * 6. routes, whose `guard` runs in preParsing: after the limiter, before the body is read.
 *
 * Logging: a pino logger given in `deps.logger` (logging.ts), with per-request lines at debug only
 * (request-logging.ts); without one, fastify logs nothing.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Logger } from 'pino'
import fastifyJwt from '@fastify/jwt'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import swagger from '@fastify/swagger'
import type { Database } from '../db/index.ts'
import type { Codec } from '../session/codec.ts'
import { AccountService } from './accounts.ts'
import { identify } from './auth/guard.ts'
import { KdfThreads, kdfThreadPlan } from './auth/hash-threads.ts'
import { KdfPool, scryptMaxmem, type Derive } from './auth/passwords.ts'
import { TokenService, jwtPluginOptions } from './auth/tokens.ts'
import { ChallengeStore } from './auth/wallet.ts'
import type { ChainPort } from './chain-port.ts'
import { describeKdf, describeRateLimits, type GatewayConfig } from './config.ts'
import { ConnectionCount } from './connections.ts'
import type { GatewayContext } from './context.ts'
import { clientError, installErrorHandling, installNotFound, sendError } from './error-handler.ts'
import { HttpMetrics } from './http-metrics.ts'
import { createMetricsRegistry } from './prometheus.ts'
import { ByteBudget, WindowBudget, registerRateLimits } from './rate-limit.ts'
import { adminRoutes } from './routes/admin.ts'
import { authRoutes } from './routes/auth.ts'
import { chainRoutes } from './routes/chain.ts'
import { chunkRoutes } from './routes/chunks.ts'
import { healthRoutes } from './routes/health.ts'
import { observabilityRoutes } from './routes/observability.ts'
import { sessionRoutes } from './routes/sessions.ts'
import { userRoutes } from './routes/users.ts'
import { GatewayLogController, childLoggerFactory, logsPerRequest } from './request-logging.ts'
import { SessionCounters } from './session-counters.ts'
import { SessionService } from './sessions.ts'
import { GatewayStats } from './stats.ts'
import type { GatewayStore } from './store.ts'

/** The prefix under which every route is served a second time. */
export const API_PREFIX = '/api/v1'

/** What the application is built from (opened by server.ts, or by tests). */
export interface AppDeps {
  readonly config: GatewayConfig
  readonly db: Database
  readonly store: GatewayStore
  /** 32 bytes: the session pipeline's master key. */
  readonly masterKey: Uint8Array
  /** Directory of the session recordings. */
  readonly sessionsRoot: string
  /** The gzip codec shared by all recordings (not closed by the app). */
  readonly codec: Codec
  /** The chain, or undefined when none is wired (chain routes answer 503 LUCID_ERR_5004). */
  readonly chain: ChainPort | undefined
  /** Why there is no chain, for GET /config and the banner (used when `chain` is undefined). */
  readonly chainAbsentReason?: string
  /** HMAC key of the tokens (at least 32 bytes). */
  readonly jwtSecret: Uint8Array
  /** The pino logger (createGatewayLogger), or none (default): fastify then logs nothing. */
  readonly logger?: Logger
  /** The key derivation behind the hashing pool (default scrypt); tests hold it back to fill the pool. */
  readonly kdfDerive?: Derive
  /** fsync chunk files before acknowledging (default true; false only for benchmarks of what it costs). */
  readonly durable?: boolean
  /** How acknowledged writes are made durable, for GET /config (default: as `durable` says). */
  readonly durability?: string
}

/** The built application and its services. */
export interface GatewayApp {
  readonly app: FastifyInstance
  readonly ctx: GatewayContext
}

/** Builds (does not listen) the gateway application. */
export async function buildApp(deps: AppDeps): Promise<GatewayApp> {
  if (deps.jwtSecret.length < 32) throw new RangeError('the JWT secret must have at least 32 bytes')
  const { config } = deps
  const perRequest = deps.logger !== undefined && logsPerRequest(deps.logger)
  const logging: Partial<FastifyServerOptions> =
    deps.logger === undefined
      ? { logger: false }
      : { loggerInstance: deps.logger, logController: new GatewayLogController(perRequest), childLoggerFactory: childLoggerFactory(perRequest) }
  const app = Fastify({
    ...logging,
    bodyLimit: config.jsonBodyLimit,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    // Bodies are validated as sent: no coercion of "30" into 30, unknown fields refused by the schemas.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Bad URLs (invalid percent-encoding) answer in the same shape as every other error.
    frameworkErrors: (err, req, reply) => {
      sendError(reply, err, req)
    },
    // ... and so do requests node:http refuses before fastify sees them (oversize headers, bad HTTP).
    clientErrorHandler: clientError,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    keepAliveTimeout: 72_000,
    requestIdHeader: false
  })
  installErrorHandling(app)

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Lucid RDP API gateway',
        version: '1.0.0',
        description: 'The load contract, sessions, chunks, chain and admin routes. Every error answer is {"error":{"code","message"}} (docs/errors.md).'
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } }
    }
  })
  await app.register(fastifyJwt, jwtPluginOptions(deps.jwtSecret))

  const tokens = new TokenService(app, config.clock, config.accessTtlS, config.refreshTtlS, deps.store)
  await tokens.load()
  const limits = config.rateLimits
  // Hashes run on lowered-priority threads of their own, as many as the pool admits (auth/hash-threads.ts).
  const hashThreads = deps.kdfDerive === undefined ? new KdfThreads({ threads: config.kdfConcurrency, nice: kdfThreadPlan().nice }) : undefined
  const pool = new KdfPool(
    config.kdfConcurrency,
    config.kdfQueueLimit,
    deps.kdfDerive ?? hashThreads?.derive(scryptMaxmem),
    limits === false ? undefined : limits.hashesPerAddress
  )
  app.addHook('onClose', async () => {
    await hashThreads?.close()
  })
  const http = new HttpMetrics(() => config.clock.now())
  const stats = new GatewayStats(http)
  const connections = new ConnectionCount()
  connections.track(app.server)
  const counters = new SessionCounters()
  const sessions = new SessionService({
    db: deps.db,
    store: deps.store,
    root: deps.sessionsRoot,
    masterKey: deps.masterKey,
    codec: deps.codec,
    chain: deps.chain,
    clock: config.clock,
    counters,
    durable: deps.durable ?? true
  })
  const challenges = new ChallengeStore(config.clock, config.challengeTtlS)
  const ctx: GatewayContext = {
    config,
    db: deps.db,
    store: deps.store,
    accounts: new AccountService({
      db: deps.db,
      store: deps.store,
      pool,
      policy: config.kdf,
      clock: config.clock,
      ...(limits === false ? {} : { creations: new WindowBudget(limits.accountsPerAddress, 3600_000, config.clock) })
    }),
    sessions,
    tokens,
    challenges,
    pool,
    chain: deps.chain,
    uploads: config.rateLimits === false ? undefined : new ByteBudget(config.rateLimits.uploadBytesPerS, config.clock),
    stats,
    http,
    metrics: createMetricsRegistry({ http, connections, chain: deps.chain, db: deps.db, sessions, counters, pool, challenges }),
    startedAt: config.clock.now(),
    conditions: {
      kdf: describeKdf(config.kdf),
      kdf_params: { N: config.kdf.N, r: config.kdf.r, p: config.kdf.p },
      kdf_concurrency: pool.concurrency,
      kdf_queue_limit: pool.queueLimit,
      rate_limits: describeRateLimits(config.rateLimits),
      load_test: config.loadTest,
      db: deps.db.engine.description,
      chain: deps.chain?.description ?? `none: ${deps.chainAbsentReason ?? 'no chain wired'}`,
      access_token_ttl_s: config.accessTtlS,
      refresh_token_ttl_s: config.refreshTtlS,
      max_chunk_bytes: config.maxChunkBytes,
      durability: deps.durability ?? (deps.durable === false ? 'off' : 'synced before acknowledging')
    }
  }

  // Draining: idle keep-alive connections are closed when closing starts (forceCloseConnections 'idle'),
  // but a connection busy with a request becomes idle only after answering, and would then stay open
  // until its keep-alive timeout (72 s). While closing, idle connections are closed every 100 ms, which
  // costs nothing per request in normal operation (no per-request hook).
  let sweeper: NodeJS.Timeout | undefined
  app.addHook('preClose', async () => {
    sweeper = setInterval(() => {
      app.server.closeIdleConnections()
    }, 100)
    sweeper.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(sweeper)
  })
  // Expired refresh families are forgotten (and revoked ones dropped from memory) every 10 minutes.
  const familySweep = setInterval(() => {
    tokens.load().catch((err: unknown) => app.log.warn({ err }, 'sweeping refresh-token families failed'))
  }, 600_000)
  familySweep.unref()
  app.addHook('onClose', async () => {
    clearInterval(familySweep)
  })
  app.addHook('onRequest', identify(tokens))
  http.install(app)
  app.addHook('onClose', async () => {
    stats.close()
  })
  installNotFound(app, config.rateLimits !== false ? await registerRateLimits(app, config.rateLimits) : undefined)

  const routes = async (plain: FastifyInstance): Promise<void> => {
    // The routes' request and reply types come from their schemas (schemas/common.ts GatewayApp).
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>()
    await healthRoutes(scope, ctx)
    await observabilityRoutes(scope, ctx)
    await authRoutes(scope, ctx)
    await userRoutes(scope, ctx)
    await sessionRoutes(scope, ctx)
    await chainRoutes(scope, ctx)
    await adminRoutes(scope, ctx)
    await scope.register(async (chunks) => {
      await chunkRoutes(chunks, ctx)
    })
  }
  await app.register(routes)
  await app.register(routes, { prefix: API_PREFIX })

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  return { app, ctx }
}
