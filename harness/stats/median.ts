/**
 * Combining repeats: each metric's median over the repeats that produced it.
 */
import type { Metrics } from '../case.ts'

/** Median of a non-empty list (mean of the two middle values for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing')
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Per metric, the median over the repeats that have it. */
export function medianMetrics(repeats: readonly Metrics[]): Metrics {
  const names = new Set(repeats.flatMap((r) => Object.keys(r)))
  const out: Metrics = {}
  for (const n of names) {
    const vals = repeats.map((r) => r[n]).filter((v): v is number => v !== undefined)
    out[n] = median(vals)
  }
  return out
}
