/**
 * Comparing two reports, the way fastify's and Node's benchmark comparisons do: per case and metric, both
 * medians, the ratio, and whether the change is significant, meaning both a two-sided Welch t-test over the
 * repeats at p < 0.05 and an effect of at least `minEffect` (5 % by default). A significant change in the
 * worse direction is a regression. Single runs cannot be tested: they are shown, never called significant.
 */
import type { Profile } from './case.ts'
import type { FamilyOf, InterleaveResult, Round, SideName, Stopped } from './interleave.ts'
import type { Report, ReportEnv, ResultEntry } from './report/schema.ts'
import type { MetricDecision } from './stats/decide.ts'
import type { TargetSpec } from './targets.ts'
import { specsFor } from './verdict.ts'
import { welch } from './stats/spread.ts'

/** Which way is better for a metric; undefined when it has no better side (counts, conditions). */
export type Better = 'lower' | 'higher' | undefined

/** The better direction of a metric: from the case's target when it has one, else from its unit. */
export function betterOf(caseId: string, metric: string, targets: readonly TargetSpec[]): Better {
  const specs = specsFor(caseId, targets)
  const spec = [...specs.targets, ...specs.goals].find((t) => t.metric === metric)
  if (spec !== undefined) return spec.op.startsWith('<') ? 'lower' : 'higher'
  if (/_per_s$/.test(metric) || /^(success|sent_on_time)_ratio$/.test(metric)) return 'higher'
  if (/_(ms|s|bytes)$/.test(metric) || /^(error|compression)_ratio$/.test(metric)) return 'lower'
  return undefined
}

/** One compared metric. */
export interface MetricChange {
  case: string
  metric: string
  old: number
  new: number
  ratio: number
  /** Two-sided p of Welch's test over the repeats; NaN when a side has fewer than two repeats. */
  p: number
  better: Better
  significant: boolean
  /** 'regression' | 'improvement' when significant and the metric has a better side, else 'same' or 'untested'. */
  change: 'regression' | 'improvement' | 'same' | 'untested'
  /** True when a target (not only a goal) names this metric. */
  targeted: boolean
}

const valuesOf = (e: ResultEntry, metric: string): number[] => e.repeats.map((r) => r[metric]).filter((v): v is number => v !== undefined && Number.isFinite(v))

/** Compares every metric two reports share, case by case. */
export function compareReports(oldR: Report, newR: Report, targets: readonly TargetSpec[], minEffect = 0.05): MetricChange[] {
  const out: MetricChange[] = []
  const olds = new Map(oldR.results.map((r) => [r.id, r]))
  for (const n of newR.results) {
    const o = olds.get(n.id)
    if (o === undefined || o.status !== 'completed' || n.status !== 'completed') continue
    const targeted = new Set(specsFor(n.id, targets).targets.map((t) => t.metric))
    for (const [metric, nv] of Object.entries(n.metrics)) {
      const ov = o.metrics[metric]
      if (ov === undefined || /_count$/.test(metric)) continue
      const better = betterOf(n.id, metric, targets)
      const ratio = ov === 0 ? (nv === 0 ? 1 : Number.POSITIVE_INFINITY) : nv / ov
      const { p } = welch(valuesOf(o, metric), valuesOf(n, metric))
      const significant = Number.isFinite(p) && p < 0.05 && Math.abs(ratio - 1) >= minEffect
      let change: MetricChange['change'] = Number.isNaN(p) ? 'untested' : 'same'
      if (significant && better !== undefined) change = (better === 'lower') === nv > ov ? 'regression' : 'improvement'
      out.push({ case: n.id, metric, old: ov, new: nv, ratio, p, better, significant, change, targeted: targeted.has(metric) })
    }
  }
  return out
}

/** The headline figures of a case without targets (a baseline): its rates and p50/p99 latencies. */
export function isHeadline(metric: string): boolean {
  if (/^(error|compression)_ratio$/.test(metric)) return true
  return /(^|_)(p50|p99)_ms$|_per_s$/.test(metric) && !/^(uncorrected|closed|send_lag|generator|intended|attempted|achieved)/.test(metric)
}

/**
 * The metrics an interleaved comparison decides on (its family of tests, corrected together): every metric a
 * target or goal names, and for a case without any, its headline figures; with `all`, every metric that has a
 * better side (counts never). `targeted` marks the metrics a target (not a goal) names: their decided
 * regressions fail the gate.
 */
export function familyOf(targets: readonly TargetSpec[], all = false): FamilyOf {
  return (caseId, metric) => {
    if (/_count$/.test(metric)) return undefined
    const better = betterOf(caseId, metric, targets)
    if (better === undefined) return undefined
    const specs = specsFor(caseId, targets)
    const targeted = specs.targets.some((t) => t.metric === metric)
    const named = targeted || specs.goals.some((t) => t.metric === metric)
    const judgedCase = specs.targets.length + specs.goals.length > 0
    if (all || named || (!judgedCase && isHeadline(metric))) return { better, targeted }
    return undefined
  }
}

/** One failed run of a case in an interleaved comparison. */
export interface CaseError {
  side: SideName
  round: number
  id: string
  reason: string
}

/** The report of `lucid compare --base REF --json F` (schema `lucid-compare/1`, docs/report.md): every sample and every decision. */
export interface CompareReport {
  schema: 'lucid-compare/1'
  mode: 'interleaved'
  /** `regression`: a targeted metric decidedly worse; `error`: a case errored in some run; else `no-regression`. */
  verdict: 'regression' | 'no-regression' | 'error'
  base: { ref: string; commit: string; dir: string; install?: string }
  head: { ref: string; commit: string; dirty: boolean; dir: string }
  /** The case ids compared, each run on its own in both trees. */
  cases: string[]
  profile: Profile
  budget_s: number
  min_effect: number
  alpha: number
  correction: 'holm-bonferroni'
  method: string
  env: ReportEnv
  elapsed_s: number
  stopped: Stopped
  rounds: Round[]
  decisions: MetricDecision[]
  errors: CaseError[]
}

/** Every errored run of a case, on either side (a baseline run with a case included). */
export function caseErrors(rounds: readonly Round[]): CaseError[] {
  return rounds.flatMap((r) =>
    r.pairs.flatMap((p) =>
      (['base', 'head'] as const).flatMap((side) =>
        p[side].results.filter((c) => c.status === 'errored').map((c) => ({ side, round: r.index, id: c.id, reason: c.reason ?? '' }))
      )
    )
  )
}

/** The comparison's verdict: any errored run is an error; else a decided regression of a targeted metric; else none. */
export function interleavedVerdict(result: Pick<InterleaveResult, 'rounds' | 'decisions'>): CompareReport['verdict'] {
  if (caseErrors(result.rounds).length > 0) return 'error'
  return result.decisions.some((d) => d.targeted && d.decision === 'regression') ? 'regression' : 'no-regression'
}

/** The exit code of a verdict: 0 no regression, 1 a regression, 3 a case errored. */
export function interleavedExitCode(verdict: CompareReport['verdict']): number {
  return verdict === 'error' ? 3 : verdict === 'regression' ? 1 : 0
}

/** The method, in one sentence, for the report and the printed summary. */
export const INTERLEAVED_METHOD =
  'rounds of every case run in both trees back to back (a pair), which tree goes first alternating; per metric the geometric mean of the per-pair head/base ratios with a Student-t 95 % interval; a difference beyond the minimum effect (one-sided tests against its edges) and no difference within it (TOST) each Holm-Bonferroni-corrected over the metrics at 5 % familywise'
