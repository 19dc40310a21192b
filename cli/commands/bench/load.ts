/**
 * `lucid load --scenario light|medium|heavy|stress [--engine lucid|locust] [--host URL] [--users N]
 * [--spawn-rate R] [--duration D] [--time-scale N] [--workers W] [--arrival-rate R] [--remote-workers M]
 * [--master-port P] [--json F] [--html F] [--csv PREFIX]`: Locust-style simulated users (or the real Locust in
 * master/worker mode) against the gateway, with the Locust tables and the harness's report; the scenario's
 * targets decide the exit code.
 */
import { existsSync } from 'node:fs'
import { errors } from '../../../services/common/errors.ts'
import { customScenario, SCENARIOS } from '../../../load/scenarios/index.ts'
import { parseDuration } from '../../duration.ts'
import { hostUrl, parseFlags } from '../../args.ts'
import { assertWritable, humanOutput, writeReportFiles } from '../../output.ts'
import { targetTable } from '../../../harness/targets-file.ts'
import { LOAD_TARGETS } from '../../../load/scenarios/targets.ts'
import { captureEnv, finishEnv } from '../../../harness/env.ts'
import { runScenario } from '../../../load/scenario.ts'
import { renderTable } from '../../../harness/report/console.ts'
import { loadProgress } from '../../../load/report/progress.ts'
import { renderLocustTables, writeLocustCsv } from '../../../load/report/locust.ts'
import { exitCode } from '../../../harness/verdict.ts'
import { loadHtmlOptions } from '../../../load/report/html.ts'
import { judgedLoadReport } from '../../../load/report/judged.ts'
import { locustBinary } from '../../../load/locust/run.ts'

/** Usage of `lucid load`. */
export const LOAD_USAGE = `lucid load --scenario light|medium|heavy|stress [options]

Simulated users of the original locustfile (APIUser, BlockchainUser, SessionUser, AdminUser, equally weighted)
against the gateway. Without --host it starts 'lucid serve --seed-demo --load-test' on loopback.
Short flags as Locust's: -u/--users, -r/--spawn-rate, -t/--run-time.
  --host URL          an already running gateway (the system under test)
  -u, --users N       override the scenario's users
  -r, --spawn-rate R  users started per second
  -t, --run-time D    override the run time (90s, 5m; --duration is the same)
  --time-scale N      divide waits and durations by N: a compressed preview, not the scenario's real pace
                      (logins at N times their pace queue on the gateway's one password-hashing slot, so the
                      /auth/login p95 target misses at --time-scale 20: judge a scenario at its real pace)
  --workers W         generator processes (default: cores - 1)
  --arrival-rate R    open model: R users/s arrive and run their sequence once (instead of looping users)
  --engine E          lucid (default): the simulated users above; locust: the real Locust (/usr/bin/locust, or
                      LUCID_LOCUST) in master/worker mode on load/locust/locustfile.py, W local workers
                      (0 with --remote-workers: this machine only coordinates)
  --remote-workers M  locust: also wait for M workers started on other machines with
                      'locust -f load/locust/locustfile.py --worker --master-host THIS-HOST --master-port P'
  --master-port P     locust: the master's port (default: a free one; needed with --remote-workers)
  --json F  --html F  --csv PREFIX   reports (harness JSON with each endpoint's HDR histogram, self-contained
                      HTML, Locust-style CSV files; with --engine locust, Locust's own CSV files);
                      --json -: the JSON on stdout, everything else on stderr
  --targets-file F    override or add targets of load.<scenario> (docs/report.md, "Your own targets")
  -q, --quiet         print nothing but errors
Runs from several machines merge into one report with 'lucid merge A.json B.json ...' (lucid engine only).
Exit codes: 0 the scenario's targets met, 1 one missed, 2 usage error, 3 the run failed.`

function positive(v: string | undefined, flag: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new errors.BadValue(`${flag}: '${v}' (a ${integer ? 'whole ' : ''}number > 0)`)
  return n
}

/** The flags of `lucid load` (Locust's long names, and its short ones). */
const LOAD_OPTIONS = {
  scenario: { type: 'string' },
  host: { type: 'string' },
  users: { type: 'string', short: 'u' },
  'spawn-rate': { type: 'string', short: 'r' },
  duration: { type: 'string' },
  'run-time': { type: 'string', short: 't' },
  'targets-file': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'time-scale': { type: 'string' },
  workers: { type: 'string' },
  'arrival-rate': { type: 'string' },
  seed: { type: 'string' },
  engine: { type: 'string' },
  'remote-workers': { type: 'string' },
  'master-port': { type: 'string' },
  json: { type: 'string' },
  html: { type: 'string' },
  csv: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

type LoadValues = ReturnType<typeof parseLoadFlags>

function parseLoadFlags(argv: string[]) {
  return parseFlags(argv, 'load', { options: LOAD_OPTIONS }).values
}

/** The scenario named by --scenario, with --users, --spawn-rate and --run-time (or --duration) applied. */
function scenarioOf(values: LoadValues): { name: string; scenario: ReturnType<typeof customScenario> } {
  const name = values.scenario
  if (name === undefined) throw new errors.Usage('lucid load needs --scenario light|medium|heavy|stress')
  if (!(name in SCENARIOS)) throw new errors.BadValue(`--scenario: '${name}' (light, medium, heavy or stress)`)
  const users = positive(values.users, '--users', true)
  const spawnRate = positive(values['spawn-rate'], '--spawn-rate', false)
  if (values.duration !== undefined && values['run-time'] !== undefined) throw new errors.Usage('--run-time and --duration are the same flag: give one')
  const durationS =
    values['run-time'] !== undefined
      ? parseDuration(values['run-time'], '--run-time')
      : values.duration !== undefined
        ? parseDuration(values.duration, '--duration')
        : undefined
  const scenario = customScenario(SCENARIOS[name as keyof typeof SCENARIOS], {
    ...(users !== undefined ? { users } : {}),
    ...(spawnRate !== undefined ? { spawnRate } : {}),
    ...(durationS !== undefined ? { durationS } : {})
  })
  return { name, scenario }
}

/** How the load is generated: the engine and its processes, checked against each other. */
interface EngineSettings {
  readonly engine: 'lucid' | 'locust'
  readonly workers: number | undefined
  readonly arrivalRate: number | undefined
  readonly seed: number | undefined
  readonly remoteWorkers: number | undefined
  readonly masterPort: number | undefined
}

function engineSettings(values: LoadValues): EngineSettings {
  // --workers 0: a Locust master that only coordinates workers on other machines (checked with --remote-workers below).
  const workers = values.workers === '0' && values.engine === 'locust' ? 0 : positive(values.workers, '--workers', true)
  const arrivalRate = positive(values['arrival-rate'], '--arrival-rate', false)
  const seed = positive(values.seed, '--seed', true)
  const engine = values.engine ?? 'lucid'
  if (engine !== 'lucid' && engine !== 'locust') throw new errors.BadValue(`--engine: '${engine}' (lucid or locust)`)
  const remoteWorkers = values['remote-workers'] === '0' ? 0 : positive(values['remote-workers'], '--remote-workers', true)
  const masterPort = positive(values['master-port'], '--master-port', true)
  if (engine === 'locust') {
    // The open model and the seed belong to the simulated users; Locust has neither.
    if (arrivalRate !== undefined) throw new errors.Usage('--arrival-rate works with --engine lucid only')
    if (seed !== undefined) throw new errors.Usage('--seed works with --engine lucid only')
    if ((remoteWorkers ?? 0) > 0 && masterPort === undefined) throw new errors.Usage('--remote-workers needs --master-port (the workers must know it)')
    if (workers === 0 && (remoteWorkers ?? 0) === 0) throw new errors.BadValue("--workers: '0' needs --remote-workers (Locust needs a worker somewhere)")
    // Checked before a local gateway is started for nothing.
    if (!existsSync(locustBinary())) throw new errors.LocustUnavailable(`${locustBinary()} not found (apt-get install python3-locust, or set LUCID_LOCUST)`)
  } else if (remoteWorkers !== undefined || masterPort !== undefined)
    throw new errors.Usage('--remote-workers and --master-port work with --engine locust only')
  return { engine, workers, arrivalRate, seed, remoteWorkers, masterPort }
}

/** Runs `lucid load`; returns the exit code. */
export async function loadCommand(argv: string[]): Promise<number> {
  const values = parseLoadFlags(argv)
  if (values.help === true) {
    process.stdout.write(`${LOAD_USAGE}\n`)
    return 0
  }
  const { name, scenario } = scenarioOf(values)
  const timeScale = positive(values['time-scale'], '--time-scale', false) ?? 1
  if (timeScale < 1) throw new errors.BadValue(`--time-scale: '${values['time-scale'] ?? ''}' (>= 1)`)
  const { engine, workers, arrivalRate, seed, remoteWorkers, masterPort } = engineSettings(values)
  const target = values.host !== undefined ? hostUrl(values.host) : undefined
  const targets = targetTable(
    LOAD_TARGETS,
    values['targets-file'],
    Object.keys(SCENARIOS).map((n) => `load.${n}`)
  )
  const human = humanOutput(values)
  if (values.json !== undefined) assertWritable(values.json, '--json')
  if (values.html !== undefined) assertWritable(values.html, '--html')
  if (values.csv !== undefined) assertWritable(`${values.csv}_stats.csv`, '--csv')

  const env = captureEnv()
  const startedAtS = Date.now() / 1000
  const started = performance.now()
  if (engine === 'locust' && !values.quiet)
    process.stderr.write(
      `lucid load: the real Locust, master and ${workers ?? 'cores - 1'} worker process(es)${remoteWorkers !== undefined ? ` + ${remoteWorkers} remote` : ''}; its figures come at the end of the run\n`
    )
  const r = await runScenario({
    scenario,
    timeScale,
    ...(human.progress !== undefined ? { onSecond: loadProgress(human.progress) } : {}),
    engine,
    ...(engine === 'locust' && values.csv !== undefined ? { csvPrefix: values.csv } : {}),
    ...(remoteWorkers !== undefined ? { remoteWorkers } : {}),
    ...(masterPort !== undefined ? { masterPort } : {}),
    ...(target !== undefined ? { target } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(arrivalRate !== undefined ? { arrivalRate } : {}),
    ...(seed !== undefined ? { seed } : {})
  })
  if (human.progress?.isTTY === true) human.progress.write('\n')
  const report = judgedLoadReport({
    id: `load.${name}`,
    metrics: r.metrics,
    conditions: r.conditions,
    endpoints: r.endpoints,
    series: r.series,
    ...(r.histograms !== undefined ? { histograms: r.histograms } : {}),
    durationS: (performance.now() - started) / 1000,
    env: finishEnv(env),
    targets
  })
  const note = engine === 'locust' ? "Locust's, rounded: see conditions.percentiles" : undefined
  human.say(`\n${renderLocustTables(r.endpoints, note)}\n\n${renderTable(report)}\n`)
  writeReportFiles(report, values, human, loadHtmlOptions(report))
  if (values.csv !== undefined) {
    const files = r.csvFiles ?? writeLocustCsv(values.csv, r.endpoints, r.series, startedAtS)
    human.say(`csv: ${files.join(', ')}\n`)
  }
  return exitCode(report.verdict, 'full')
}
