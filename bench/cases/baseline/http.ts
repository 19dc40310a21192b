/**
 * baseline.http: raw node:http serving GET /health to the closed-model generator, server and generator in
 * separate processes. With `--target URL` it measures that server's /health instead.
 */
import type { CaseRun } from '../../case.ts'
import { runClosedLoad } from '../../load/closed.ts'
import { startServerProcess } from '../../load/server-process.ts'
import { latencyMetrics } from '../../stats/histogram.ts'
import { encodeHistogram } from '../../stats/histogram.ts'

/** Connections of the closed model (the figure machine-facts.md quotes its ceiling at). */
export const CONNECTIONS = 100

/** Runs the case. */
export const run: CaseRun = async (ctx) => {
  const server = ctx.target === undefined ? await startServerProcess(new URL('./http-server.ts', import.meta.url).href) : undefined
  try {
    const url = ctx.target ?? server!.url
    const durationS = Math.max(1, Math.round(ctx.seconds(10, { smoke: 2, full: 30 })))
    const r = await runClosedLoad({ url, connections: CONNECTIONS, durationS, warmupS: ctx.profile === 'smoke' ? 1 : 2, onProgress: ctx.progress })
    return {
      status: 'completed',
      metrics: {
        requests_per_s: r.requestsPerS,
        error_ratio: r.requests > 0 ? r.errors / r.requests : 1,
        requests_count: r.requests,
        ...latencyMetrics(r.histogram)
      },
      conditions: { model: 'closed', connections: CONNECTIONS, duration_s: durationS, server: ctx.target ?? 'node:http (child process)', generator: 'autocannon (separate process)' },
      histograms: [{ name: 'latency', encoded: encodeHistogram(r.histogram) }]
    }
  } finally {
    await server?.close()
  }
}
