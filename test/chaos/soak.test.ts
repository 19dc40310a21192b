/**
 * The soak suite's leak criterion on synthetic samples of known slope and noise, and a 20-second soak
 * against the real gateway whose assertions are on what it produced, never on timings.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRng } from '../../services/common/rng.ts'
import { fitLine, judgeLeak, type Point } from '../../chaos/soak/fit.ts'
import { analyseSoak, run, type SoakSample } from '../../chaos/soak/index.ts'

/** `n` samples over `minutes`: level + slope·t + uniform noise of ±`noise`, plus a GC-like sawtooth. */
function synthetic(n: number, minutes: number, level: number, slope: number, noise: number, seed = 1, saw = 0): Point[] {
  const rng = createRng(seed)
  return Array.from({ length: n }, (_, i) => {
    const tMin = (i * minutes) / (n - 1)
    return { tMin, v: level + slope * tMin + (rng.next() * 2 - 1) * noise + saw * ((i % 10) / 10) }
  })
}

test('least squares recovers a known slope, and its interval holds it', () => {
  const pts = synthetic(200, 60, 100e6, 50_000, 2e6, 3)
  const f = fitLine(pts)!
  assert.ok(Math.abs(f.slope - 50_000) < 5_000, `slope ${f.slope}`)
  assert.ok(f.ci95Low < 50_000 && f.ci95High > 50_000)
  const exact = fitLine([
    { tMin: 0, v: 1 },
    { tMin: 1, v: 3 },
    { tMin: 2, v: 5 }
  ])!
  assert.equal(exact.slope, 2)
  assert.equal(exact.intercept, 1)
  assert.equal(
    fitLine([
      { tMin: 1, v: 1 },
      { tMin: 1, v: 2 },
      { tMin: 1, v: 3 }
    ]),
    undefined
  )
})

test('leak verdicts: a real leak, flat noise, a sawtooth, a tiny significant drift, a shrink', () => {
  // 1 MB/min on 100 MB: 60 % an hour, far outside the noise.
  assert.equal(judgeLeak('rss', synthetic(120, 10, 100e6, 1e6, 3e6, 1), 1).leak, true)
  // Flat with heavy noise: the interval straddles 0.
  for (const seed of [1, 2, 3, 4, 5]) assert.equal(judgeLeak('rss', synthetic(120, 10, 100e6, 0, 5e6, seed), 1).leak, false, `seed ${seed}`)
  // A GC sawtooth on a flat level.
  assert.equal(judgeLeak('heap', synthetic(150, 10, 40e6, 0, 1e6, 9, 20e6), 1).leak, false)
  // Significant but small: 10 KB/min on 100 MB is 0.6 % an hour, under the 10 % limit.
  const drift = judgeLeak('rss', synthetic(300, 30, 100e6, 10_000, 1_000, 4), 1)
  assert.equal(drift.fit!.ci95Low > 0, true)
  assert.equal(drift.leak, false)
  assert.match(drift.reason, /within 10 % per hour/)
  // The same drift is a leak under a limit of 0.5 % an hour.
  assert.equal(judgeLeak('rss', synthetic(300, 30, 100e6, 10_000, 1_000, 4), 1, 0.005).leak, true)
  // Memory going down is no leak.
  assert.equal(judgeLeak('rss', synthetic(120, 10, 100e6, -1e6, 1e6, 6), 1).leak, false)
  // Handles growing by one a minute from 30.
  assert.equal(
    judgeLeak(
      'handles',
      synthetic(120, 10, 30, 1, 0.5, 7).map((p) => ({ tMin: p.tMin, v: Math.round(p.v) })),
      1,
      0.1,
      10
    ).leak,
    true
  )
  // One handle more over ten minutes on a level of 9 (connection churn): 10 % an hour is under one handle, the
  // floor of 10 an hour keeps it flat.
  const churn = synthetic(120, 10, 9, 0.1, 0.2, 7).map((p) => ({ tMin: p.tMin, v: Math.round(p.v) }))
  assert.equal(judgeLeak('handles', churn, 1).leak, true)
  assert.equal(judgeLeak('handles', churn, 1, 0.1, 10).leak, false)
  // Warm-up excluded: steep growth in the first minute, flat after.
  const warm = synthetic(120, 10, 100e6, 0, 1e6, 8).map((p) => ({ tMin: p.tMin, v: p.tMin < 2 ? p.v - (2 - p.tMin) * 30e6 : p.v }))
  assert.equal(judgeLeak('rss', warm, 2).leak, false)
  assert.equal(judgeLeak('rss', warm, 0).leak, true)
})

test('analyseSoak: metrics named with units, verdicts per resource', () => {
  const rng = createRng(11)
  const samples: SoakSample[] = Array.from({ length: 100 }, (_, i) => ({
    tMin: i / 10,
    rss: 150e6 + rng.next() * 4e6,
    heap: 50e6 + i * 1e5, // 1e6 bytes per minute on 50 MB: a leak
    handles: 40 + (rng.next() < 0.5 ? 1 : 0),
    loopP99Ms: 12 + rng.next()
  }))
  const { metrics, verdicts } = analyseSoak(samples, 1)
  assert.equal(metrics.samples_count, 100)
  assert.ok(Math.abs(metrics.heap_slope_bytes_per_min! - 1e6) < 1)
  assert.equal(verdicts.heap!.leak, true)
  assert.equal(verdicts.rss!.leak, false)
  assert.equal(verdicts.handles!.leak, false)
  assert.equal(verdicts.loop_delay!.leak, false)
  assert.ok(metrics.peak_rss_bytes! >= 150e6 && metrics.peak_rss_bytes! <= 154e6)
  assert.ok(metrics.loop_delay_p99_ms! >= 12 && metrics.loop_delay_p99_ms! <= 13)
  assert.equal(typeof metrics.rss_slope_bytes_per_min, 'number')
  assert.equal(typeof metrics.handles_slope_per_min, 'number')
  // Without a trend-capable loop delay (no /metrics), it is reported but not judged.
  assert.equal(analyseSoak(samples, 1, 0.1, false).verdicts.loop_delay, undefined)
})

test('analyseSoak: with the live heap reported, it is judged (one point per major GC) and the sawtooth of the used heap is not', () => {
  const rng = createRng(12)
  // Used heap: a steep sawtooth (garbage between collections); live heap: flat, read at every 15th sample.
  const samples: SoakSample[] = Array.from({ length: 150 }, (_, i) => ({
    tMin: i / 10,
    rss: 200e6 + rng.next() * 1e6,
    heap: 40e6 + (i % 15) * 2e6,
    heapLive: 35e6 + (Math.floor(i / 15) % 2) * 2e5,
    majorGc: Math.floor(i / 15),
    // V8 growing its committed heap 0.5 MB/min with nothing retained: RSS climbs, what is outside the heap does not.
    heapTotal: 60e6 + i * 5e4
  }))
  for (const s of samples) s.rss = (s.rss as number) + (s.heapTotal as number)
  const flat = analyseSoak(samples, 2)
  assert.equal(flat.verdicts.heap, undefined, 'the used heap is not judged when the live heap is there')
  assert.equal(flat.verdicts.heap_live?.leak, false)
  assert.equal(flat.metrics.major_gc_count, 10, 'one point per collection, not one per sample')
  assert.equal(flat.verdicts.heap_live?.fit?.n, 8, 'those after warm-up')
  assert.equal(typeof flat.metrics.heap_slope_bytes_per_min, 'number', 'the used heap slope is still reported')
  assert.equal(flat.verdicts.rss, undefined, 'RSS is split into the live heap and what is outside the heap')
  assert.equal(flat.reported.rss?.leak, true, 'RSS alone would have read the heap sizing as a leak')
  assert.equal(flat.verdicts.off_heap?.leak, false)
  assert.ok(Math.abs(flat.metrics.rss_slope_bytes_per_min! - 5e5) < 1e5)
  // Memory outside the heap growing 1 MB/min (Buffers kept, a native leak) is judged a leak.
  const native = analyseSoak(
    samples.map((s, i) => ({ ...s, rss: (s.rss as number) + i * 1e5 })),
    2
  )
  assert.equal(native.verdicts.off_heap?.leak, true)
  // The live heap growing 1 MB a collection (~0.67 MB/min on 35 MB) is a leak.
  const leaking = analyseSoak(
    samples.map((s) => ({ ...s, heapLive: 35e6 + (s.majorGc ?? 0) * 1e6 })),
    2
  )
  assert.equal(leaking.verdicts.heap_live?.leak, true)
  assert.ok(Math.abs(leaking.metrics.heap_live_slope_bytes_per_min! - 1e6 / 1.5) < 1e3)
  // The same growth made of compiled code (V8 optimising more of the program) is reported, and the data judged flat.
  const jit = analyseSoak(
    samples.map((s) => ({ ...s, heapLive: 35e6 + (s.majorGc ?? 0) * 1e6, heapCode: 3e6 + (s.majorGc ?? 0) * 1e6 })),
    2
  )
  assert.equal(jit.verdicts.heap_live?.leak, false)
  assert.match(jit.verdicts.heap_live?.reason ?? '', /minus compiled code/)
  assert.equal(jit.reported.heap_code?.leak, true)
  assert.ok(Math.abs(jit.metrics.heap_code_slope_bytes_per_min! - 1e6 / 1.5) < 1e3)
})

test('a 20-second soak against the gateway samples it and reports every figure', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-soak-'))
  try {
    const r = await run({ full: false, durationS: 20, progress: () => {}, tmpdir: dir }, { sampleEveryS: 1 })
    assert.ok(r.metrics.samples_count! >= 5, `samples ${r.metrics.samples_count}`)
    assert.ok(r.metrics.peak_rss_bytes! > 10e6)
    assert.ok(r.metrics.requests_count! > 0)
    for (const m of ['rss_slope_bytes_per_min', 'heap_slope_bytes_per_min', 'handles_slope_per_min', 'loop_delay_p99_ms'])
      assert.equal(typeof r.metrics[m], 'number', m)
    assert.match(String(r.conditions.leak_criterion), /95 % CI above 0/)
    // RSS is judged as a whole, or (once a major GC gave a live-heap reading) reported beside off_heap.
    assert.match(String(r.conditions.verdict_rss ?? r.conditions.reported_rss), /^rss: slope/)
    // A 20 s run is far too short to judge a leak honestly; its verdict is not asserted, only its shape.
    assert.equal(typeof r.passed, 'boolean')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
