/**
 * Measuring loops: warm up, then run an operation back to back (or from many concurrent workers) for a
 * while, recording each latency in an HDR histogram.
 */
import { type Histogram, createHistogram, recordMs } from '../../harness/stats/histogram.ts'

/**
 * Runs `op` for `warmupS` unrecorded, then `seconds` recorded, one at a time (closed model, 1 worker).
 * `op` resolves to the number of rows it returned; `rows` is their mean over the recorded calls.
 */
export async function measureSerial(op: () => Promise<number>, seconds: number, warmupS: number): Promise<{ h: Histogram; rows: number }> {
  await runFor(op, warmupS, undefined)
  const h = createHistogram()
  const rows = await runFor(op, seconds, h)
  return { h, rows: h.totalCount === 0 ? 0 : rows / h.totalCount }
}

async function runFor(op: () => Promise<number>, seconds: number, h: Histogram | undefined): Promise<number> {
  const end = performance.now() + seconds * 1000
  let rows = 0
  // At least a few samples even on a tiny duration, so every figure has something behind it.
  for (let n = 0; n < 20 || performance.now() < end; n++) {
    const t = performance.now()
    rows += await op()
    if (h !== undefined) recordMs(h, performance.now() - t)
  }
  return rows
}

/**
 * Runs `op` from `workers` concurrent loops for `seconds` (after a warm-up of `warmupS`); returns the
 * histogram of every operation and the largest number of operations seen in flight at once.
 */
export async function measureConcurrent(
  op: () => Promise<unknown>,
  workers: number,
  seconds: number,
  warmupS: number
): Promise<{ h: Histogram; maxInFlight: number }> {
  const h = createHistogram()
  let inFlight = 0
  let maxInFlight = 0
  const start = performance.now()
  const warmEnd = start + warmupS * 1000
  const end = warmEnd + seconds * 1000
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const t = performance.now()
        inFlight++
        if (inFlight > maxInFlight) maxInFlight = inFlight
        try {
          await op()
        } finally {
          inFlight--
        }
        if (t >= warmEnd) recordMs(h, performance.now() - t)
      }
    })
  )
  return { h, maxInFlight }
}
