/**
 * The decision of an interleaved A/B comparison (`lucid compare --base REF`): pure functions of the samples,
 * no I/O, so the statistics are tested apart from the processes that gather them (docs/measurement.md,
 * "Comparing against a git ref").
 *
 * The samples come in pairs: one run of the base tree and one of the head tree, back to back, sharing the
 * machine's state of those seconds. Per metric the effect of a pair is the log of head/base (`ln(b/a)`; metrics
 * that can be zero use the difference relative to the pair's mean level), and the estimate is their mean: the
 * geometric mean of the per-pair ratios, with a Student-t interval. A drift of the machine between pairs moves
 * both halves of each pair and cancels; only what changes within one pair is noise.
 *
 * Each metric gets two tests against the minimum effect `e` (the band |ln ratio| <= ln(1 + e)):
 * - difference: the effect lies beyond the band, worse or better (one-sided test against the nearer edge,
 *   doubled because the side is picked from the data);
 * - equivalence: the effect lies inside the band (two one-sided tests, TOST; its p is the larger of the two).
 *
 * Each family (all metrics' difference tests; all metrics' equivalence tests) is corrected with Holm's step-down
 * Bonferroni method at `alpha` (5 %): the chance of any false alarm among all metrics stays under 5 % whatever
 * their number and however they correlate (a false-discovery rate would allow a share of false alarms among the
 * alarms, and a gate that fails on any one regression needs the familywise bound). A metric whose difference
 * test is rejected is a regression or an improvement; one whose equivalence test is rejected shows no
 * difference beyond the minimum effect; any other is undecided, and more rounds may decide it.
 */
import { tTwoSidedP } from './spread.ts'

/** Which way is better for a metric. */
export type Direction = 'lower' | 'higher'

/** The samples of one metric: `base[i]` and `head[i]` come from pair i. */
export interface PairedSamples {
  case: string
  metric: string
  better: Direction
  /** True when a target names the metric: a decided regression of it fails the gate. */
  targeted: boolean
  base: readonly number[]
  head: readonly number[]
}

/** What was decided about one metric. */
export type Decision = 'regression' | 'improvement' | 'same' | 'undecided'

/** One metric's estimate and decision. */
export interface MetricDecision {
  case: string
  metric: string
  better: Direction
  targeted: boolean
  /** Pairs with a value on both sides. */
  n: number
  /** Medians of the two sides' samples. */
  base: number
  head: number
  /** head/base: the geometric mean of the per-pair ratios (log scale), or 1 + mean relative difference. */
  ratio: number
  /** 95 % confidence interval of the ratio (not corrected for the number of metrics: the decision is). */
  ci_low: number
  ci_high: number
  /** Two-sided p of "the ratio is 1" (uncorrected, for reading; the decisions use the tests below). */
  p: number
  /** Holm-adjusted p of "the effect is beyond the minimum effect". */
  p_difference: number
  /** Holm-adjusted p of "the effect is within the minimum effect" (TOST). */
  p_same: number
  decision: Decision
}

/** Options of the decision. */
export interface DecideOptions {
  /** The minimum effect as a fraction (0.05 = 5 %). */
  minEffect: number
  /** Familywise error rate of each family of tests. Default 0.05. */
  alpha?: number
}

/** P(T >= t) for Student's t with `df` degrees of freedom. */
export function tUpperP(t: number, df: number): number {
  if (Number.isNaN(t)) return Number.NaN
  if (t === Number.POSITIVE_INFINITY) return 0
  if (t === Number.NEGATIVE_INFINITY) return 1
  const two = tTwoSidedP(Math.abs(t), df)
  return t >= 0 ? two / 2 : 1 - two / 2
}

/** The t quantile q with P(|T| >= q) = alphaTwoSided, by bisection. */
export function tCritical(alphaTwoSided: number, df: number): number {
  let lo = 0
  let hi = 1e6
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2
    if (tTwoSidedP(mid, df) > alphaTwoSided) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

/**
 * Holm's step-down adjusted p-values, in the input's order: sort ascending, multiply the k-th smallest by
 * (m - k + 1), carry the running maximum, cap at 1. A hypothesis is rejected at level alpha when its adjusted p
 * is <= alpha. NaN counts as 1.
 */
export function holm(ps: readonly number[]): number[] {
  const m = ps.length
  const order = ps.map((p, i) => ({ p: Number.isNaN(p) ? 1 : p, i })).sort((a, b) => a.p - b.p)
  const out = new Array<number>(m).fill(1)
  let running = 0
  for (const [k, { p, i }] of order.entries()) {
    running = Math.max(running, Math.min(1, (m - k) * p))
    out[i] = running
  }
  return out
}

const middle = (v: readonly number[]): number => {
  const s = [...v].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Per-metric statistics before the correction. */
interface Raw {
  n: number
  ratio: number
  ciLow: number
  ciHigh: number
  p: number
  pDifference: number
  pSame: number
  /** Oriented effect: > 0 is worse. */
  worse: number
}

const UNTESTED = (n: number): Raw => ({ n, ratio: Number.NaN, ciLow: Number.NaN, ciHigh: Number.NaN, p: Number.NaN, pDifference: 1, pSame: 1, worse: 0 })

function rawOf(s: PairedSamples, minEffect: number): Raw {
  const n = Math.min(s.base.length, s.head.length)
  const a = s.base.slice(0, n)
  const b = s.head.slice(0, n)
  if (n < 2) return UNTESTED(n)
  // Log ratios when every value is positive; else differences relative to the mean level (an error ratio at 0).
  const logScale = a.every((v) => v > 0) && b.every((v) => v > 0)
  let d: number[]
  let band: number
  if (logScale) {
    d = a.map((v, i) => Math.log(b[i]! / v))
    band = Math.log(1 + minEffect)
  } else {
    const level = (a.reduce((x, y) => x + Math.abs(y), 0) + b.reduce((x, y) => x + Math.abs(y), 0)) / (2 * n)
    if (level === 0) d = a.map(() => 0)
    else d = a.map((v, i) => (b[i]! - v) / level)
    band = minEffect
  }
  const mean = d.reduce((x, y) => x + y, 0) / n
  const sd = Math.sqrt(d.reduce((x, y) => x + (y - mean) ** 2, 0) / (n - 1))
  const se = sd / Math.sqrt(n)
  const df = n - 1
  const worse = s.better === 'lower' ? mean : -mean
  const toRatio = (x: number): number => (logScale ? Math.exp(x) : 1 + x)
  const half = se === 0 ? 0 : tCritical(0.05, df) * se
  let p: number
  let pWorse: number
  let pBetter: number
  let pSame: number
  if (se === 0) {
    // Every round gave the same effect (a deterministic metric): the effect is known exactly.
    p = mean === 0 ? 1 : 0
    pWorse = worse > band ? 0 : 1
    pBetter = worse < -band ? 0 : 1
    pSame = Math.abs(worse) < band ? 0 : 1
  } else {
    p = tTwoSidedP(Math.abs(mean / se), df)
    pWorse = tUpperP((worse - band) / se, df) // H0: effect <= +band
    pBetter = tUpperP((-band - worse) / se, df) // H0: effect >= -band
    pSame = Math.max(tUpperP((worse + band) / se, df), tUpperP((band - worse) / se, df)) // H0: |effect| >= band
  }
  return {
    n,
    ratio: toRatio(mean),
    ciLow: toRatio(mean - half),
    ciHigh: toRatio(mean + half),
    p,
    pDifference: Math.min(1, 2 * Math.min(pWorse, pBetter)),
    pSame,
    worse
  }
}

/**
 * Decides every metric of a comparison: estimates, the two Holm-corrected families of tests, and the decision.
 * Pure: the same samples give the same decisions.
 */
export function decide(samples: readonly PairedSamples[], opts: DecideOptions): MetricDecision[] {
  const alpha = opts.alpha ?? 0.05
  const raws = samples.map((s) => rawOf(s, opts.minEffect))
  const adjDiff = holm(raws.map((r) => r.pDifference))
  const adjSame = holm(raws.map((r) => r.pSame))
  return samples.map((s, i) => {
    const r = raws[i]!
    const pd = adjDiff[i]!
    const ps = adjSame[i]!
    let decision: Decision = 'undecided'
    if (r.n >= 2 && pd <= alpha) decision = r.worse > 0 ? 'regression' : 'improvement'
    else if (r.n >= 2 && ps <= alpha) decision = 'same'
    return {
      case: s.case,
      metric: s.metric,
      better: s.better,
      targeted: s.targeted,
      n: r.n,
      base: middle(s.base.slice(0, r.n)),
      head: middle(s.head.slice(0, r.n)),
      ratio: r.ratio,
      ci_low: r.ciLow,
      ci_high: r.ciHigh,
      p: r.p,
      p_difference: pd,
      p_same: ps,
      decision
    }
  })
}

/** True when every metric is decided (sampling can stop); false for no metrics. */
export function allDecided(decisions: readonly MetricDecision[]): boolean {
  return decisions.length > 0 && decisions.every((d) => d.decision !== 'undecided')
}
