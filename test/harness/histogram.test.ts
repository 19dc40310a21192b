import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHistogram, decodeHistogram, encodeHistogram, latencyMetrics, mergeHistograms, recordMs } from '../../harness/stats/histogram.ts'
import { median, medianMetrics } from '../../harness/stats/median.ts'
import { createRng } from '../../services/common/rng.ts'

/** Nearest-rank percentile of integer samples: the smallest value with at least p % of samples at or below it. */
function exactPercentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1]!
}

const rng = createRng(2026)
const distributions: Record<string, number[]> = {
  // µs values: uniform 1 µs .. 100 ms
  uniform: Array.from({ length: 50_000 }, () => rng.int(1, 100_000)),
  // exponential, mean 2 ms, a long tail
  exponential: Array.from({ length: 50_000 }, () => Math.max(1, Math.round(-Math.log(1 - rng.next()) * 2000))),
  // bimodal: 97 % fast (~1 ms), 3 % stalls (~250 ms), the shape that averaging hides
  bimodal: Array.from({ length: 50_000 }, () => (rng.next() < 0.97 ? rng.int(800, 1200) : rng.int(240_000, 260_000)))
}

describe('HDR histogram statistics', () => {
  for (const [name, samples] of Object.entries(distributions)) {
    it(`percentiles of the ${name} distribution match exactly computed ones within 0.1 %`, () => {
      const h = createHistogram()
      for (const v of samples) h.recordValue(v)
      const sorted = [...samples].sort((a, b) => a - b)
      for (const p of [50, 90, 95, 99, 99.9, 100]) {
        const exact = exactPercentile(sorted, p)
        const got = h.getValueAtPercentile(p)
        assert.ok(Math.abs(got - exact) <= exact * 0.001 + 1, `${name} p${p}: hdr ${got} vs exact ${exact}`)
      }
      const mean = samples.reduce((a, b) => a + b, 0) / samples.length
      assert.ok(Math.abs(h.mean - mean) <= mean * 0.001, `${name} mean ${h.mean} vs ${mean}`)
      assert.equal(h.totalCount, samples.length)
    })
  }

  it('a histogram merged from encoded parts equals the histogram of all samples', () => {
    const samples = distributions.bimodal!
    const whole = createHistogram()
    const parts = [createHistogram(), createHistogram(), createHistogram()]
    samples.forEach((v, i) => {
      whole.recordValue(v)
      parts[i % 3]!.recordValue(v)
    })
    const merged = mergeHistograms(parts.map(encodeHistogram))
    assert.equal(merged.totalCount, whole.totalCount)
    for (let p = 1; p <= 100; p += 0.5) assert.equal(merged.getValueAtPercentile(p), whole.getValueAtPercentile(p), `p${p}`)
    // The wire format keeps bucket counts, not the exact maximum: after decoding, max is its bucket's
    // highest equivalent value, within the histogram's 0.1 % precision.
    assert.ok(Math.abs(merged.maxValue - whole.maxValue) <= whole.maxValue * 0.001)
    // Bucket for bucket the same as the whole histogram sent through the same wire format.
    assert.deepEqual(latencyMetrics(merged), latencyMetrics(mergeHistograms([encodeHistogram(whole)])))

    // Why histograms and not percentiles travel between processes: with unlike parts (one process saw
    // the stalls, the other did not), the mean of the parts' p99s is far from the true p99.
    const fast = createHistogram()
    const slow = createHistogram()
    for (let i = 0; i < 9900; i++) fast.recordValue(1000)
    for (let i = 0; i < 100; i++) slow.recordValue(250_000)
    const truth = mergeHistograms([fast, slow]).getValueAtPercentile(99.5)
    const averaged = (fast.getValueAtPercentile(99.5) + slow.getValueAtPercentile(99.5)) / 2
    assert.ok(Math.abs(truth - 250_000) <= 250, `merged p99.5 ${truth}`)
    assert.ok(Math.abs(averaged - truth) > 100_000, 'averaging percentiles gives a different answer')
  })

  it('encodes and decodes without loss', () => {
    const h = createHistogram()
    for (const v of distributions.exponential!) h.recordValue(v)
    const back = decodeHistogram(encodeHistogram(h))
    assert.equal(back.totalCount, h.totalCount)
    for (let p = 1; p <= 100; p += 0.5) assert.equal(back.getValueAtPercentile(p), h.getValueAtPercentile(p), `p${p}`)
  })

  it('records milliseconds as microseconds and reports metrics in ms', () => {
    const h = createHistogram()
    for (let i = 1; i <= 1000; i++) recordMs(h, i / 100) // 0.01 .. 10 ms
    const m = latencyMetrics(h, 'x_')
    assert.ok(Math.abs(m.x_p50_ms! - 5) < 0.01)
    assert.ok(Math.abs(m.x_p99_ms! - 9.9) < 0.01)
    assert.ok(Math.abs(m.x_max_ms! - 10) < 0.01)
    assert.equal(m.x_samples_count, 1000)
    assert.deepEqual(latencyMetrics(createHistogram()), { samples_count: 0 }, 'an empty histogram has no percentiles to report')
  })

  it('takes the median of repeats per metric', () => {
    assert.equal(median([3, 1, 2]), 2)
    assert.equal(median([4, 1, 3, 2]), 2.5)
    assert.throws(() => median([]), RangeError)
    assert.deepEqual(medianMetrics([{ a: 1, b: 10 }, { a: 3 }, { a: 2, b: 20 }]), { a: 2, b: 15 })
  })
})
