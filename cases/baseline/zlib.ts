/**
 * baseline.zlib: raw node:zlib gzip level 6 on desktop-like data, on one core (synchronous calls on the
 * main thread) and on all cores (asynchronous calls, spread over the libuv thread pool), so the session
 * pipeline's compression figures can be read as a fraction of what the machine can do.
 */
import { availableParallelism } from 'node:os'
import { gzip, gzipSync } from 'node:zlib'
import { promisify } from 'node:util'
import { DESKTOP_DATA, desktopBytes } from '../../sim/frames/desktop.ts'
import type { CaseRun } from '../../harness/case.ts'
import { createHistogram, encodeHistogram, latencyMetrics, recordMs } from '../../harness/stats/histogram.ts'

const gzipAsync = promisify(gzip)
const CHUNK = 1 << 20

/** Runs the case. */
export const run: CaseRun = async (ctx) => {
  const chunks = Array.from({ length: 8 }, (_, i) => desktopBytes(CHUNK, { seed: 1000 + i }))
  const durationS = ctx.seconds(5, { smoke: 1, full: 15 })
  // Warm-up: let the JIT and zlib's allocations settle before timing.
  for (const c of chunks) gzipSync(c, { level: 6 })

  const h = createHistogram()
  let bytesIn = 0
  let bytesOut = 0
  let t0 = performance.now()
  for (let i = 0; performance.now() - t0 < durationS * 1000; i++) {
    const c = chunks[i % chunks.length]!
    const s = performance.now()
    const z = gzipSync(c, { level: 6 })
    recordMs(h, performance.now() - s)
    bytesIn += c.length
    bytesOut += z.length
  }
  const oneCore = bytesIn / 1e6 / ((performance.now() - t0) / 1000)
  ctx.progress(`one core: ${oneCore.toFixed(0)} MB/s`)

  // All cores: keep twice as many chunks in flight as there are cores, so the pool never idles.
  const inFlight = availableParallelism() * 2
  let allIn = 0
  t0 = performance.now()
  const deadline = t0 + durationS * 1000
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      for (let i = w; performance.now() < deadline; i += inFlight) {
        const c = chunks[i % chunks.length]!
        await gzipAsync(c, { level: 6 })
        allIn += c.length
      }
    })
  )
  const allCores = allIn / 1e6 / ((performance.now() - t0) / 1000)
  return {
    status: 'completed',
    metrics: {
      one_core_mb_per_s: oneCore,
      all_cores_mb_per_s: allCores,
      compression_ratio: bytesOut / bytesIn,
      ...latencyMetrics(h, 'chunk_1m_')
    },
    conditions: { level: 6, chunk_bytes: CHUNK, data: DESKTOP_DATA, in_flight: inFlight, uv_threadpool_size: process.env.UV_THREADPOOL_SIZE ?? '4 (default)' },
    histograms: [{ name: 'gzip_1m', encoded: encodeHistogram(h) }]
  }
}
