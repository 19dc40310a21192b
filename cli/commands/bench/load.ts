/**
 * `lucid load --scenario light|medium|heavy|stress [--target URL] [--users N] [--spawn-rate R]
 * [--duration D] [--time-scale N] [--workers W] [--arrival-rate R] [--json F] [--html F] [--csv PREFIX]`:
 * Locust-style simulated users against the gateway, with live progress, the Locust tables, and the harness's
 * report; the scenario's targets decide the exit code.
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { errors } from '../../../services/common/errors.ts'
import { customScenario, SCENARIOS } from '../../../load/scenarios/index.ts'
import { parseDuration } from '../../duration.ts'
import { assertWritable } from '../../output.ts'
import { captureEnv, finishEnv } from '../../../harness/env.ts'
import { runScenario } from '../../../load/scenario.ts'
import { renderTable } from '../../../harness/report/console.ts'
import { renderHtml } from '../../../harness/report/html.ts'
import { loadProgress } from '../../../load/report/progress.ts'
import { renderLocustTables, writeLocustCsv } from '../../../load/report/locust.ts'
import type { Report, ResultEntry } from '../../../harness/report/schema.ts'
import { TARGETS } from '../../../harness/targets.ts'
import { caseVerdict, exitCode, judge, runVerdict, specsFor } from '../../../harness/verdict.ts'

/** Usage of `lucid load`. */
export const LOAD_USAGE = `lucid load --scenario light|medium|heavy|stress [options]

Simulated users of the original locustfile (APIUser, BlockchainUser, SessionUser, AdminUser, equally weighted)
against the gateway. Without --target it starts 'lucid serve --seed-demo --load-test' on loopback.
  --target URL        an already running gateway
  --users N           override the scenario's users        --spawn-rate R   users started per second
  --duration D        override the run time (90s, 5m)      --time-scale N   divide waits and durations by N
  --workers W         generator processes (default: cores - 1)
  --arrival-rate R    open model: R users/s arrive and run their sequence once (instead of looping users)
  --json F  --html F  --csv PREFIX   reports (harness JSON, self-contained HTML, Locust-style CSV files)
Exit codes: 0 the scenario's targets met, 1 one missed, 2 usage error, 3 the run failed.`

function positive(v: string | undefined, flag: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new errors.LUCID_ERR_9003(`${flag}: '${v}' (a ${integer ? 'whole ' : ''}number > 0)`)
  return n
}

/** Runs `lucid load`; returns the exit code. */
export async function loadCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      target: { type: 'string' },
      users: { type: 'string' },
      'spawn-rate': { type: 'string' },
      duration: { type: 'string' },
      'time-scale': { type: 'string' },
      workers: { type: 'string' },
      'arrival-rate': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      html: { type: 'string' },
      csv: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) {
    process.stdout.write(`${LOAD_USAGE}\n`)
    return 0
  }
  const name = values.scenario
  if (name === undefined) throw new errors.LUCID_ERR_9001('lucid load needs --scenario light|medium|heavy|stress')
  if (!(name in SCENARIOS)) throw new errors.LUCID_ERR_9003(`--scenario: '${name}' (light, medium, heavy or stress)`)
  const users = positive(values.users, '--users', true)
  const spawnRate = positive(values['spawn-rate'], '--spawn-rate', false)
  const durationS = values.duration !== undefined ? parseDuration(values.duration, '--duration') : undefined
  const scenario = customScenario(SCENARIOS[name as keyof typeof SCENARIOS], {
    ...(users !== undefined ? { users } : {}),
    ...(spawnRate !== undefined ? { spawnRate } : {}),
    ...(durationS !== undefined ? { durationS } : {})
  })
  const timeScale = positive(values['time-scale'], '--time-scale', false) ?? 1
  if (timeScale < 1) throw new errors.LUCID_ERR_9003(`--time-scale: '${values['time-scale'] ?? ''}' (>= 1)`)
  const workers = positive(values.workers, '--workers', true)
  const arrivalRate = positive(values['arrival-rate'], '--arrival-rate', false)
  const seed = positive(values.seed, '--seed', true)
  let target: string | undefined
  if (values.target !== undefined) {
    try {
      target = new URL(values.target).origin
    } catch {
      throw new errors.LUCID_ERR_9003(`--target: '${values.target}' is not a URL`)
    }
  }
  if (values.json !== undefined) assertWritable(values.json, '--json')
  if (values.html !== undefined) assertWritable(values.html, '--html')
  if (values.csv !== undefined) assertWritable(`${values.csv}_stats.csv`, '--csv')

  const env = captureEnv()
  const startedAtS = Date.now() / 1000
  const started = performance.now()
  const r = await runScenario({
    scenario,
    timeScale,
    onSecond: loadProgress(),
    ...(target !== undefined ? { target } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(arrivalRate !== undefined ? { arrivalRate } : {}),
    ...(seed !== undefined ? { seed } : {})
  })
  if (process.stderr.isTTY === true) process.stderr.write('\n')
  const id = `load.${name}`
  const specs = specsFor(id, TARGETS)
  const targets = specs.targets.map((s) => judge(s, r.metrics))
  const entry: ResultEntry = {
    id,
    component: 'load',
    status: 'completed',
    conditions: r.conditions,
    metrics: r.metrics,
    repeats: [r.metrics],
    baselines: [],
    targets,
    goals: specs.goals.map((s) => judge(s, r.metrics)),
    endpoints: r.endpoints,
    series: r.series,
    duration_s: (performance.now() - started) / 1000,
    verdict: caseVerdict('completed', targets)
  }
  const report: Report = {
    schema: 'lucid-bench/1',
    verdict: runVerdict([entry], false),
    profile: 'full',
    judged: true,
    strict: false,
    env: finishEnv(env),
    results: [entry]
  }
  process.stdout.write(`\n${renderLocustTables(r.endpoints)}\n\n${renderTable(report)}\n`)
  if (values.json !== undefined) {
    writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`)
    process.stdout.write(`report: ${values.json}\n`)
  }
  if (values.html !== undefined) {
    writeFileSync(values.html, renderHtml(report))
    process.stdout.write(`html: ${values.html}\n`)
  }
  if (values.csv !== undefined) process.stdout.write(`csv: ${writeLocustCsv(values.csv, r.endpoints, r.series, startedAtS).join(', ')}\n`)
  return exitCode(report.verdict, 'full')
}
