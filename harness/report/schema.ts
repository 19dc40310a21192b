/**
 * The JSON report, schema `lucid-bench/1` (docs/interfaces.md section 3, documented in docs/report.md), and
 * a validator that CI and `lucid compare` use to refuse a malformed one.
 */
import type { CapacityPoint, Conditions, Metrics, Profile } from '../case.ts'
import type { Spread } from '../stats/spread.ts'
import type { Op } from '../targets.ts'
import type { CaseLoad } from '../env.ts'

/** Verdict of one target or goal. `error`: the case did not produce the metric (fails closed). */
export type TargetVerdict = 'pass' | 'fail' | 'error'

/** One judged target or goal. */
export interface JudgedTarget {
  metric: string
  op: Op
  value: number
  /** The measured value, or null when the metric is absent. */
  measured: number | null
  verdict: TargetVerdict
  source: string
}

/** Verdict of a case: `skipped` when it could not run here (the reason says why). */
export type CaseVerdict = 'pass' | 'fail' | 'error' | 'skipped'

/** A case's entry in the report. */
export interface ResultEntry {
  id: string
  component: string
  status: 'completed' | 'errored' | 'skipped'
  reason?: string
  /** The error code when errored (LUCID_ERR_9006 crashed, 9007 timed out, or the case's own). */
  code?: string
  conditions: Conditions
  metrics: Metrics
  repeats: Metrics[]
  /** Per metric, min, max and a 95 % confidence interval of the mean over the repeats (when more than one). */
  spread?: Record<string, Spread>
  baselines: Array<{ id: string; metrics: Metrics }>
  targets: JudgedTarget[]
  goals: JudgedTarget[]
  /** HdrHistogram compressed base64 per named latency distribution (µs). */
  histograms?: Record<string, string>
  endpoints?: unknown[]
  series?: unknown[]
  /** A merged report (`lucid merge`): each source run's file, environment, conditions and metrics. */
  sources?: ReportSource[]
  /** With `--find-max`: the rates tried and their p99. */
  capacity?: CapacityPoint[]
  duration_s: number
  /** The machine's 1-minute load average while the case ran (its last repeat): figures on a busy machine say so. */
  load?: CaseLoad
  verdict: CaseVerdict
}

/** One run that went into a merged report, as it was measured. */
export interface ReportSource {
  file: string
  env: ReportEnv
  conditions: Conditions
  metrics: Metrics
}

/** The environment a run was measured in. */
export interface ReportEnv {
  node: string
  cpu: string
  cores: number
  platform: string
  total_mem_bytes: number
  loadavg_before: number[]
  loadavg_after: number[]
  commit: string
  date: string
  /** `--busy N`: processes the runner kept burning one core each during the run (absent or 0: none). */
  busy?: number
}

/** The whole report. */
export interface Report {
  schema: 'lucid-bench/1'
  verdict: 'pass' | 'fail' | 'error'
  profile: Profile
  /** False for the smoke profile: figures are recorded but the exit code judges no speed. */
  judged: boolean
  strict: boolean
  env: ReportEnv
  results: ResultEntry[]
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function checkMetrics(m: unknown, where: string, out: string[]): void {
  if (!isObj(m)) {
    out.push(`${where}: not an object`)
    return
  }
  for (const [k, v] of Object.entries(m)) if (!isNum(v)) out.push(`${where}.${k}: not a finite number`)
}

function checkJudged(list: unknown, where: string, out: string[]): void {
  if (!Array.isArray(list)) {
    out.push(`${where}: not an array`)
    return
  }
  list.forEach((t: unknown, i) => {
    const w = `${where}[${i}]`
    if (!isObj(t)) {
      out.push(`${w}: not an object`)
      return
    }
    if (typeof t.metric !== 'string') out.push(`${w}.metric: not a string`)
    if (!['<', '<=', '>', '>='].includes(t.op as string)) out.push(`${w}.op: not one of < <= > >=`)
    if (!isNum(t.value)) out.push(`${w}.value: not a number`)
    if (t.measured !== null && !isNum(t.measured)) out.push(`${w}.measured: not a number or null`)
    if (!['pass', 'fail', 'error'].includes(t.verdict as string)) out.push(`${w}.verdict: not pass|fail|error`)
    if (t.verdict === 'error' && t.measured !== null) out.push(`${w}: verdict error with a measured value`)
  })
}

/** Lists what is wrong with a parsed report (empty when it is well formed). */
export function validateReport(r: unknown): string[] {
  const out: string[] = []
  if (!isObj(r)) return ['report: not a JSON object']
  if (r.schema !== 'lucid-bench/1') out.push('schema: not "lucid-bench/1"')
  if (!['pass', 'fail', 'error'].includes(r.verdict as string)) out.push('verdict: not pass|fail|error')
  if (!['smoke', 'quick', 'full'].includes(r.profile as string)) out.push('profile: not smoke|quick|full')
  if (!isObj(r.env)) out.push('env: missing')
  else {
    for (const k of ['node', 'cpu', 'commit', 'date']) if (typeof r.env[k] !== 'string') out.push(`env.${k}: not a string`)
    if (!isNum(r.env.cores)) out.push('env.cores: not a number')
    for (const k of ['loadavg_before', 'loadavg_after']) if (!Array.isArray(r.env[k])) out.push(`env.${k}: not an array`)
  }
  if (!Array.isArray(r.results)) {
    out.push('results: not an array')
    return out
  }
  const seen = new Set<string>()
  r.results.forEach((e: unknown, i) => {
    const w = `results[${i}]`
    if (!isObj(e)) {
      out.push(`${w}: not an object`)
      return
    }
    if (typeof e.id !== 'string' || !/^[a-z0-9_]+\.[a-z0-9_]+$/.test(e.id)) out.push(`${w}.id: not a component.case id`)
    else if (seen.has(e.id)) out.push(`${w}.id: ${e.id} appears twice`)
    else seen.add(e.id)
    if (!['completed', 'errored', 'skipped'].includes(e.status as string)) out.push(`${w}.status: not completed|errored|skipped`)
    if (e.status !== 'completed' && typeof e.reason !== 'string') out.push(`${w}.reason: missing for status ${String(e.status)}`)
    checkMetrics(e.metrics, `${w}.metrics`, out)
    if (!Array.isArray(e.repeats)) out.push(`${w}.repeats: not an array`)
    else
      e.repeats.forEach((m: unknown, j) => {
        checkMetrics(m, `${w}.repeats[${j}]`, out)
      })
    if (!Array.isArray(e.baselines)) out.push(`${w}.baselines: not an array`)
    checkJudged(e.targets, `${w}.targets`, out)
    checkJudged(e.goals, `${w}.goals`, out)
    if (!['pass', 'fail', 'error', 'skipped'].includes(e.verdict as string)) out.push(`${w}.verdict: not pass|fail|error|skipped`)
  })
  return out
}
