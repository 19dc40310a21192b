/**
 * One load scenario end to end, as `lucid load` and the `load.*` benchmark cases run it: the system under
 * test (an already running server at `target`, or `lucid serve --seed-demo --load-test` started here in its
 * own process), resource monitoring beside the load, the load itself (the simulated users, or the real Locust
 * in master/worker mode with `engine: 'locust'`), and the figures, computed the same way for both engines.
 */
import { availableParallelism } from 'node:os'
import type { Conditions, Metrics } from '../harness/case.ts'
import type { Scenario } from './scenarios/index.ts'
import { scaleRun } from './scenarios/index.ts'
import { startLocalGateway } from './local-gateway.ts'
import { monitorResources } from './resources.ts'
import { runUsers } from './users/run.ts'
import { runLocust } from './locust/run.ts'
import { loadMetrics } from './metrics.ts'
import type { EndpointStats, LoadSeriesPoint } from './users/stats.ts'

/** Options of a scenario run. */
export interface ScenarioRunOptions {
  scenario: Scenario
  timeScale: number
  target?: string
  workers?: number
  seed?: number
  /** Open model: users arriving per second (before time scaling) instead of the closed user model. */
  arrivalRate?: number
  /** Each merged second, with the seconds left (the simulated users only: Locust reports at its end). */
  onSecond?: (p: LoadSeriesPoint, remainingS: number) => void
  /** `lucid` (default): the simulated users; `locust`: the real Locust, master and `workers` worker processes. */
  engine?: 'lucid' | 'locust'
  /** Locust only: workers on other machines to wait for, and the master's port they connect to. */
  remoteWorkers?: number
  masterPort?: number
  /** Locust only: where to copy its own CSV files (PREFIX_stats.csv, ...). */
  csvPrefix?: string
}

/** What a scenario run produced. */
export interface ScenarioRunResult {
  metrics: Metrics
  conditions: Conditions
  endpoints: EndpointStats[]
  series: LoadSeriesPoint[]
  /**
   * Every endpoint's HDR histogram (µs), encoded, keyed `GET /health` ... and `Aggregated`, which `lucid merge`
   * adds up. Absent for Locust, whose CSV keeps rounded percentiles only.
   */
  histograms?: Record<string, string>
  /** Locust's own CSV files, when `csvPrefix` was given. */
  csvFiles?: string[]
}

/** The engine's part of a run: its table, series, and what it says about itself. */
interface EngineResult {
  endpoints: EndpointStats[]
  series: LoadSeriesPoint[]
  histograms?: Record<string, string>
  usersStarted: number
  memoryPerUserBytes?: number
  conditions: Conditions
  csvFiles?: string[]
}

/** The percentile caveat of a Locust report (docs/load.md, "Locust's rounding"). */
export const LOCUST_ROUNDING =
  'Locust rounds each response time before counting it (to whole ms below 100 ms, 10 ms steps to 1 s, 100 ms steps to 10 s) and ' +
  'writes percentiles truncated to whole ms: p95_ms and max_endpoint_p95_ms are those rounded values. Against the p95 < 100 ms target ' +
  'a true p95 from 99.5 to 100 ms reads 100 and fails, none at or above 100 ms can read below it: the verdict errs only towards fail, ' +
  'within 0.5 ms of the limit. Its percentile is the response time at rank floor(n x p) from the top; mean, min and max are exact'

async function runEngine(opts: ScenarioRunOptions, run: ReturnType<typeof scaleRun>, url: string): Promise<EngineResult> {
  if (opts.engine === 'locust') {
    const r = await runLocust({
      url,
      run,
      workers: opts.workers ?? Math.max(1, availableParallelism() - 1),
      ...(opts.remoteWorkers !== undefined ? { remoteWorkers: opts.remoteWorkers } : {}),
      ...(opts.masterPort !== undefined ? { masterPort: opts.masterPort } : {}),
      ...(opts.csvPrefix !== undefined ? { csvPrefix: opts.csvPrefix } : {})
    })
    return {
      endpoints: r.endpoints,
      series: r.series,
      usersStarted: r.usersMax,
      csvFiles: r.csvFiles,
      conditions: {
        engine: 'locust',
        locust_version: r.version,
        locust_mode: `master/worker: ${r.workers - (opts.remoteWorkers ?? 0)} worker process(es) here${(opts.remoteWorkers ?? 0) > 0 ? `, ${opts.remoteWorkers} on other machines` : ''}, load/locust/locustfile.py`,
        workers: r.workers,
        locust_run_time_s: r.runTimeS,
        percentiles: LOCUST_ROUNDING,
        series_note: "Locust's stats history: rates and percentiles over its rolling window of ~10 s",
        histograms_note: 'none: Locust keeps rounded counts, not HDR histograms, so this report cannot be merged with lucid merge'
      }
    }
  }
  const r = await runUsers({
    url,
    run,
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.arrivalRate !== undefined ? { arrivalRate: opts.arrivalRate } : {}),
    onSecond: (p) => opts.onSecond?.(p, Math.max(0, run.durationS - p.t - 1))
  })
  return {
    endpoints: r.endpoints,
    series: r.series,
    histograms: r.histograms,
    usersStarted: r.usersStarted,
    ...(r.memoryPerUserBytes !== undefined ? { memoryPerUserBytes: r.memoryPerUserBytes } : {}),
    conditions: { engine: 'lucid', workers: r.workers, percentiles: 'from HDR histograms (3 significant digits, µs resolution), not rounded' }
  }
}

/** Runs the scenario. */
export async function runScenario(opts: ScenarioRunOptions): Promise<ScenarioRunResult> {
  const run = scaleRun(opts.scenario, opts.timeScale)
  const local = opts.target === undefined ? await startLocalGateway() : undefined
  const url = opts.target ?? local!.url
  const serverConditions = (await local?.describe()) ?? {}
  const monitor = monitorResources({ metricsUrl: `${url}/metrics`, ...(local !== undefined ? { pid: local.pid } : {}) })
  try {
    const r = await runEngine(opts, run, url)
    const samples = await monitor.stop()
    const series = r.series.map((p) => ({ ...p, ...Object.fromEntries(Object.entries(samples.find((s) => s.t === p.t + 1) ?? {}).filter(([k]) => k !== 't')) }))
    const cpu = samples.map((s) => s.server_cpu_ratio).filter((v): v is number => v !== undefined)
    const rss = samples.map((s) => s.server_rss_bytes).filter((v): v is number => v !== undefined)
    const metrics: Metrics = {
      ...loadMetrics(r.endpoints),
      users_count: r.usersStarted,
      ...(r.memoryPerUserBytes !== undefined ? { memory_per_user_bytes: r.memoryPerUserBytes } : {}),
      ...(cpu.length > 0 ? { server_cpu_mean_ratio: cpu.reduce((a, b) => a + b, 0) / cpu.length } : {}),
      ...(rss.length > 0 ? { server_rss_max_bytes: Math.max(...rss) } : {})
    }
    const conditions: Conditions = {
      scenario: opts.scenario.name,
      users: opts.scenario.users,
      spawn_rate_per_s: opts.scenario.spawnRate,
      duration_s: opts.scenario.durationS,
      time_scale: opts.timeScale,
      time_scale_note:
        opts.timeScale === 1
          ? 'real time'
          : `waits and durations divided by ${opts.timeScale}, spawn rate multiplied: ${opts.timeScale}x the original request rate over ${run.durationS.toFixed(0)} s`,
      model:
        opts.arrivalRate !== undefined
          ? `open: ${opts.arrivalRate} users/s arriving, each running its sequence once`
          : 'closed: Locust-style users looping over their task sequences',
      ...r.conditions,
      server: opts.target ?? 'lucid serve --seed-demo --load-test (child process)',
      resources: !samples.some((x) => Object.keys(x).length > 1)
        ? 'not sampled (no local process and no Prometheus /metrics)'
        : local !== undefined
          ? '/proc of the server process, and its /metrics'
          : "the target's /metrics",
      ...serverConditions
    }
    return {
      metrics,
      conditions,
      endpoints: r.endpoints,
      series,
      ...(r.histograms !== undefined ? { histograms: r.histograms } : {}),
      ...(r.csvFiles !== undefined ? { csvFiles: r.csvFiles } : {})
    }
  } finally {
    // On the error path the monitor is still running; on success this returns the samples already taken.
    await monitor.stop()
    await local?.close()
  }
}
