/**
 * The soak suite's analysis: an ordinary least-squares line through a resource's samples after warm-up,
 * the 95 % confidence interval of its slope, and the leak verdict.
 *
 * A leak is a slope beyond noise, which takes two conditions together:
 * 1. significance: the slope's 95 % confidence interval lies entirely above 0 (Student's t with n - 2
 *    degrees of freedom), so a sawtooth (GC cycles, pooled buffers) does not count as growth;
 * 2. size: the growth the slope extrapolates to over an hour exceeds `hourlyGrowthLimit` (10 % by default)
 *    of the fitted level at the end of warm-up, so a tiny but steady drift (a cache filling to its bound
 *    over a long run, a few bytes of JIT code) does not count either.
 * Samples a second or two apart are autocorrelated, which makes the interval narrower than it should be;
 * the size condition is what keeps that from turning noise into a verdict.
 */
import { t95 } from '../../harness/stats/spread.ts'

/** One observation: minutes into the run, and the value. */
export interface Point {
  readonly tMin: number
  readonly v: number
}

/** A fitted line and its slope's uncertainty. */
export interface Fit {
  readonly n: number
  /** Units per minute. */
  readonly slope: number
  readonly intercept: number
  readonly ci95Low: number
  readonly ci95High: number
}

/** Least squares through `points` (at least 3 at 2 distinct times, else undefined). */
export function fitLine(points: readonly Point[]): Fit | undefined {
  const n = points.length
  if (n < 3) return undefined
  const mt = points.reduce((a, p) => a + p.tMin, 0) / n
  const mv = points.reduce((a, p) => a + p.v, 0) / n
  let sxx = 0
  let sxy = 0
  for (const p of points) {
    sxx += (p.tMin - mt) ** 2
    sxy += (p.tMin - mt) * (p.v - mv)
  }
  if (sxx === 0) return undefined
  const slope = sxy / sxx
  const intercept = mv - slope * mt
  let ssr = 0
  for (const p of points) ssr += (p.v - (intercept + slope * p.tMin)) ** 2
  const se = Math.sqrt(ssr / (n - 2) / sxx)
  const half = t95(n - 2) * se
  return { n, slope, intercept, ci95Low: slope - half, ci95High: slope + half }
}

/** The verdict on one resource. */
export interface LeakVerdict {
  readonly fit: Fit | undefined
  /** Growth the slope extrapolates to over 60 minutes, as a fraction of the level at `fromMin`. */
  readonly hourlyGrowthRatio: number
  readonly leak: boolean
  /** One line: what was fitted and why it is or is not a leak. */
  readonly reason: string
}

/**
 * Applies the leak criterion to the samples at or after `warmupMin`. `minHourlyGrowth` is a floor under the
 * size condition in the metric's own units: for a count of a few (open handles: 8 to 11 as connections come
 * and go), 10 % of the level is under one handle an hour, which the connection churn alone exceeds.
 */
export function judgeLeak(name: string, points: readonly Point[], warmupMin: number, hourlyGrowthLimit = 0.1, minHourlyGrowth = 0): LeakVerdict {
  const kept = points.filter((p) => p.tMin >= warmupMin)
  const fit = fitLine(kept)
  if (fit === undefined) return { fit, hourlyGrowthRatio: 0, leak: false, reason: `${name}: too few samples after warm-up (${kept.length}) to fit` }
  const level = fit.intercept + fit.slope * warmupMin
  const hourlyGrowthRatio = level > 0 ? (fit.slope * 60) / level : fit.slope > 0 ? Number.POSITIVE_INFINITY : 0
  const significant = fit.ci95Low > 0
  const large = hourlyGrowthRatio > hourlyGrowthLimit && fit.slope * 60 > minHourlyGrowth
  const leak = significant && large
  const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3))
  const reason =
    `${name}: slope ${fmt(fit.slope)}/min (95 % CI ${fmt(fit.ci95Low)}..${fmt(fit.ci95High)}, n=${fit.n}), ` +
    `${(hourlyGrowthRatio * 100).toFixed(1)} % per hour of ${fmt(level)}: ` +
    (leak
      ? 'LEAK (interval above 0 and growth beyond the limit)'
      : !significant
        ? 'flat (interval includes 0 or lies below)'
        : `flat (growth within ${(hourlyGrowthLimit * 100).toFixed(0)} % per hour${minHourlyGrowth > 0 ? ` or ${fmt(minHourlyGrowth)} per hour` : ''})`)
  return { fit, hourlyGrowthRatio, leak, reason }
}
