/**
 * The measurement every HTTP case makes, so that the gateway cases and baseline.http are measured by the
 * very same code: the server in its own process (or `--host URL`), then
 *  1. throughput on the closed model at the seed's concurrency (autocannon, a separate process from the server),
 *  2. latency on the open model at the target's rate, corrected for coordinated omission, with the
 *     uncorrected figure beside it (generator processes of their own),
 *  3. with `--find-max --p99 MS`, the highest open-model rate whose p99 stays under the bound.
 */
import type autocannon from 'autocannon'
import type { CapacityPoint, CaseContext, CaseResult, Conditions, Metrics } from '../harness/case.ts'
import { gatewayCall } from '../services/gateway/client.ts'
import { encodeHistogram, latencyMetrics, mergeHistograms, type Histogram } from '../harness/stats/histogram.ts'
import type { RequestSpec } from './open.ts'
import { runClosedLoad } from './closed.ts'
import { findMaxRate } from './capacity.ts'
import { openMetrics, runOpenLoad } from './open-run.ts'
import { pinProcess } from './pin.ts'
import { startServerProcess } from './server-process.ts'

/** What an HTTP case measures. */
export interface HttpCaseSpec {
  /** Module (file URL) exporting `start(opts)` for the server under test; unused with --host. */
  serverModule: string
  serverOptions?: Record<string, unknown>
  /** Describes the server for `conditions.server`. */
  serverName: string
  /**
   * Always this process's own server, never `--host` (baselines: dividing the system under test by itself, as
   * `bench gateway.health --target URL` did, measured nothing; issue 21).
   */
  ownServer?: boolean
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
  /**
   * Smoke-profile seconds of each phase (default 2): longer for a case whose requests take seconds each, so that
   * smoke still sees answers (a case with no successful request is an error, issue 21).
   */
  smokeSeconds?: number
  conditions?: Conditions
  /**
   * Runs once the server listens, before any load: logs in, creates data, pre-signs single-use requests.
   * What it returns replaces `requests` for either model (closed-model requests may mutate themselves per
   * send through autocannon's `setupRequest`) and adds conditions.
   */
  prepare?: (
    url: string,
    phase: { closedS: number; openS: number }
  ) => Promise<{ closed?: autocannon.Request[]; open?: RequestSpec[]; conditions?: Conditions }>
  /**
   * Sustained-load figures: `requests_per_s` and `p95_ms` become means over the run's one-second windows
   * (closed-model successes per second, open-model p95 per second), as the original sustained test judged.
   */
  windowed?: boolean
}

/** Runs the closed and open phases (and the capacity search when asked) and returns the case result. */
export async function measureHttp(ctx: CaseContext, spec: HttpCaseSpec): Promise<CaseResult> {
  // A whole system (seeding accounts, starting validators) may take a while on a busy machine: bounded, generously.
  const target = spec.ownServer === true ? undefined : ctx.target
  const server =
    target === undefined
      ? await startServerProcess(spec.serverModule, { timeoutMs: 120_000, ...(spec.serverOptions !== undefined ? { options: spec.serverOptions } : {}) })
      : undefined
  try {
    if (server !== undefined && ctx.pin.server !== undefined) pinProcess(server.pid, ctx.pin.server)
    // The closed model runs in this process: pin it to the load CPUs too.
    if (ctx.pin.load !== undefined) pinProcess(process.pid, ctx.pin.load)
    const url = target ?? server!.url
    const q = spec.seconds ?? 10
    const durationS = Math.max(1, Math.round(ctx.seconds(q, { smoke: spec.smokeSeconds ?? 2, full: q * 3 })))
    const warmupS = ctx.profile === 'smoke' ? 1 : 2
    const prepared = spec.prepare !== undefined ? await spec.prepare(url, { closedS: durationS + warmupS, openS: durationS + warmupS }) : {}
    const requests = prepared.open ?? spec.requests ?? [{ method: 'GET', path: '/health' }]
    const closedRequests =
      prepared.closed ??
      requests.map((r) => ({
        method: r.method ?? 'GET',
        path: r.path,
        ...(r.headers !== undefined ? { headers: r.headers } : {}),
        ...(r.body !== undefined ? { body: r.body } : {})
      }))

    ctx.progress(`closed model, ${spec.connections} connections`)
    const closed = await runClosedLoad({
      url,
      connections: spec.connections,
      durationS,
      warmupS,
      requests: closedRequests,
      onProgress: (t) => ctx.progress(`closed model: ${t}`)
    })

    ctx.progress(`open model at ${spec.rate} req/s`)
    const pinLoad = ctx.pin.load !== undefined ? { pinCpus: ctx.pin.load } : {}
    await serverTiming(url) // reset: the server-side window starts with the open phase
    const open = await runOpenLoad({ url, rate: spec.rate, durationS, warmupS, requests, maxConnections: spec.maxConnections ?? 256, ...pinLoad })
    const serverSide = await serverTiming(url)

    const found = ctx.findMax !== undefined ? await searchCapacity(ctx, ctx.findMax.p99Ms, spec, url, requests) : undefined
    const capacity = found?.curve
    const maxRate = found?.maxRate

    const totalRequests = closed.requests + open.intended
    const windows: Metrics = spec.windowed === true ? windowMetrics(closed, open) : {}
    return {
      status: 'completed',
      metrics: {
        requests_per_s: closed.requestsPerS,
        attempted_per_s: closed.attemptedPerS,
        ...openMetrics(open, spec.rate, durationS),
        // Errors of both phases over requests of both phases.
        error_ratio: totalRequests > 0 ? (closed.errors + open.errors) / totalRequests : 1,
        ...latencyMetrics(closed.histogram, 'closed_'),
        ...(maxRate !== undefined ? { max_rate_per_s: maxRate } : {}),
        ...(serverSide !== undefined ? serverMetrics(serverSide, open.uncorrected) : {}),
        ...windows
      },
      conditions: {
        ...httpConditions(ctx, spec, {
          target,
          durationS,
          warmupS,
          generators: open.generators,
          rateHeld: open.rateHeld,
          serverTiming: serverSide !== undefined
        }),
        ...(closed.firstErrors.length > 0 ? { first_errors: closed.firstErrors.join('; ') } : {}),
        ...prepared.conditions
      },
      histograms: [
        { name: 'latency', encoded: encodeHistogram(open.corrected) },
        { name: 'uncorrected', encoded: encodeHistogram(open.uncorrected) },
        { name: 'closed', encoded: encodeHistogram(closed.histogram) }
      ],
      // Each second of both phases (from each phase's start): the closed model's successes are what requests_per_s judges.
      series: open.series.map((p) => ({ ...p, closed_requests_per_s: closed.series[p.t]?.ok ?? 0 })),
      ...(capacity !== undefined ? { capacity } : {})
    }
  } finally {
    await server?.close()
  }
}

/** The capacity search (--find-max): the highest open-model rate whose p99 stays within `bound` ms. */
async function searchCapacity(
  ctx: CaseContext,
  bound: number,
  spec: HttpCaseSpec,
  url: string,
  requests: RequestSpec[]
): Promise<{ curve: CapacityPoint[]; maxRate: number | undefined }> {
  const pinLoad = ctx.pin.load !== undefined ? { pinCpus: ctx.pin.load } : {}
  const stepS = Math.max(2, Math.round(ctx.seconds(5, { smoke: 2, full: 10 })))
  return await findMaxRate({
    startRate: spec.rate,
    p99BoundMs: bound,
    measure: async (rate) => {
      ctx.progress(`capacity search: ${Math.round(rate)} req/s`)
      const r = await runOpenLoad({ url, rate, durationS: stepS, warmupS: 1, requests, maxConnections: spec.maxConnections ?? 256, ...pinLoad })
      const m = openMetrics(r, rate, stepS)
      return {
        rate_per_s: rate,
        p99_ms: m.p99_ms ?? Number.POSITIVE_INFINITY,
        uncorrected_p99_ms: m.uncorrected_p99_ms ?? 0,
        achieved_rate_per_s: m.achieved_rate_per_s ?? 0,
        held: r.rateHeld,
        error_ratio: m.error_ratio ?? 1
      }
    }
  })
}

/** Sustained-load figures: means (and extremes) over the one-second windows of both phases. */
function windowMetrics(closed: { series: ReadonlyArray<{ ok: number }> }, open: { series: ReadonlyArray<{ p95_ms: number }> }): Metrics {
  const mean = (v: number[]): number => (v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : 0)
  return {
    requests_per_s: mean(closed.series.map((p) => p.ok)),
    p95_ms: mean(open.series.map((p) => p.p95_ms)),
    min_window_requests_per_s: Math.min(...closed.series.map((p) => p.ok)),
    max_window_p95_ms: Math.max(...open.series.map((p) => p.p95_ms)),
    windows_count: closed.series.length
  }
}

/** Under which conditions an HTTP case measured (the case's own prepared conditions are added by the caller). */
function httpConditions(
  ctx: CaseContext,
  spec: HttpCaseSpec,
  o: { target: string | undefined; durationS: number; warmupS: number; generators: number; rateHeld: boolean; serverTiming: boolean }
): Conditions {
  return {
    server: o.target ?? spec.serverName,
    closed_model: `autocannon, ${spec.connections} connections, ${o.durationS} s after ${o.warmupS} s warm-up`,
    open_model: `${spec.rate} req/s from ${o.generators} generator process(es), up to ${spec.maxConnections ?? 256} connections, ${o.durationS} s after ${o.warmupS} s warm-up`,
    rate_held: o.rateHeld,
    latency:
      'p*_ms are open-model latencies from the intended send time (coordinated omission corrected); uncorrected_* from the actual send; closed_* from the closed model',
    ...(ctx.pin.server !== undefined ? { pin_server: ctx.pin.server } : {}),
    ...(ctx.pin.load !== undefined ? { pin_load: ctx.pin.load } : {}),
    ...(ctx.findMax !== undefined ? { find_max_p99_ms: ctx.findMax.p99Ms } : {}),
    server_timing: o.serverTiming
      ? 'server_p*_ms: handler durations recorded inside the server (GET /debug/timing, open phase incl. warm-up, successful answers); wire_and_queue_p*_ms: client uncorrected minus server, per percentile'
      : 'not available (the server has no /debug/timing)',
    ...(spec.windowed === true ? { windows: 'requests_per_s and p95_ms are means over one-second windows (closed-model successes, open-model p95)' } : {}),
    ...spec.conditions
  }
}

/** The per-route server-side timing of a gateway (GET /debug/timing), merged; undefined when not served. */
async function serverTiming(url: string): Promise<Histogram | undefined> {
  try {
    const res = await gatewayCall(url, 'GET', '/debug/timing?reset=1', { timeoutMs: 10_000 })
    if (res.status !== 200) return undefined
    const view = res.json as { unit?: string; routes?: Record<string, { histogram: string }> }
    if (view.unit !== 'us' || view.routes === undefined) return undefined
    return mergeHistograms(Object.values(view.routes).map((r) => r.histogram))
  } catch {
    return undefined
  }
}

/**
 * Server-side percentiles beside the client's: the difference (client uncorrected minus server, percentile by
 * percentile) is time spent outside the handler: kernel queues, the event loop's backlog, the generator.
 */
function serverMetrics(server: Histogram, clientUncorrected: Histogram): Metrics {
  if (server.totalCount === 0) return {}
  const m: Metrics = { ...latencyMetrics(server, 'server_') }
  for (const p of [50, 99] as const) {
    const c = clientUncorrected.totalCount > 0 ? clientUncorrected.getValueAtPercentile(p) / 1000 : undefined
    if (c !== undefined) m[`wire_and_queue_p${p}_ms`] = Math.max(0, c - server.getValueAtPercentile(p) / 1000)
  }
  return m
}
