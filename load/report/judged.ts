/**
 * A load run's `lucid-bench/1` report, judged by the scenario's targets (`load.<scenario>`, in
 * load/scenarios/targets.ts): one builder for `lucid load` (either engine) and `lucid merge`, so a merged report is
 * judged exactly as a single run would be.
 */
import type { Conditions, Metrics } from '../../harness/case.ts'
import type { Report, ReportEnv, ReportSource, ResultEntry } from '../../harness/report/schema.ts'
import { caseVerdict, judge, runVerdict, specsFor } from '../../harness/verdict.ts'
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
}

/** Judges the metrics and wraps them in a one-result report (profile `full`: load runs are always judged). */
export function judgedLoadReport(p: LoadReportParts): Report {
  const specs = specsFor(p.id, LOAD_TARGETS)
  const targets = specs.targets.map((s) => judge(s, p.metrics))
  const entry: ResultEntry = {
    id: p.id,
    component: 'load',
    status: 'completed',
    conditions: p.conditions,
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
    verdict: caseVerdict('completed', targets)
  }
  return { schema: 'lucid-bench/1', verdict: runVerdict([entry], false), profile: 'full', judged: true, strict: false, env: p.env, results: [entry] }
}
