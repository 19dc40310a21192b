/**
 * A load run's `lucid-bench/1` report, judged by the scenario's targets (`load.<scenario>`, in
 * load/scenarios/targets.ts): one builder for `lucid load` (either engine) and `lucid merge`, so a merged report is
 * judged exactly as a single run would be.
 */
import type { Conditions, Metrics } from '../../harness/case.ts'
import type { Report, ReportEnv, ReportSource, ResultEntry } from '../../harness/report/schema.ts'
import type { TargetSpec } from '../../harness/targets.ts'
import { caseVerdict, defaultTargets, judge, nothingSucceeded, runVerdict, specsFor, unmeasuredTargets } from '../../harness/verdict.ts'
import { LOAD_TARGETS } from '../scenarios/targets.ts'
import type { EndpointStats, LoadSeriesPoint } from '../users/stats.ts'

/** What a judged load report is made of. */
export interface LoadReportParts {
  /** `load.light`, ... */
  id: string
  metrics: Metrics
  conditions: Conditions
  endpoints: EndpointStats[]
  series?: LoadSeriesPoint[]
  histograms?: Record<string, string>
  sources?: ReportSource[]
  durationS: number
  env: ReportEnv
  /** The target table (default: the built-in one; `lucid load --targets-file` adds the user's). */
  targets?: readonly TargetSpec[]
}

/** The first failure reasons of a run (most frequent first, at most 3), for a report that must say why. */
function firstErrors(endpoints: readonly EndpointStats[]): string {
  const reasons = new Map<string, number>()
  for (const e of endpoints) {
    if (e.method === 'Aggregated' || e.name === 'Aggregated') continue
    for (const [why, n] of Object.entries(e.failure_reasons))
      reasons.set(`${e.method} ${e.name}: ${why}`, (reasons.get(`${e.method} ${e.name}: ${why}`) ?? 0) + n)
  }
  return [...reasons.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([why, n]) => `${why} (${n}x)`)
    .join('; ')
}

/** Judges the metrics and wraps them in a one-result report (profile `full`: load runs are always judged). */
export function judgedLoadReport(p: LoadReportParts): Report {
  const specs = specsFor(p.id, p.targets ?? LOAD_TARGETS)
  // As for every bench case: a run whose requests fail cannot pass, and one where none succeeded says why.
  const defaults = defaultTargets(p.id, p.metrics, [...specs.targets, ...specs.goals])
  const targets = [...specs.targets, ...defaults].map((s) => judge(s, p.metrics))
  const first = firstErrors(p.endpoints)
  const conditions = first !== '' ? { ...p.conditions, first_errors: first } : p.conditions
  const failedAll = nothingSucceeded(p.metrics, conditions)
  const reason = failedAll ?? unmeasuredTargets(targets, p.metrics)
  const entry: ResultEntry = {
    id: p.id,
    component: 'load',
    status: 'completed',
    ...(reason !== undefined ? { reason } : {}),
    conditions,
    metrics: p.metrics,
    repeats: [p.metrics],
    baselines: [],
    targets,
    goals: specs.goals.map((s) => judge(s, p.metrics)),
    ...(p.histograms !== undefined ? { histograms: p.histograms } : {}),
    endpoints: p.endpoints,
    ...(p.series !== undefined ? { series: p.series } : {}),
    ...(p.sources !== undefined ? { sources: p.sources } : {}),
    duration_s: p.durationS,
    verdict: caseVerdict('completed', targets, failedAll)
  }
  return { schema: 'lucid-bench/1', verdict: runVerdict([entry], false), profile: 'full', judged: true, strict: false, env: p.env, results: [entry] }
}
