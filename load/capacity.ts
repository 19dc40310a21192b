/**
 * Capacity search: the highest open-model rate that keeps p99 under a bound (and that the generator could
 * actually hold, with under 1 % errors). Rates grow by half until one fails, then bisect between the last
 * good and the first bad rate until they are within 5 % of each other.
 */
import type { CapacityPoint } from '../harness/case.ts'

/** Options of a search. */
export interface CapacityOptions {
  startRate: number
  p99BoundMs: number
  /** Runs the open model at a rate. */
  measure: (rate: number) => Promise<CapacityPoint>
  /** Most steps (default 14). */
  maxSteps?: number
}

/** True when a step met the bound honestly. */
export function good(p: CapacityPoint, boundMs: number): boolean {
  return p.held && p.p99_ms <= boundMs && p.error_ratio < 0.01
}

/** Runs the search; `maxRate` is 0 when even the start rate failed (then the search walks down). */
export async function findMaxRate(opts: CapacityOptions): Promise<{ maxRate: number; curve: CapacityPoint[] }> {
  const curve: CapacityPoint[] = []
  const maxSteps = opts.maxSteps ?? 14
  let lo = 0
  let hi = Number.POSITIVE_INFINITY
  let rate = opts.startRate
  while (curve.length < maxSteps) {
    const p = await opts.measure(rate)
    curve.push(p)
    if (good(p, opts.p99BoundMs)) lo = Math.max(lo, rate)
    else hi = Math.min(hi, rate)
    if (hi === Number.POSITIVE_INFINITY) rate = rate * 1.5
    else if (lo === 0) rate = rate / 2
    else if ((hi - lo) / hi <= 0.05) break
    else rate = (lo + hi) / 2
    if (rate < 1) break
  }
  return { maxRate: lo, curve: curve.sort((a, b) => a.rate_per_s - b.rate_per_s) }
}
