/**
 * The judged figures of a load run, from its endpoint table: one function for every source of that table (the
 * simulated users, the real Locust's CSV, a merge of several runs), so the same targets judge the same metrics
 * computed the same way whatever produced them.
 */
import type { Metrics } from '../harness/case.ts'
import type { EndpointStats } from './users/stats.ts'

/**
 * Requests, failures, error ratio and latency figures. A latency figure that was not measured (no request
 * answered, or an engine that printed `N/A`) is left out rather than set to 0, so a target on it is judged
 * `error`, never a silent pass; a run with no request at all has an error ratio of 1.
 */
export function loadMetrics(endpoints: readonly EndpointStats[]): Metrics {
  const agg = endpoints.find((e) => e.name === 'Aggregated')
  const perEndpoint = endpoints.filter((e) => e.name !== 'Aggregated' && e.requests > 0)
  const requests = agg?.requests ?? 0
  const failures = agg?.failures ?? 0
  const m: Metrics = {
    requests_per_s: agg?.requests_per_s ?? 0,
    requests_count: requests,
    failures_count: failures,
    error_ratio: requests > 0 ? failures / requests : 1
  }
  if (agg === undefined || requests === 0) return m
  for (const k of ['p50_ms', 'p95_ms', 'p99_ms'] as const) {
    const v = agg.percentiles_ms[k]
    if (v !== undefined) m[k] = v
  }
  m.max_ms = agg.max_ms
  const p95s = perEndpoint.map((e) => e.percentiles_ms.p95_ms)
  // Every endpoint that was called must have its p95: the worst one is judged, and a gap could hide it.
  if (p95s.length > 0 && p95s.every((v) => v !== undefined)) m.max_endpoint_p95_ms = Math.max(...(p95s as number[]))
  return m
}
