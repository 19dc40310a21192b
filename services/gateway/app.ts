/**
 * The fastify application: plugins, hooks and routes of the gateway, with no I/O of its own (server.ts
 * opens the stores and listens). Every route is served at the root paths of the load contract and again
 * under /api/v1 (the real gateway's prefix).
 *
 * Order matters and is deliberate:
 * 1. error handling (every answer, even from plugins, is `{"error": {"code", "message"}}`);
 * 2. OpenAPI (@fastify/swagger collects routes as they are added, so it comes before them);
 * 3. JWT, then the `identify` hook that records the caller (global onRequest: runs before any route hook);
 * 4. the rate limiter (its onRequest hook keys on the caller identified in 3);
 * 5. routes, whose `guard` runs in preParsing: after the limiter, before the body is read.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyJwt from '@fastify/jwt'
import swagger from '@fastify/swagger'
import type { Database } from '../db/index.ts'
import type { Codec } from '../session/codec.ts'
import { AccountService } from './accounts.ts'
import { identify } from './auth/guard.ts'
import { KdfPool, type Derive } from './auth/passwords.ts'
import { TokenService, jwtPluginOptions } from './auth/tokens.ts'
import { ChallengeStore } from './auth/wallet.ts'
import type { ChainPort } from './chain-port.ts'
import { describeKdf, describeRateLimits, type GatewayConfig } from './config.ts'
import type { GatewayContext } from './context.ts'
import { installErrorHandling, sendError } from './error-handler.ts'
import { ByteBudget, registerRateLimits } from './rate-limit.ts'
import { adminRoutes } from './routes/admin.ts'
import { authRoutes } from './routes/auth.ts'
import { chainRoutes } from './routes/chain.ts'
import { chunkRoutes } from './routes/chunks.ts'
import { healthRoutes } from './routes/health.ts'
import { sessionRoutes } from './routes/sessions.ts'
import { userRoutes } from './routes/users.ts'
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
  /** pino logger options, or false (default) for none. */
  readonly logger?: boolean | Record<string, unknown>
  /** The key derivation behind the hashing pool (default scrypt); tests hold it back to fill the pool. */
  readonly kdfDerive?: Derive
}

/** The built application and its services. */
export interface GatewayApp {
  readonly app: FastifyInstance
  readonly ctx: GatewayContext
}

/** Builds (does not listen) the gateway application. */
export async function buildApp (deps: AppDeps): Promise<GatewayApp> {
  if (deps.jwtSecret.length < 32) throw new RangeError('the JWT secret must have at least 32 bytes')
  const { config } = deps
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: config.jsonBodyLimit,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    // Bodies are validated as sent: no coercion of "30" into 30, unknown fields refused by the schemas.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Bad URLs (invalid percent-encoding) answer in the same shape as every other error.
    frameworkErrors: (err, req, reply) => { sendError(reply, err, req) },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    keepAliveTimeout: 72_000,
    requestIdHeader: false
  })
  installErrorHandling(app)

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Lucid RDP API gateway', version: '1.0.0', description: 'The load contract, sessions, chunks, chain and admin routes. Every error answer is {"error":{"code","message"}} (docs/errors.md).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } }
    }
  })
  await app.register(fastifyJwt, jwtPluginOptions(deps.jwtSecret))

  const tokens = new TokenService(app, config.clock, config.accessTtlS, config.refreshTtlS)
  const pool = new KdfPool(config.kdfConcurrency, config.kdfQueueLimit, deps.kdfDerive)
  const stats = new GatewayStats()
  const ctx: GatewayContext = {
    config,
    db: deps.db,
    store: deps.store,
    accounts: new AccountService({ db: deps.db, store: deps.store, pool, policy: config.kdf, clock: config.clock }),
    sessions: new SessionService({ db: deps.db, store: deps.store, root: deps.sessionsRoot, masterKey: deps.masterKey, codec: deps.codec, chain: deps.chain, clock: config.clock }),
    tokens,
    challenges: new ChallengeStore(config.clock, config.challengeTtlS),
    pool,
    chain: deps.chain,
    uploads: config.rateLimits === false ? undefined : new ByteBudget(config.rateLimits.uploadBytesPerS, config.clock),
    stats,
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
      max_chunk_bytes: config.maxChunkBytes
    }
  }

  // Draining: idle keep-alive connections are closed when closing starts (forceCloseConnections 'idle'),
  // but a connection busy with a request becomes idle only after answering, and would then stay open
  // until its keep-alive timeout (72 s). While closing, idle connections are closed every 100 ms, which
  // costs nothing per request in normal operation (no per-request hook).
  let sweeper: NodeJS.Timeout | undefined
  app.addHook('preClose', async () => {
    sweeper = setInterval(() => { app.server.closeIdleConnections() }, 100)
    sweeper.unref()
  })
  app.addHook('onClose', async () => { clearInterval(sweeper) })
  app.addHook('onRequest', identify(tokens))
  stats.install(app)
  app.addHook('onClose', async () => { stats.close() })
  if (config.rateLimits !== false) await registerRateLimits(app, config.rateLimits)

  const routes = async (scope: FastifyInstance): Promise<void> => {
    await healthRoutes(scope, ctx)
    await authRoutes(scope, ctx)
    await userRoutes(scope, ctx)
    await sessionRoutes(scope, ctx)
    await chainRoutes(scope, ctx)
    await adminRoutes(scope, ctx)
    await scope.register(async (chunks) => { await chunkRoutes(chunks, ctx) })
  }
  await app.register(routes)
  await app.register(routes, { prefix: API_PREFIX })

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  return { app, ctx }
}
