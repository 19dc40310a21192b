/**
 * The real Locust in master/worker mode on load/locust/locustfile.py: one headless master (which also writes
 * the CSV files) and N local worker processes on loopback, plus, when asked, workers on other machines that
 * connect to the master themselves (`locust --worker --master-host THIS-MACHINE`). The scenario's users, spawn
 * rate and duration are passed already time-scaled; the waits are divided by the locustfile's `--time-scale`,
 * which the master sends to every worker.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { copyFileSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { errors } from '../../services/common/errors.ts'
import type { ScaledRun } from '../scenarios/index.ts'
import type { EndpointStats, LoadSeriesPoint } from '../users/stats.ts'
import { locustEndpoints, locustSeries } from './csv.ts'

/** The locustfile both the master and the workers load. */
export const LOCUSTFILE = fileURLToPath(new URL('./locustfile.py', import.meta.url))

/** Where Locust is: `LUCID_LOCUST`, else Debian's /usr/bin/locust (it needs the system Python, see docs/machine.md). */
export function locustBinary(): string {
  return process.env.LUCID_LOCUST ?? '/usr/bin/locust'
}

/** Options of a Locust run. */
export interface LocustRunOptions {
  url: string
  run: ScaledRun
  /** Worker processes started here. */
  workers: number
  /** Workers started on other machines, waited for before the run starts (the master then listens on every interface). */
  remoteWorkers?: number
  /** The master's port (default: a free one; give one when remote workers must know it). */
  masterPort?: number
  /** Copy Locust's own CSV files to PREFIX_stats.csv, PREFIX_failures.csv, PREFIX_stats_history.csv. */
  csvPrefix?: string
  /** Seconds to wait for every worker to connect (default 60). */
  connectTimeoutS?: number
}

/** What a Locust run produced. */
export interface LocustRunResult {
  endpoints: EndpointStats[]
  series: LoadSeriesPoint[]
  usersMax: number
  workers: number
  version: string
  /** The run time given to Locust, whole seconds (its `-t` takes no fractions). */
  runTimeS: number
  /** Paths of the CSV copies, when asked for. */
  csvFiles: string[]
}

const run = (file: string, args: string[]): Promise<string> =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: 30_000, env: { ...process.env, PYTHONWARNINGS: 'ignore' } }, (err, stdout) => resolve(err === null ? stdout.trim() : ''))
  })

/**
 * Locust's version. Debian's python3-locust 2.12.1 prints an empty one (`locust ` : its _version.py is blank),
 * so the package manager's is used then, and the report says where it came from.
 */
export async function locustVersion(bin = locustBinary()): Promise<string> {
  const own = (await run(bin, ['--version'])).replace(/^locust\s*/i, '').trim()
  if (own !== '') return own
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format field, not a JavaScript template
  const deb = await run('dpkg-query', ['-W', '-f', '${Version}', 'python3-locust'])
  return deb !== '' ? `${deb} (Debian python3-locust; locust --version prints none)` : 'unknown (locust --version prints none)'
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))))
    })
  })
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
    else {
      child.once('exit', (code) => resolve(code))
      // A binary that cannot be started never exits: resolve as a failure rather than wait forever.
      child.once('error', () => resolve(-1))
    }
  })
}

/** The users the master's "All users spawned: {...} (N total users)" line reports (0 when it has none). */
export function spawnedUsers(masterLog: string): number {
  let n = 0
  for (const m of masterLog.matchAll(/(?:All users spawned|Spawning is complete)[^\n]*\((\d+) total users\)/g)) n = Math.max(n, Number(m[1]))
  return n
}

const tail = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ') : '')

/** The master's command line: headless, expecting the workers, the scenario's users and rate, CSV files at `csv`. */
function masterArgs(opts: LocustRunOptions, o: { remote: number; port: number; workers: number; connectS: number; runTimeS: number; csv: string }): string[] {
  return [
    '--master',
    '--master-bind-host',
    o.remote > 0 ? '0.0.0.0' : '127.0.0.1',
    '--master-bind-port',
    String(o.port),
    '--expect-workers',
    String(o.workers),
    '--expect-workers-max-wait',
    String(o.connectS),
    '--headless',
    '--host',
    opts.url,
    '-u',
    String(opts.run.scenario.users),
    '-r',
    String(opts.run.spawnRate),
    '-t',
    `${o.runTimeS}s`,
    '--time-scale',
    String(opts.run.timeScale),
    '--csv',
    o.csv,
    '--csv-full-history',
    '--only-summary',
    // Failed requests are figures the targets judge, not a failed run: exit 0 with failures, so a non-zero
    // exit means Locust itself could not run (no workers, a broken locustfile).
    '--exit-code-on-error',
    '0'
  ]
}

/** Reads the run's CSV files from `dir` (copied to `csvPrefix`_*.csv when given). */
function readCsvFiles(dir: string, csvPrefix: string | undefined): Pick<LocustRunResult, 'endpoints' | 'series' | 'usersMax' | 'csvFiles'> {
  const file = (suffix: string): string => {
    const f = join(dir, `locust_${suffix}.csv`)
    if (!existsSync(f)) throw new errors.LocustRunFailed(`Locust wrote no ${suffix}.csv: ${tail(join(dir, 'master.log'))}`)
    return f
  }
  const stats = file('stats')
  const failures = file('failures')
  const history = file('stats_history')
  const endpoints = locustEndpoints(readFileSync(stats, 'utf8'), readFileSync(failures, 'utf8'))
  const { series, usersMax: historyUsers } = locustSeries(readFileSync(history, 'utf8'))
  // The history's user count is what the workers had reported at each write (every 3 s): on a short run or a
  // busy machine it can miss the peak. The master's log line at the end of spawning reports it too.
  const usersMax = Math.max(historyUsers, spawnedUsers(readFileSync(join(dir, 'master.log'), 'utf8')))
  const csvFiles: string[] = []
  if (csvPrefix !== undefined)
    for (const [from, suffix] of [
      [stats, 'stats'],
      [failures, 'failures'],
      [history, 'stats_history']
    ] as const) {
      copyFileSync(from, `${csvPrefix}_${suffix}.csv`)
      csvFiles.push(`${csvPrefix}_${suffix}.csv`)
    }
  return { endpoints, series, usersMax, csvFiles }
}

/** Runs the scenario under Locust and reads its CSV files. */
export async function runLocust(opts: LocustRunOptions): Promise<LocustRunResult> {
  const bin = locustBinary()
  if (!existsSync(bin)) throw new errors.LocustUnavailable(`${bin} not found (apt-get install python3-locust, or set LUCID_LOCUST)`)
  const remote = opts.remoteWorkers ?? 0
  const workers = opts.workers + remote
  if (workers < 1) throw new errors.BadValue('--workers: Locust needs at least one worker, here or remote')
  const version = await locustVersion(bin)
  const dir = mkdtempSync(join(tmpdir(), 'lucid-locust-'))
  const port = opts.masterPort ?? (await freePort())
  const runTimeS = Math.max(1, Math.round(opts.run.durationS))
  const env = {
    ...process.env,
    PYTHONWARNINGS: 'ignore',
    // How long the master waits, after spawning, for every worker to report its users: Locust's default of 1 s
    // can pass on a busy machine before the reports arrive (the users count is then short); this is the value
    // Locust's own documentation calls sensible. It only waits while reports are missing.
    LOCUST_WAIT_FOR_WORKERS_REPORT_AFTER_RAMP_UP: '1.25 * WORKER_REPORT_INTERVAL'
  }
  const started: ChildProcess[] = []
  const logs: Array<Promise<void>> = []
  const start = (args: string[], log: string): { child: ChildProcess; logged: Promise<void> } => {
    const out = createWriteStream(join(dir, log))
    const child = spawn(bin, ['-f', LOCUSTFILE, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    // Both streams into one file: neither may end it alone; it ends once the process has closed both.
    child.stdout?.pipe(out, { end: false })
    child.stderr?.pipe(out, { end: false })
    const logged = new Promise<void>((resolve) => {
      child.once('close', () => out.end(resolve))
      child.once('error', () => out.end(resolve))
    })
    started.push(child)
    logs.push(logged)
    return { child, logged }
  }
  const connectS = opts.connectTimeoutS ?? 60
  try {
    const { child: master, logged: masterLogged } = start(
      masterArgs(opts, { remote, port, workers, connectS, runTimeS, csv: join(dir, 'locust') }),
      'master.log'
    )
    for (let i = 0; i < opts.workers; i++) start(['--worker', '--master-host', '127.0.0.1', '--master-port', String(port)], `worker-${i + 1}.log`)
    // Bounded: the workers' wait, the run, and Locust's stop; past it the master is killed and the run fails.
    const limitS = connectS + runTimeS + 60
    const timer = setTimeout(() => master.kill('SIGKILL'), limitS * 1000)
    const code = await exited(master)
    clearTimeout(timer)
    await masterLogged
    if (code !== 0)
      throw new errors.LocustRunFailed(
        `the Locust master exited with ${code === null ? `a signal (killed after ${limitS} s?)` : code}: ${tail(join(dir, 'master.log'))}`
      )
    return { ...readCsvFiles(dir, opts.csvPrefix), workers, version, runTimeS }
  } finally {
    // Workers quit when the master tells them; one left behind (the master died) would retry for minutes.
    await Promise.all(
      started.map(async (c) => {
        const timer = setTimeout(() => c.kill('SIGKILL'), 10_000)
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM')
        await exited(c)
        clearTimeout(timer)
      })
    )
    await Promise.all(logs)
    rmSync(dir, { recursive: true, force: true })
  }
}
