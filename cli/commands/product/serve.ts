/**
 * `lucid serve` (docs/interfaces.md section 1): the whole system in one process on embedded defaults.
 *
 *   lucid serve [--port 8080] [--host 127.0.0.1] [--data DIR] [--db level|mongodb] [--validators N]
 *               [--seed-demo] [--load-test] [--log-level LEVEL] [--chain MULTIADDR]
 *
 * Prints, at start-up, the URL, the data directory, the database, the password-hashing cost and the
 * rate-limit mode in effect, the chain, and what --seed-demo and --load-test changed. The chain is the PoOT
 * devnet with --validators N nodes in this process on real timers (services/gateway/chain-adapter.ts),
 * resumed from DIR/chain when the data directory holds one. SIGINT or SIGTERM drains requests in flight,
 * leaves open recordings resumable, stops the validators (their last final blocks written) and closes the
 * stores; a second signal
 * stops at once (node's default, the handlers are removed after the first). Bad flags throw LUCID_ERR_9001/9003 (the CLI prints one line, exit 2).
 *
 * Logs are pino JSON lines on stdout after the banner, at --log-level, else LUCID_LOG_LEVEL, else info
 * (docs/observability.md); per-request lines appear at debug.
 */
import { parseFlags } from '../../args.ts'
import { errors } from '../../../services/common/errors.ts'
import { DEFAULT_KDF, describeKdf, openGateway, type Gateway, type GatewayOptions } from '../../../services/gateway/index.ts'
import { openChainPort, openRemoteChainPort } from '../../../services/gateway/chain-adapter.ts'
import { LOG_LEVELS, createGatewayLogger, resolveLogLevel, type LogLevel } from '../../../services/gateway/logging.ts'

/** Where serve writes, and how it is stopped (injectable for tests). */
export interface ServeIo {
  readonly out: NodeJS.WritableStream
  readonly err: NodeJS.WritableStream
  readonly env: NodeJS.ProcessEnv
  /** Stops the server like SIGINT does (tests); process signals are handled when absent. */
  readonly stop?: AbortSignal
  /** Called once the gateway listens. */
  readonly onListening?: (g: Gateway) => void
}

const USAGE =
  'lucid serve [--port 8080] [--host 127.0.0.1] [--data DIR] [--db level|mongodb] [--validators N] [--seed-demo] [--load-test] [--log-level LEVEL] [--chain MULTIADDR]'

const HELP = `${USAGE}

  --port N        TCP port (default 8080; 0 picks a free one)
  --host H        address to listen on (default 127.0.0.1)
  --data DIR      data directory (default .lucid-data): DIR/db, DIR/gateway, DIR/sessions, DIR/chain, keys
  --db B          level (embedded, default) or mongodb (MONGODB_URI, else mongodb-memory-server)
  --validators N  PoOT validators run in-process, in real time (default 4); a data directory
                  keeps its chain, so a restart needs the same N
  --chain ADDR    use an external chain instead of in-process validators: join the node at ADDR
                  (/ip4/H/tcp/P/p2p/ID, e.g. one 'lucid devnet' printed) over libp2p as a following
                  node that validates every block and votes in no round
  --seed-demo     create the load contract's accounts: test_user_1..100 / test_password_123,
                  session_user_1..50 / session_password_123, admin / admin_password_123
  --load-test     password hashing at scrypt N=2^12 instead of N=2^17, and no rate limits
                  (for load generators on one machine; printed here and reported by GET /config)
  --log-level L   ${LOG_LEVELS.join('|')} (default LUCID_LOG_LEVEL, else info): pino JSON
                  lines on stdout; one line per request at debug

Routes: docs/gateway.md; OpenAPI document at /openapi.json. Metrics: GET /metrics (docs/observability.md).`

interface ServeFlags {
  readonly port: number
  readonly host: string
  readonly data: string
  readonly db: 'level' | 'mongodb'
  readonly validators: number
  /** --chain: a node of an external chain to follow instead of the in-process validators. */
  readonly chain?: string
  readonly seedDemo: boolean
  readonly loadTest: boolean
  /** --log-level when given (checked); LUCID_LOG_LEVEL and the default apply in serveCommand. */
  readonly logLevel?: LogLevel
}

/** node:util's parse of serve's flags (throws on an unknown flag). */
function parseServeArgv(args: string[]) {
  return parseFlags(args, 'serve', {
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      db: { type: 'string' },
      validators: { type: 'string' },
      chain: { type: 'string' },
      'seed-demo': { type: 'boolean' },
      'load-test': { type: 'boolean' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    allowPositionals: true,
    strict: true
  })
}

/** Parses serve's flags; LUCID_ERR_9001 for unknown flags or stray arguments, 9003 for bad values. */
export function parseServeFlags(argv: string[]): ServeFlags | 'help' {
  const parsed = parseServeArgv(argv)
  const v = parsed.values
  if (v.help === true) return 'help'
  if (parsed.positionals.length > 0) throw new errors.Usage(`unexpected ${parsed.positionals.join(' ')}; ${USAGE}`)
  const port = v.port === undefined ? 8080 : Number(v.port)
  if (!/^\d{1,5}$/.test(v.port ?? '8080') || port > 65_535) throw new errors.BadValue(`--port ${String(v.port)} (an integer 0..65535)`)
  const validators = v.validators === undefined ? 4 : Number(v.validators)
  if (!/^\d{1,3}$/.test(v.validators ?? '4') || validators < 1 || validators > 100)
    throw new errors.BadValue(`--validators ${String(v.validators)} (an integer 1..100)`)
  const db = v.db ?? 'level'
  if (db !== 'level' && db !== 'mongodb') throw new errors.BadValue(`--db ${db} (level or mongodb)`)
  const host = v.host ?? '127.0.0.1'
  if (host === '') throw new errors.BadValue('--host (an address, e.g. 127.0.0.1 or 0.0.0.0)')
  const data = v.data ?? '.lucid-data'
  if (data === '') throw new errors.BadValue('--data (a directory)')
  if (v.chain !== undefined && !/^\/.+\/p2p\/\w+$/.test(v.chain)) throw new errors.BadValue(`--chain ${v.chain} (a multiaddr with /p2p/<peer id>)`)
  if (v.chain !== undefined && v.validators !== undefined) throw new errors.Usage("--chain and --validators: the validators are the external chain's")
  const logLevel = v['log-level'] === undefined ? undefined : resolveLogLevel(v['log-level'], {})
  return {
    port,
    host,
    data,
    db,
    validators,
    seedDemo: v['seed-demo'] === true,
    loadTest: v['load-test'] === true,
    ...(v.chain !== undefined ? { chain: v.chain } : {}),
    ...(logLevel !== undefined ? { logLevel } : {})
  }
}

/** The start-up banner: what is running and under which conditions. */
export function banner(g: Gateway, f: ServeFlags): string {
  const c = g.ctx.conditions
  const lines = [
    `lucid serve: listening on ${g.url} (every route also under /api/v1; OpenAPI at ${g.url}/openapi.json)`,
    `  data        ${g.dataDir}`,
    `  database    ${c.db}${f.db === 'level' ? ` in ${g.dataDir}/db` : ''}`,
    `  master key  ${g.masterKeySource.kind === 'env' ? 'from LUCID_MASTER_KEY' : `${g.masterKeySource.path}${g.masterKeySource.created ? ' (created)' : ''}`}`,
    `  passwords   ${c.kdf}${f.loadTest ? '' : ' (OWASP)'}, ${c.kdf_concurrency} hashed at once, ${c.kdf_queue_limit} may wait, then 503 LUCID_ERR_3002`,
    `  rate limits ${c.rate_limits}`,
    `  durability  ${c.durability}`,
    `  chain       ${c.chain}`,
    `  metrics     ${g.url}/metrics (Prometheus; open to local callers${f.loadTest ? ' and, under --load-test, to all' : ', an Admin token from elsewhere'})`
  ]
  if (f.loadTest)
    lines.push(`  --load-test: password hashing lowered from ${describeKdf(DEFAULT_KDF)} to ${c.kdf}; rate limits lifted (GET /config reports both)`)
  if (g.seed !== undefined) {
    const s = g.seed
    lines.push(
      `  --seed-demo: ${s.created} accounts created, ${s.existing} already present (test_user_1..100, session_user_1..50, admin); ${s.hashed} passwords hashed at ${c.kdf} in ${(s.ms / 1000).toFixed(1)} s`
    )
  }
  lines.push('Ctrl-C stops (requests in flight are drained, recordings stay resumable).')
  return lines.join('\n') + '\n'
}

/** Runs `lucid serve`; resolves with the exit code once the server has stopped. */
export async function serveCommand(argv: string[], io: ServeIo = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  const f = parseServeFlags(argv)
  if (f === 'help') {
    io.out.write(`${HELP}\n`)
    return 0
  }
  if (f.seedDemo && !f.loadTest)
    io.out.write(
      `lucid serve: --seed-demo hashes 151 passwords at ${describeKdf(DEFAULT_KDF)} (about 0.3 s each, one per core): this takes tens of seconds; with --load-test it takes a few.\n`
    )
  const level: LogLevel = resolveLogLevel(f.logLevel, io.env)
  const opts: GatewayOptions = {
    // Through io.out (stdout unless a test captures it), after the banner.
    logger: createGatewayLogger(level, io.out),
    host: f.host,
    port: f.port,
    dataDir: f.data,
    db: f.db,
    config: { loadTest: f.loadTest },
    seedDemo: f.seedDemo,
    env: io.env,
    chain: async (dataDir, db) =>
      f.chain !== undefined ? await openRemoteChainPort({ address: f.chain, dataDir, db }) : await openChainPort({ validators: f.validators, dataDir, db })
  }
  const g = await openGateway(opts)
  io.out.write(banner(g, f))
  io.onListening?.(g)
  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (why: string): void => {
      if (stopping) return
      stopping = true
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      io.out.write(`lucid serve: ${why}: draining requests in flight, stopping the validators and closing the stores\n`)
      g.close().then(resolve, (err: unknown) => {
        io.err.write(`lucid serve: close failed: ${String(err)}\n`)
        resolve()
      })
    }
    // After the first signal the handlers are removed: a second Ctrl-C gets node's default (exit at once).
    const onInt = (): void => {
      stop('SIGINT')
    }
    const onTerm = (): void => {
      stop('SIGTERM')
    }
    if (io.stop !== undefined) {
      if (io.stop.aborted) stop('stop requested')
      else io.stop.addEventListener('abort', () => stop('stop requested'), { once: true })
    } else {
      process.on('SIGINT', onInt)
      process.on('SIGTERM', onTerm)
    }
  })
  io.out.write('lucid serve: stopped\n')
  return 0
}
