/**
 * The HTML page of a load run (`lucid load --html`, `lucid merge --html`, and the load cases of `lucid bench
 * --html`): what Locust's `--html` report shows (the request statistics per endpoint, response-time percentiles,
 * users and throughput over time, the failures), plus what it does not: the percentile curve from the HDR
 * histograms with the p95 target drawn on it, and, when the per-endpoint p95 target misses, the endpoint that missed.
 */
import { decodeHistogram } from '../../harness/stats/histogram.ts'
import { fmt } from '../../harness/report/console.ts'
import { targetLines, type HtmlOptions } from '../../harness/report/html.ts'
import type { Report, ResultEntry } from '../../harness/report/schema.ts'
import { esc, lineChart, type Line } from '../../harness/report/svg.ts'
import type { EndpointStats } from '../users/stats.ts'

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#17becf']

/** Locust's percentile columns in the statistics table. */
const TABLE_PERCENTILES = ['p50_ms', 'p90_ms', 'p95_ms', 'p99_ms'] as const

const isEndpoints = (v: unknown[] | undefined): v is EndpointStats[] =>
  v !== undefined && v.length > 0 && v.every((e) => typeof e === 'object' && e !== null && 'failure_reasons' in e && 'percentiles_ms' in e)

const label = (e: EndpointStats): string => (e.name === 'Aggregated' ? 'Aggregated' : `${e.method} ${e.name}`)

/** The endpoint with the highest p95 when the per-endpoint p95 target missed: the one to look at first. */
export function failingEndpoint(r: ResultEntry, endpoints: readonly EndpointStats[]): { endpoint: EndpointStats; p95: number; target: number } | undefined {
  const t = r.targets.find((x) => x.metric === 'max_endpoint_p95_ms' && x.verdict !== 'pass')
  if (t === undefined) return undefined
  let worst: EndpointStats | undefined
  for (const e of endpoints) if (e.name !== 'Aggregated' && (e.percentiles_ms.p95_ms ?? -1) > (worst?.percentiles_ms.p95_ms ?? -1)) worst = e
  return worst === undefined ? undefined : { endpoint: worst, p95: worst.percentiles_ms.p95_ms ?? 0, target: t.value }
}

/** Percentile curve points (x = number of nines) of an encoded histogram. */
function curve(encoded: string): Array<[number, number]> {
  const h = decodeHistogram(encoded)
  const maxNines = Math.log10(Math.max(10, h.totalCount))
  const pts: Array<[number, number]> = []
  for (let n = 0; n <= maxNines + 1e-9; n += 0.1) pts.push([n, h.getValueAtPercentile(Math.min(100, 100 * (1 - 10 ** -n))) / 1000])
  pts.push([maxNines, h.maxValue / 1000])
  return pts
}

/** The load-run sections of a result with Locust-style endpoint statistics; '' for any other result. */
export function loadSections(r: ResultEntry): string {
  if (!isEndpoints(r.endpoints)) return ''
  const endpoints = r.endpoints
  const out: string[] = []
  const worst = failingEndpoint(r, endpoints)
  if (worst !== undefined)
    out.push(
      `<p class="failing-endpoint"><b>Failing endpoint: ${esc(label(worst.endpoint))}</b>, p95 ${fmt(worst.p95)} ms against the per-endpoint target &lt; ${fmt(worst.target)} ms.</p>`
    )
  // Request statistics, one row per endpoint, as Locust's report.
  out.push(
    `<table class="endpoints"><caption>Request statistics</caption><tr><th>Type</th><th>Name</th><th># requests</th><th># fails</th><th>Average (ms)</th><th>Min (ms)</th><th>Max (ms)</th>${TABLE_PERCENTILES.map((p) => `<th>${p.slice(1, -3)}%ile (ms)</th>`).join('')}<th>RPS</th><th>Failures/s</th></tr>`
  )
  for (const e of endpoints) {
    const failing = worst !== undefined && e === worst.endpoint
    out.push(
      `<tr${failing ? ' class="failing"' : ''}><td>${esc(e.method)}</td><td>${esc(e.name)}</td><td>${e.requests}</td><td>${e.failures}</td><td>${fmt(e.mean_ms)}</td><td>${fmt(e.min_ms)}</td><td>${fmt(e.max_ms)}</td>${TABLE_PERCENTILES.map((p) => `<td>${fmt(e.percentiles_ms[p])}</td>`).join('')}<td>${fmt(e.requests_per_s)}</td><td>${fmt(e.failures_per_s)}</td></tr>`
    )
  }
  out.push('</table>')
  // Failures, grouped by endpoint and reason.
  const failures = endpoints.filter((e) => e.name !== 'Aggregated').flatMap((e) => Object.entries(e.failure_reasons).map(([why, n]) => ({ e, why, n })))
  out.push(
    failures.length === 0
      ? '<table class="failures"><caption>Failures</caption><tr><td>none</td></tr></table>'
      : `<table class="failures"><caption>Failures</caption><tr><th>Method</th><th>Name</th><th>Error</th><th>Occurrences</th></tr>${failures
          .sort((a, b) => b.n - a.n)
          .map((f) => `<tr><td>${esc(f.e.method)}</td><td>${esc(f.e.name)}</td><td>${esc(f.why)}</td><td>${f.n}</td></tr>`)
          .join('')}</table>`
  )
  // Users over time.
  const series = (r.series ?? []) as Array<Record<string, number>>
  if (series.some((s) => typeof s.users === 'number'))
    out.push(
      lineChart({
        title: `${r.id}: users over time`,
        xLabel: 'seconds',
        yLabel: 'users',
        lines: [{ name: 'users', points: series.map((s) => [s.t ?? 0, s.users ?? 0]), color: COLORS[2]! }]
      })
    )
  // The percentile curve: all requests and the worst endpoint, with the p95 targets.
  const hists = r.histograms ?? {}
  const lines: Line[] = []
  if (hists.Aggregated !== undefined) lines.push({ name: 'all requests', points: curve(hists.Aggregated), color: COLORS[0]! })
  const slowest =
    worst?.endpoint ?? [...endpoints].filter((e) => e.name !== 'Aggregated').sort((a, b) => (b.percentiles_ms.p95_ms ?? 0) - (a.percentiles_ms.p95_ms ?? 0))[0]
  const slowKey = slowest !== undefined ? label(slowest) : undefined
  if (slowKey !== undefined && hists[slowKey] !== undefined) lines.push({ name: `${slowKey} (slowest p95)`, points: curve(hists[slowKey]!), color: COLORS[1]! })
  if (lines.length > 0)
    out.push(
      lineChart({
        title: `${r.id}: response time by percentile`,
        xLabel: 'percentile',
        yLabel: 'ms (log)',
        yLog: true,
        lines,
        xTicks: [
          [0, '0%'],
          [1, '90%'],
          [2, '99%'],
          [3, '99.9%'],
          [4, '99.99%']
        ],
        hlines: targetLines(r, (m) => m === 'p95_ms' || m === 'max_endpoint_p95_ms')
      })
    )
  // Response time over time with the p95 target (the generic page draws p95_ms targets only).
  if (series.some((s) => typeof s.p95_ms === 'number'))
    out.push(
      lineChart({
        title: `${r.id}: p95 response time over time`,
        xLabel: 'seconds',
        yLabel: 'ms',
        lines: [{ name: 'p95 (all requests)', points: series.map((s) => [s.t ?? 0, s.p95_ms ?? 0]), color: COLORS[1]! }],
        hlines: targetLines(r, (m) => m === 'p95_ms' || m === 'max_endpoint_p95_ms')
      })
    )
  return `<div class="load">${out.join('\n')}</div>`
}

/** The page options of a `lucid load` or `lucid merge` report: a true title and what the run was. */
export function loadHtmlOptions(report: Report): HtmlOptions {
  const r = report.results[0]
  const c = r?.conditions ?? {}
  const what = [
    c.engine !== undefined ? `engine ${esc(String(c.engine))}` : undefined,
    c.users !== undefined ? `${esc(String(c.users))} users` : undefined,
    c.spawn_rate_per_s !== undefined ? `spawned at ${esc(String(c.spawn_rate_per_s))}/s` : undefined,
    c.duration_s !== undefined ? `${esc(String(c.duration_s))} s` : undefined,
    c.time_scale !== undefined ? `time scale ${esc(String(c.time_scale))}${c.time_scale === 1 ? ' (real pace)' : ' (a compressed preview)'}` : undefined,
    c.server !== undefined ? `against ${esc(String(c.server))}` : undefined
  ].filter((x) => x !== undefined)
  return {
    title: `lucid load: ${r?.id.replace(/^load\./, '') ?? 'run'}`,
    subtitle: `Scenario <b>${esc(String(c.scenario ?? r?.id ?? ''))}</b>: ${what.join(', ')}.${r?.sources !== undefined ? ` Merged from ${r.sources.length} runs.` : ''}`,
    extra: loadSections
  }
}
