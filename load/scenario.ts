/**
 * One load scenario end to end, as `lucid load` and the `load.*` benchmark cases run it: the system under
 * test (an already running server at `target`, or `lucid serve --seed-demo --load-test` started here in its
 * own process), resource monitoring beside the load, the simulated users, and the figures.
 */
import type { Conditions, Metrics } from '../harness/case.ts'
import type { Scenario } from './scenarios/index.ts'
import { scaleRun } from './scenarios/index.ts'
import { startLocalGateway } from './local-gateway.ts'
import { monitorResources } from './resources.ts'
import { runUsers } from './users/run.ts'
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
  /** Each merged second, with the seconds left. */
  onSecond?: (p: LoadSeriesPoint, remainingS: number) => void
}

/** What a scenario run produced. */
export interface ScenarioRunResult {
  metrics: Metrics
  conditions: Conditions
  endpoints: EndpointStats[]
  series: LoadSeriesPoint[]
}

/** Runs the scenario. */
export async function runScenario(opts: ScenarioRunOptions): Promise<ScenarioRunResult> {
  const run = scaleRun(opts.scenario, opts.timeScale)
  const local = opts.target === undefined ? await startLocalGateway() : undefined
  const url = opts.target ?? local!.url
  const serverConditions = (await local?.describe()) ?? {}
  const monitor = monitorResources({ metricsUrl: `${url}/metrics`, ...(local !== undefined ? { pid: local.pid } : {}) })
  try {
    const r = await runUsers({
      url,
      run,
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.arrivalRate !== undefined ? { arrivalRate: opts.arrivalRate } : {}),
      onSecond: (p) => opts.onSecond?.(p, Math.max(0, run.durationS - p.t - 1))
    })
    const samples = await monitor.stop()
    const series = r.series.map((p) => ({ ...p, ...Object.fromEntries(Object.entries(samples.find((s) => s.t === p.t + 1) ?? {}).filter(([k]) => k !== 't')) }))
    const agg = r.endpoints.find((e) => e.name === 'Aggregated')!
    const perEndpoint = r.endpoints.filter((e) => e.name !== 'Aggregated')
    const cpu = samples.map((s) => s.server_cpu_ratio).filter((v): v is number => v !== undefined)
    const rss = samples.map((s) => s.server_rss_bytes).filter((v): v is number => v !== undefined)
    const metrics: Metrics = {
      requests_per_s: agg.requests_per_s,
      requests_count: agg.requests,
      failures_count: agg.failures,
      error_ratio: agg.requests > 0 ? agg.failures / agg.requests : 1,
      p50_ms: agg.percentiles_ms.p50_ms ?? 0,
      p95_ms: agg.percentiles_ms.p95_ms ?? 0,
      p99_ms: agg.percentiles_ms.p99_ms ?? 0,
      max_ms: agg.max_ms,
      max_endpoint_p95_ms: Math.max(0, ...perEndpoint.map((e) => e.percentiles_ms.p95_ms ?? 0)),
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
      workers: r.workers,
      server: opts.target ?? 'lucid serve --seed-demo --load-test (child process)',
      resources: !samples.some((x) => Object.keys(x).length > 1)
        ? 'not sampled (no local process and no Prometheus /metrics)'
        : local !== undefined
          ? '/proc of the server process, and its /metrics'
          : "the target's /metrics",
      ...serverConditions
    }
    return { metrics, conditions, endpoints: r.endpoints, series }
  } finally {
    // On the error path the monitor is still running; on success this returns the samples already taken.
    await monitor.stop()
    await local?.close()
  }
}
