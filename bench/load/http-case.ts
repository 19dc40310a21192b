/**
 * The measurement every HTTP case makes, so that the gateway cases and baseline.http are measured by the
 * very same code: the server in its own process (or `--target URL`), then
 *  1. throughput on the closed model at the seed's concurrency (autocannon, a separate process from the server),
 *  2. latency on the open model at the target's rate, corrected for coordinated omission, with the
 *     uncorrected figure beside it (generator processes of their own),
 *  3. with `--find-max --p99 MS`, the highest open-model rate whose p99 stays under the bound.
 */
import type { CapacityPoint, CaseContext, CaseResult, Conditions } from '../case.ts'
import { encodeHistogram, latencyMetrics } from '../stats/histogram.ts'
import type { RequestSpec } from './open.ts'
import { runClosedLoad } from './closed.ts'
import { findMaxRate } from './capacity.ts'
import { openMetrics, runOpenLoad } from './open-run.ts'
import { pinProcess } from './pin.ts'
import { startServerProcess } from './server-process.ts'

/** What an HTTP case measures. */
export interface HttpCaseSpec {
  /** Module (file URL) exporting `start(opts)` for the server under test; unused with --target. */
  serverModule: string
  serverOptions?: Record<string, unknown>
  /** Describes the server for `conditions.server`. */
  serverName: string
  /** Requests cycled by both models (default GET /health). */
  requests?: RequestSpec[]
  /** Closed model: connections (the seed's concurrency). */
  connections: number
  /** Open model: the target's rate, requests per second. */
  rate: number
  /** Open model: most connections the generator may open (default 256). */
  maxConnections?: number
  /** Quick-profile seconds of each measured phase (default 10; smoke 2, full 30). */
  seconds?: number
  conditions?: Conditions
}

/** Runs the closed and open phases (and the capacity search when asked) and returns the case result. */
export async function measureHttp (ctx: CaseContext, spec: HttpCaseSpec): Promise<CaseResult> {
  const server = ctx.target === undefined ? await startServerProcess(spec.serverModule, { ...(spec.serverOptions !== undefined ? { options: spec.serverOptions } : {}) }) : undefined
  try {
    if (server !== undefined && ctx.pin.server !== undefined) pinProcess(server.pid, ctx.pin.server)
    // The closed model runs in this process: pin it to the load CPUs too.
    if (ctx.pin.load !== undefined) pinProcess(process.pid, ctx.pin.load)
    const url = ctx.target ?? server!.url
    const q = spec.seconds ?? 10
    const durationS = Math.max(1, Math.round(ctx.seconds(q, { smoke: 2, full: q * 3 })))
    const warmupS = ctx.profile === 'smoke' ? 1 : 2
    const requests = spec.requests ?? [{ method: 'GET', path: '/health' }]

    ctx.progress(`closed model, ${spec.connections} connections`)
    const closed = await runClosedLoad({
      url, connections: spec.connections, durationS, warmupS,
      requests: requests.map((r) => ({ method: r.method ?? 'GET', path: r.path, ...(r.headers !== undefined ? { headers: r.headers } : {}), ...(r.body !== undefined ? { body: r.body } : {}) })),
      onProgress: (t) => ctx.progress(`closed model: ${t}`)
    })

    ctx.progress(`open model at ${spec.rate} req/s`)
    const pinLoad = ctx.pin.load !== undefined ? { pinCpus: ctx.pin.load } : {}
    const open = await runOpenLoad({ url, rate: spec.rate, durationS, warmupS, requests, maxConnections: spec.maxConnections ?? 256, ...pinLoad })

    let capacity: CapacityPoint[] | undefined
    let maxRate: number | undefined
    if (ctx.findMax !== undefined) {
      const bound = ctx.findMax.p99Ms
      const stepS = Math.max(2, Math.round(ctx.seconds(5, { smoke: 2, full: 10 })))
      const found = await findMaxRate({
        startRate: spec.rate,
        p99BoundMs: bound,
        measure: async (rate) => {
          ctx.progress(`capacity search: ${Math.round(rate)} req/s`)
          const r = await runOpenLoad({ url, rate, durationS: stepS, warmupS: 1, requests, maxConnections: spec.maxConnections ?? 256, ...pinLoad })
          const m = openMetrics(r, rate, stepS)
          return { rate_per_s: rate, p99_ms: m.p99_ms ?? Number.POSITIVE_INFINITY, uncorrected_p99_ms: m.uncorrected_p99_ms ?? 0, achieved_rate_per_s: m.achieved_rate_per_s ?? 0, held: r.rateHeld, error_ratio: m.error_ratio ?? 1 }
        }
      })
      capacity = found.curve
      maxRate = found.maxRate
    }

    const totalRequests = closed.requests + open.intended
    return {
      status: 'completed',
      metrics: {
        requests_per_s: closed.requestsPerS,
        ...openMetrics(open, spec.rate, durationS),
        // Errors of both phases over requests of both phases.
        error_ratio: totalRequests > 0 ? (closed.errors + open.errors) / totalRequests : 1,
        ...latencyMetrics(closed.histogram, 'closed_'),
        ...(maxRate !== undefined ? { max_rate_per_s: maxRate } : {})
      },
      conditions: {
        server: ctx.target ?? spec.serverName,
        closed_model: `autocannon, ${spec.connections} connections, ${durationS} s after ${warmupS} s warm-up`,
        open_model: `${spec.rate} req/s from ${open.generators} generator process(es), up to ${spec.maxConnections ?? 256} connections, ${durationS} s after ${warmupS} s warm-up`,
        rate_held: open.rateHeld,
        latency: 'p*_ms are open-model latencies from the intended send time (coordinated omission corrected); uncorrected_* from the actual send; closed_* from the closed model',
        ...(ctx.pin.server !== undefined ? { pin_server: ctx.pin.server } : {}),
        ...(ctx.pin.load !== undefined ? { pin_load: ctx.pin.load } : {}),
        ...(ctx.findMax !== undefined ? { find_max_p99_ms: ctx.findMax.p99Ms } : {}),
        ...spec.conditions
      },
      histograms: [
        { name: 'latency', encoded: encodeHistogram(open.corrected) },
        { name: 'uncorrected', encoded: encodeHistogram(open.uncorrected) },
        { name: 'closed', encoded: encodeHistogram(closed.histogram) }
      ],
      series: open.series,
      ...(capacity !== undefined ? { capacity } : {})
    }
  } finally {
    await server?.close()
  }
}
