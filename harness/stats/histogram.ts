/**
 * Latency recording in HDR histograms (hdr-histogram-js), microsecond resolution, 3 significant digits.
 * Histograms from several processes are merged by encoding, sending and adding them (never by averaging
 * percentiles, which is wrong for any distribution that is not identical across processes).
 */
import * as hdr from 'hdr-histogram-js'
import type { Histogram } from 'hdr-histogram-js'
import type { Metrics } from '../case.ts'

export type { Histogram }

/** A histogram recording microseconds from 1 µs upward (it auto-resizes past one hour). */
export function createHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true })
}

/** Records a duration given in milliseconds (fractional) as integer microseconds (at least 1). */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.max(1, Math.round(ms * 1000)))
}

/** p-th percentile (0..100) of latencies in ms, through an HDR histogram as every other figure; 0 for none. */
export function percentileMs(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const h = createHistogram()
  for (const v of values) recordMs(h, v)
  return h.getValueAtPercentile(p) / 1000
}

/** Compressed base64 of the histogram (the HdrHistogram wire format), for shipping between processes. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h)
}

/** Inverse of encodeHistogram. */
export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false)
}

/** Adds every histogram into a fresh one: the histogram of all samples. */
export function mergeHistograms(parts: Iterable<Histogram | string>): Histogram {
  const out = createHistogram()
  for (const p of parts) out.add(typeof p === 'string' ? decodeHistogram(p) : p)
  return out
}

/** The percentiles every latency figure reports. */
export const PERCENTILES = [50, 90, 95, 99, 99.9] as const

/**
 * Latency metrics in ms: p50, p90, p95, p99, p99_9, max, mean, stdev, plus the sample count.
 * `prefix` names a sub-measurement (`encrypt_` gives encrypt_p95_ms).
 */
export function latencyMetrics(h: Histogram, prefix = ''): Metrics {
  const m: Metrics = {}
  if (h.totalCount === 0) return { [`${prefix}samples_count`]: 0 }
  for (const p of PERCENTILES) m[`${prefix}p${String(p).replace('.', '_')}_ms`] = h.getValueAtPercentile(p) / 1000
  m[`${prefix}max_ms`] = h.maxValue / 1000
  m[`${prefix}mean_ms`] = h.mean / 1000
  m[`${prefix}stdev_ms`] = h.stdDeviation / 1000
  m[`${prefix}samples_count`] = h.totalCount
  return m
}
