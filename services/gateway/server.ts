/**
 * The whole gateway process: opens the data directory (database, gateway store, keys, recordings),
 * the chain when one is given, builds the app, optionally seeds the demo accounts, listens, and closes
 * it all in order.
 *
 * Data directory layout (`--data DIR`, default `.lucid-data`):
 *
 *   DIR/db/            the shared LevelDB (`lucid db stats --data DIR/db` reads it); absent with --db mongodb
 *   DIR/gateway/       the gateway store: password hashes, session attributes and anchor receipts
 *   DIR/sessions/<id>/ one recording per session (chunks, recording.json, manifest.json)
 *   DIR/master.key     the session pipeline's master key (0600; LUCID_MASTER_KEY overrides)
 *   DIR/jwt.key        the HMAC key of the tokens (0600), so tokens survive a restart
 *   DIR/chain/         the chain's block archive (genesis.json, blocks.jsonl), when a chain runs
 *   DIR/gateway-chain.key  the gateway's chain account (Ed25519 seed, 0600), when a chain runs
 *
 * Closing drains: fastify stops accepting, answers 503 to requests arriving meanwhile, waits for those in
 * flight, then the open recordings are left resumable, the chain stops and the stores close.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import pino, { type Logger } from 'pino'
import { openDatabase, type Database } from '../db/index.ts'
import { createZlibCodec, loadMasterKey, type KeySource } from '../session/index.ts'
import type { SeedReport } from './accounts.ts'
import type { Derive } from './auth/passwords.ts'
import { buildApp, type GatewayApp } from './app.ts'
import type { ChainPort } from './chain-port.ts'
import { DEFAULT_KDF, resolveConfig, type GatewayConfig } from './config.ts'
import { openChainPort } from './chain-adapter.ts'
import { loadOrCreateKey } from './key-file.ts'
import { LOG_LEVEL_ENV, createGatewayLogger, resolveLogLevel } from './logging.ts'
import { GatewayStore } from './store.ts'

/** Options of openGateway. */
export interface GatewayOptions {
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Default 8080; 0 picks a free port. */
  readonly port?: number
  /** Data directory; default: a fresh temporary directory, removed on close. */
  readonly dataDir?: string
  /** Database backend, default level (embedded). mongodb: MONGODB_URI, else mongodb-memory-server. */
  readonly db?: 'level' | 'mongodb'
  /** Configuration overrides (`loadTest: true` for --load-test). */
  readonly config?: Partial<GatewayConfig>
  /** Create the load contract's accounts before listening. */
  readonly seedDemo?: boolean
  /**
   * The chain, or a factory called once the data directory and the database are open (the gateway closes
   * it). Without one, the chain routes answer 503 LUCID_ERR_5004 and `chainAbsentReason` says why.
   */
  readonly chain?: ChainPort | ((dataDir: string, db: Database) => Promise<ChainPort>)
  readonly chainAbsentReason?: string
  /** The pino logger (createGatewayLogger in logging.ts), or none (default: nothing is logged). */
  readonly logger?: Logger
  /** Environment for LUCID_MASTER_KEY (default process.env). */
  readonly env?: NodeJS.ProcessEnv
  /** The hashing pool's key derivation (default scrypt; tests only). */
  readonly kdfDerive?: Derive
  /**
   * How acknowledged writes are made durable (docs/gateway.md, "Durability"): 'group' (default) fsyncs
   * before every acknowledgement, concurrent ones sharing one fsync; 'each' one fsync per write; 'off'
   * none (survives kill -9, not a power cut): only for benchmarks measuring what durability costs.
   */
  readonly sync?: GatewaySync
}

/** How the gateway makes acknowledged writes durable. */
export type GatewaySync = 'group' | 'each' | 'off'

/** A listening gateway. */
export interface Gateway extends GatewayApp {
  readonly url: string
  readonly host: string
  readonly port: number
  readonly dataDir: string
  /** True when the data directory is temporary (removed on close). */
  readonly temporary: boolean
  readonly config: GatewayConfig
  readonly masterKeySource: KeySource
  /** What seeding did, when asked. */
  readonly seed: SeedReport | undefined
  /** Drains requests in flight and closes everything; idempotent. */
  close(): Promise<void>
}

/** Opens everything and listens. On failure, whatever was opened is closed again. */
export async function openGateway(opts: GatewayOptions = {}): Promise<Gateway> {
  const config = resolveConfig(opts.config)
  const temporary = opts.dataDir === undefined
  const dataDir = opts.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'lucid-gateway-')) : resolve(opts.dataDir)
  const cleanups: Array<() => Promise<void>> = []
  const closeAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => {})
    cleanups.length = 0
    if (temporary) await rm(dataDir, { recursive: true, force: true })
  }
  try {
    await mkdir(join(dataDir, 'sessions'), { recursive: true })
    const backend = opts.db ?? 'level'
    const sync = opts.sync ?? 'group'
    // Synced: the database's commits acknowledge uploads, sessions, accounts and the block mirror.
    const db: Database =
      backend === 'level'
        ? await openDatabase({ backend, path: join(dataDir, 'db'), sync: sync !== 'off', groupCommit: sync === 'group' })
        : await openDatabase({ backend })
    cleanups.push(async () => {
      await db.close()
    })
    const store = await GatewayStore.open(join(dataDir, 'gateway'), { sync })
    cleanups.push(async () => {
      await store.close()
    })
    const { key: masterKey, source: masterKeySource } = await loadMasterKey(join(dataDir, 'master.key'), true, opts.env ?? process.env)
    const { key: jwtSecret } = await loadOrCreateKey(join(dataDir, 'jwt.key'), 32)
    const codec = createZlibCodec()
    cleanups.push(async () => {
      await codec.close()
    })
    const chain = typeof opts.chain === 'function' ? await opts.chain(dataDir, db) : opts.chain
    if (chain !== undefined)
      cleanups.push(async () => {
        await chain.close()
      })

    const built = await buildApp({
      config,
      db,
      store,
      masterKey,
      codec,
      chain,
      jwtSecret,
      sessionsRoot: join(dataDir, 'sessions'),
      ...(opts.chainAbsentReason !== undefined ? { chainAbsentReason: opts.chainAbsentReason } : {}),
      ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
      ...(opts.kdfDerive !== undefined ? { kdfDerive: opts.kdfDerive } : {}),
      durable: sync !== 'off',
      durability: describeSync(sync, backend)
    })
    // Closed first: stop taking requests and drain them, then the recordings, then the stores.
    cleanups.push(async () => {
      await built.ctx.sessions.close()
    })
    cleanups.push(async () => {
      await built.app.close()
    })

    const seed = opts.seedDemo === true ? await built.ctx.accounts.seedDemo() : undefined
    const host = opts.host ?? '127.0.0.1'
    await built.app.listen({ host, port: opts.port ?? 8080 })
    const port = (built.app.server.address() as AddressInfo).port
    let closing: Promise<void> | undefined
    return {
      ...built,
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      host,
      port,
      dataDir,
      temporary,
      config,
      masterKeySource,
      seed,
      close: () => (closing ??= closeAll())
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}

/** What GET /config and the banner say about durability. */
export function describeSync(sync: GatewaySync, backend: 'level' | 'mongodb'): string {
  const db = backend === 'level' ? 'database' : 'database (MongoDB: as its write concern; not synced by the gateway)'
  if (sync === 'off') return `off: nothing fsynced before acknowledging (survives kill -9, not a power cut; benchmarks only)`
  return `${sync === 'group' ? 'group commit (concurrent acknowledgements share one fsync)' : 'one fsync per write'}: ${db}, gateway store, chunk files and block log synced before acknowledging`
}

/**
 * The benchmark harness's server entry (load/server-process.ts runs it in a child process):
 * a gateway on a temporary data directory unless `dataDir` is given. Options: `loadTest` (default true:
 * benchmarks measure the gateway, not scrypt, unless they ask), `seedDemo` (default true), `dataDir`,
 * `validators` (default 4, like `lucid serve`: the chain's devnet runs in the process; 0 runs none, and
 * the chain routes answer 503), `logLevel` (default LUCID_LOG_LEVEL, else warn), `sync` ('group', 'each',
 * 'off': how acknowledged writes are made durable, default 'group').
 *
 * Logging is on, as in `lucid serve`, but to stderr and at warn unless asked: the harness shares its
 * terminal with the server, and info adds only the start-up and shutdown lines (per-request lines are
 * debug in both), so the request path measured is the same one `lucid serve` runs at info.
 */
export async function start(opts: { host: string; port: number } & Record<string, unknown>): Promise<{ port: number; close(): Promise<void> }> {
  const validators = typeof opts.validators === 'number' ? opts.validators : 4
  const level = resolveLogLevel(typeof opts.logLevel === 'string' ? opts.logLevel : undefined, { [LOG_LEVEL_ENV]: process.env[LOG_LEVEL_ENV] ?? 'warn' })
  const g = await openGateway({
    logger: createGatewayLogger(level, pino.destination({ dest: 2, sync: true })),
    host: opts.host,
    port: opts.port,
    // `kdf: 'default'` keeps the production hashing cost while the load-test mode lifts the rate limits
    // (the password-login benchmark measures the real cost, not the lowered one).
    config: { loadTest: opts.loadTest !== false, ...(opts.kdf === 'default' ? { kdf: DEFAULT_KDF } : {}) },
    seedDemo: opts.seedDemo !== false,
    // `sync: 'off' | 'each'` lets a benchmark measure what durability costs (default group commit).
    ...(opts.sync === 'off' || opts.sync === 'each' || opts.sync === 'group' ? { sync: opts.sync } : {}),
    ...(typeof opts.dataDir === 'string' ? { dataDir: opts.dataDir } : {}),
    ...(validators > 0
      ? { chain: async (dataDir: string, db: Database) => await openChainPort({ validators, dataDir, db }) }
      : { chainAbsentReason: 'started with validators: 0' })
  })
  return { port: g.port, close: g.close }
}
