/**
 * Runs open-model load from one or more generator processes (separate from the server and from the case's
 * own process), each at rate / generators, and merges their histograms and per-second series.
 */
import type { Metrics } from '../harness/case.ts'
import { forkTs } from '../harness/spawn.ts'
import { pinProcess } from './pin.ts'
import { latencyMetrics, mergeHistograms, type Histogram } from '../harness/stats/histogram.ts'
import type { OpenGenOptions, OpenGenResult } from './open.ts'

/** Options of a (possibly multi-process) open-model run. */
export interface OpenLoadOptions extends OpenGenOptions {
  /** Generator processes (default 1); use more when one core cannot hold the rate. */
  generators?: number
  /** CPUs to pin the generator processes to (taskset list, e.g. "1"). */
  pinCpus?: string
}

/** One second of the merged series. */
export interface OpenSeriesPoint {
  t: number
  requests_per_s: number
  p50_ms: number
  p95_ms: number
  p99_ms: number
  errors: number
}

/** The merged result. */
export interface OpenLoadResult {
  corrected: Histogram
  uncorrected: Histogram
  sendLag: Histogram
  intended: number
  sentOnTime: number
  completed: number
  errors: number
  timeouts: number
  /** False when the generators could not send on schedule: figures are then at a lower rate than asked. */
  rateHeld: boolean
  connections: number
  generators: number
  loopDelayP99Ms: number
  series: OpenSeriesPoint[]
}

const MAIN = new URL('./open-main.ts', import.meta.url).href

function runGenerator(opts: OpenGenOptions, pinCpus?: string): Promise<OpenGenResult> {
  return new Promise((resolve, reject) => {
    const child = forkTs(MAIN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    if (pinCpus !== undefined && child.pid !== undefined) pinProcess(child.pid, pinCpus)
    let got: OpenGenResult | undefined
    child.on('message', (m: { type: string; result?: OpenGenResult; message?: string }) => {
      if (m.type === 'result') got = m.result
      else reject(new Error(`load generator failed: ${m.message ?? ''}`))
    })
    child.on('exit', (code) => (got !== undefined ? resolve(got) : reject(new Error(`load generator exited with code ${String(code)}`))))
    child.send(opts)
  })
}

/** Sent-on-time share below which the rate counts as not held. */
export const HELD_RATIO = 0.99

/** Runs the load and merges the generators' results. */
export async function runOpenLoad(opts: OpenLoadOptions): Promise<OpenLoadResult> {
  const k = Math.max(1, opts.generators ?? 1)
  const { generators: _g, pinCpus, ...gen } = opts
  const parts = await Promise.all(
    Array.from({ length: k }, () =>
      runGenerator(
        { ...gen, rate: opts.rate / k, ...(opts.maxConnections !== undefined ? { maxConnections: Math.ceil(opts.maxConnections / k) } : {}) },
        pinCpus
      )
    )
  )
  const sum = (f: (p: OpenGenResult) => number): number => parts.reduce((a, p) => a + f(p), 0)
  const seconds = Math.max(...parts.map((p) => p.series.length))
  const series: OpenSeriesPoint[] = []
  for (let t = 0; t < seconds; t++) {
    const pts = parts.map((p) => p.series[t]).filter((s) => s !== undefined)
    const h = mergeHistograms(pts.map((s) => s.histogram))
    const m = latencyMetrics(h)
    series.push({
      t,
      requests_per_s: pts.reduce((a, s) => a + s.completed, 0),
      p50_ms: m.p50_ms ?? 0,
      p95_ms: m.p95_ms ?? 0,
      p99_ms: m.p99_ms ?? 0,
      errors: pts.reduce((a, s) => a + s.errors, 0)
    })
  }
  const intended = sum((p) => p.intended)
  const sentOnTime = sum((p) => p.sentOnTime)
  return {
    corrected: mergeHistograms(parts.map((p) => p.corrected)),
    uncorrected: mergeHistograms(parts.map((p) => p.uncorrected)),
    sendLag: mergeHistograms(parts.map((p) => p.sendLag)),
    intended,
    sentOnTime,
    completed: sum((p) => p.completed),
    errors: sum((p) => p.errors),
    timeouts: sum((p) => p.timeouts),
    rateHeld: intended > 0 && sentOnTime / intended >= HELD_RATIO,
    connections: sum((p) => p.connections),
    generators: k,
    loopDelayP99Ms: Math.max(...parts.map((p) => p.loopDelayP99Ms)),
    series
  }
}

/**
 * The metrics of an open-model run: corrected latency as `p50_ms ...` (the honest figure targets are judged
 * on), uncorrected as `uncorrected_p50_ms ...`, plus the rate asked, achieved and whether it was held.
 */
export function openMetrics(r: OpenLoadResult, rate: number, durationS: number): Metrics {
  return {
    ...latencyMetrics(r.corrected),
    ...latencyMetrics(r.uncorrected, 'uncorrected_'),
    intended_rate_per_s: rate,
    achieved_rate_per_s: r.completed / durationS,
    sent_on_time_ratio: r.intended > 0 ? r.sentOnTime / r.intended : 0,
    error_ratio: r.intended > 0 ? r.errors / r.intended : 1,
    send_lag_p99_ms: r.sendLag.totalCount > 0 ? r.sendLag.getValueAtPercentile(99) / 1000 : 0,
    generator_loop_delay_p99_ms: r.loopDelayP99Ms,
    connections_count: r.connections
  }
}
