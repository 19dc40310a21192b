/**
 * Spread of a metric over repeats: min, max and a 95 % confidence interval of the mean (Student's t),
 * and Welch's t-test between two sets of repeats, which `lucid compare` uses.
 *
 * Written here because the statistics libraries on npm either stop at the t statistic (simple-statistics)
 * or pull in a large tree (@stdlib) for one function: the regularized incomplete beta function below is the
 * textbook continued fraction (Numerical Recipes, "betacf"), checked in tests against known table values.
 */
import type { Metrics } from '../case.ts'

/** Spread of one metric. */
export interface Spread {
  n: number
  min: number
  max: number
  mean: number
  stdev: number
  /** 95 % confidence interval of the mean (equal to [min, max] bounds collapse when n = 1). */
  ci95_low: number
  ci95_high: number
}

function logGamma(x: number): number {
  // Lanczos approximation, g = 7, n = 9.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7
  ]
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  x -= 1
  let a = c[0]!
  const t = x + 7.5
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i)
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a)
}

function betacf(a: number, b: number, x: number): number {
  const EPS = 3e-14
  const FPMIN = 1e-300
  let c = 1
  let d = 1 - ((a + b) * x) / (a + 1)
  if (Math.abs(d) < FPMIN) d = FPMIN
  d = 1 / d
  let h = d
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < FPMIN) d = FPMIN
    c = 1 + aa / c
    if (Math.abs(c) < FPMIN) c = FPMIN
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))
    d = 1 + aa * d
    if (Math.abs(d) < FPMIN) d = FPMIN
    c = 1 + aa / c
    if (Math.abs(c) < FPMIN) c = FPMIN
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < EPS) break
  }
  return h
}

/** Regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const bt = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x))
  return x < (a + 1) / (a + b + 2) ? (bt * betacf(a, b, x)) / a : 1 - (bt * betacf(b, a, 1 - x)) / b
}

/** Two-sided p-value of Student's t with `df` degrees of freedom. */
export function tTwoSidedP(t: number, df: number): number {
  return incompleteBeta(df / (df + t * t), df / 2, 0.5)
}

/** The t quantile for a two-sided 95 % interval, found by bisection on the p-value. */
export function t95(df: number): number {
  let lo = 0
  let hi = 1000
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2
    if (tTwoSidedP(mid, df) > 0.05) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

function meanSd(v: readonly number[]): { mean: number; sd: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0
  return { mean, sd }
}

/** Spread of a list of repeat values. */
export function spreadOf(values: readonly number[]): Spread {
  const { mean, sd } = meanSd(values)
  const half = values.length > 1 ? (t95(values.length - 1) * sd) / Math.sqrt(values.length) : 0
  return { n: values.length, min: Math.min(...values), max: Math.max(...values), mean, stdev: sd, ci95_low: mean - half, ci95_high: mean + half }
}

/** Per metric, the spread over the repeats that have it. */
export function spreadMetrics(repeats: readonly Metrics[]): Record<string, Spread> {
  const out: Record<string, Spread> = {}
  for (const name of new Set(repeats.flatMap((r) => Object.keys(r)))) {
    out[name] = spreadOf(repeats.map((r) => r[name]).filter((v): v is number => v !== undefined))
  }
  return out
}

/** Welch's unequal-variances t-test; `p` is two-sided. NaN p when either side has fewer than 2 values. */
export function welch(a: readonly number[], b: readonly number[]): { t: number; df: number; p: number } {
  if (a.length < 2 || b.length < 2) return { t: Number.NaN, df: Number.NaN, p: Number.NaN }
  const x = meanSd(a)
  const y = meanSd(b)
  const va = x.sd ** 2 / a.length
  const vb = y.sd ** 2 / b.length
  if (va + vb === 0) return { t: x.mean === y.mean ? 0 : Number.POSITIVE_INFINITY, df: a.length + b.length - 2, p: x.mean === y.mean ? 1 : 0 }
  const t = (y.mean - x.mean) / Math.sqrt(va + vb)
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1))
  return { t, df, p: tTwoSidedP(Math.abs(t), df) }
}
