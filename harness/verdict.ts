/**
 * Judging: targets against measured metrics, cases from their targets, the run from its cases, and the
 * exit code from the run (docs/interfaces.md section 1: 0 met, 1 missed, 3 crashed).
 */
import type { Conditions, Metrics, Profile } from './case.ts'
import type { CaseVerdict, JudgedTarget, Report, ResultEntry } from './report/schema.ts'
import type { Op, TargetSpec } from './targets.ts'

/** True when `id` matches `pattern`, an exact id or a glob where `*` matches any run of characters. */
export function idMatches(pattern: string, id: string): boolean {
  if (!pattern.includes('*')) return pattern === id
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$'
  )
  return re.test(id)
}

/** Compares with the target's operator. */
export function compare(measured: number, op: Op, value: number): boolean {
  switch (op) {
    case '<':
      return measured < value
    case '<=':
      return measured <= value
    case '>':
      return measured > value
    case '>=':
      return measured >= value
  }
}

/** Judges one target. A metric the case did not produce (or that is not finite) fails closed: verdict `error`. */
export function judge(spec: TargetSpec, metrics: Metrics): JudgedTarget {
  const m = metrics[spec.metric]
  const base = { metric: spec.metric, op: spec.op, value: spec.value, source: spec.source }
  if (m === undefined || !Number.isFinite(m)) return { ...base, measured: null, verdict: 'error' }
  return { ...base, measured: m, verdict: compare(m, spec.op, spec.value) ? 'pass' : 'fail' }
}

/** The targets and goals that apply to a case id (on a profile, when given). */
export function specsFor(id: string, specs: readonly TargetSpec[], profile?: Profile): { targets: TargetSpec[]; goals: TargetSpec[] } {
  const mine = specs.filter((s) => idMatches(s.case, id) && (profile === undefined || s.profiles === undefined || s.profiles.includes(profile)))
  return { targets: mine.filter((s) => s.kind === 'target'), goals: mine.filter((s) => s.kind === 'goal') }
}

/** The bound on a case's error ratio when no target names one: a case whose requests fail cannot pass (issue 21). */
export const DEFAULT_ERROR_RATIO = 0.05

/** True for an error-ratio metric (`error_ratio`, `generator_error_ratio`, ...). */
const isErrorRatio = (metric: string): boolean => metric === 'error_ratio' || metric.endsWith('_error_ratio')

/**
 * Targets a case gets by default: `< 0.05` on each error-ratio metric it measured that no target of `specs` names,
 * so that no case passes while its requests fail, whatever the target table says of it.
 */
export function defaultTargets(id: string, metrics: Metrics, specs: readonly TargetSpec[]): TargetSpec[] {
  return Object.keys(metrics)
    .filter((m) => isErrorRatio(m) && !specs.some((s) => s.metric === m))
    .map((metric) => ({ case: id, metric, op: '<', value: DEFAULT_ERROR_RATIO, source: 'default: a case whose requests fail cannot pass', kind: 'target' }))
}

/**
 * Why a completed case measured nothing: an error-ratio metric of 1 (no request got a good answer, e.g. an
 * unreachable host). Its latencies then time failures, not service: the case is an error, never judged on them.
 * The case's first errors (`conditions.first_errors`, when its load generator kept them) are named.
 */
export function nothingSucceeded(metrics: Metrics, conditions: Conditions = {}): string | undefined {
  const m = Object.keys(metrics).find((k) => isErrorRatio(k) && (metrics[k] ?? 0) >= 1)
  if (m === undefined) return undefined
  const first = conditions.first_errors
  return `no request succeeded (${m} ${metrics[m]}): the figures time failures, not the system${typeof first === 'string' && first !== '' ? `; first errors: ${first}` : ''}`
}

/**
 * Why a completed case's target could not be judged: a metric it did not measure (a misspelt name in a targets file,
 * most often). Names the metrics it did measure, so the fix is in the message.
 */
export function unmeasuredTargets(targets: readonly JudgedTarget[], metrics: Metrics): string | undefined {
  const missing = targets.filter((t) => t.measured === null).map((t) => t.metric)
  if (missing.length === 0) return undefined
  const known = Object.keys(metrics).sort()
  return `no metric ${[...new Set(missing)].map((m) => `'${m}'`).join(', ')} measured (targets name it; the case measured: ${known.length > 0 ? known.join(', ') : 'nothing'})`
}

/** A case's verdict: errored -> error, skipped -> skipped, else from its targets (goals never count). */
export function caseVerdict(status: ResultEntry['status'], targets: readonly JudgedTarget[], failedAll?: string): CaseVerdict {
  if (status === 'errored') return 'error'
  if (status === 'skipped') return 'skipped'
  if (failedAll !== undefined) return 'error'
  if (targets.some((t) => t.verdict === 'error')) return 'error'
  if (targets.some((t) => t.verdict === 'fail')) return 'fail'
  return 'pass'
}

/** The run's verdict: any error -> error; any fail (or, with strict, any skip) -> fail; else pass. */
export function runVerdict(results: readonly ResultEntry[], strict: boolean): Report['verdict'] {
  if (results.some((r) => r.verdict === 'error')) return 'error'
  if (results.some((r) => r.verdict === 'fail' || (strict && r.verdict === 'skipped'))) return 'fail'
  return 'pass'
}

/**
 * Exit code of `lucid bench`: 3 when a case crashed or could not be judged, 1 when a target was missed,
 * else 0. The smoke profile proves every case runs and judges no speed, so only errors fail it.
 */
export function exitCode(verdict: Report['verdict'], profile: Profile): number {
  if (verdict === 'error') return 3
  if (verdict === 'fail' && profile !== 'smoke') return 1
  return 0
}
