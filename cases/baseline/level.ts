/**
 * baseline.level: raw LevelDB through classic-level, no document layer: random point gets (sequential
 * awaits) and 100-key range reads on 100k keys. The DB layer's figures are divided by these.
 */
import { ClassicLevel } from 'classic-level'
import { join } from 'node:path'
import type { CaseRun } from '../../harness/case.ts'
import { createHistogram, encodeHistogram, latencyMetrics, recordMs } from '../../harness/stats/histogram.ts'

const KEYS = 100_000
const key = (i: number): string => `k${String(i).padStart(8, '0')}`

/** Runs the case. */
export const run: CaseRun = async (ctx) => {
  const db = new ClassicLevel<string, string>(join(ctx.tmpdir, 'level'), { valueEncoding: 'utf8' })
  await db.open()
  try {
    const value = JSON.stringify({ user_id: 'user_0', session_id: 'session_0', status: 'active', timestamp: Date.now(), payload: 'x'.repeat(120) })
    const loadStart = performance.now()
    for (let i = 0; i < KEYS; i += 1000) {
      const batch = db.batch()
      for (let j = i; j < i + 1000; j++) batch.put(key(j), value)
      await batch.write()
    }
    const putsPerS = KEYS / ((performance.now() - loadStart) / 1000)
    ctx.progress(`loaded ${KEYS} keys`)

    const durationS = ctx.seconds(4, { smoke: 0.8, full: 12 })
    for (let i = 0; i < 2000; i++) await db.get(key(ctx.rng.int(0, KEYS - 1))) // warm-up
    const gets = createHistogram()
    let t0 = performance.now()
    let n = 0
    while (performance.now() - t0 < durationS * 1000) {
      const s = performance.now()
      await db.get(key(ctx.rng.int(0, KEYS - 1)))
      recordMs(gets, performance.now() - s)
      n++
    }
    const getsPerS = n / ((performance.now() - t0) / 1000)

    const ranges = createHistogram()
    t0 = performance.now()
    while (performance.now() - t0 < durationS * 1000) {
      const s = performance.now()
      await db.iterator({ gte: key(ctx.rng.int(0, KEYS - 100)), limit: 100 }).all()
      recordMs(ranges, performance.now() - s)
    }
    return {
      status: 'completed',
      metrics: { gets_per_s: getsPerS, batched_puts_per_s: putsPerS, ...latencyMetrics(gets, 'get_'), ...latencyMetrics(ranges, 'range_') },
      conditions: { engine: 'classic-level (LevelDB)', keys: KEYS, value_bytes: value.length, range: 100 },
      histograms: [
        { name: 'get', encoded: encodeHistogram(gets) },
        { name: 'range_100', encoded: encodeHistogram(ranges) }
      ]
    }
  } finally {
    await db.close()
  }
}
