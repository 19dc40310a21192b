/**
 * Comparing two reports, the way fastify's and Node's benchmark comparisons do: per case and metric, both
 * medians, the ratio, and whether the change is significant, meaning both a two-sided Welch t-test over the
 * repeats at p < 0.05 and an effect of at least `minEffect` (5 % by default). A significant change in the
 * worse direction is a regression. Single runs cannot be tested: they are shown, never called significant.
 */
import type { Report, ResultEntry } from './report/schema.ts'
import { TARGETS } from './targets.ts'
import { specsFor } from './verdict.ts'
import { welch } from './stats/spread.ts'

/** Which way is better for a metric; undefined when it has no better side (counts, conditions). */
export type Better = 'lower' | 'higher' | undefined

/** The better direction of a metric: from the case's target when it has one, else from its unit. */
export function betterOf(caseId: string, metric: string): Better {
  const spec = [...specsFor(caseId, TARGETS).targets, ...specsFor(caseId, TARGETS).goals].find((t) => t.metric === metric)
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
export function compareReports(oldR: Report, newR: Report, minEffect = 0.05): MetricChange[] {
  const out: MetricChange[] = []
  const olds = new Map(oldR.results.map((r) => [r.id, r]))
  for (const n of newR.results) {
    const o = olds.get(n.id)
    if (o === undefined || o.status !== 'completed' || n.status !== 'completed') continue
    const targeted = new Set(specsFor(n.id, TARGETS).targets.map((t) => t.metric))
    for (const [metric, nv] of Object.entries(n.metrics)) {
      const ov = o.metrics[metric]
      if (ov === undefined || /_count$/.test(metric)) continue
      const better = betterOf(n.id, metric)
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
