/**
 * `--html FILE`: one self-contained page (inline CSS and SVG, no scripts, no external assets; it opens
 * offline) with the verdict table, a latency percentile curve per case on a log axis with its targets drawn,
 * throughput and latency over time for load runs, the capacity curve, and the environment.
 */
import type { Report, ResultEntry } from './schema.ts'
import { decodeHistogram } from '../stats/histogram.ts'
import { esc, lineChart, type HLine, type Line } from './svg.ts'
import { fmt } from './console.ts'

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b']

/** Percentile curve points: x = -log10(1 - p), the "number of nines", as HdrHistogram's plotter draws it. */
function percentileCurve(encoded: string): Array<[number, number]> {
  const h = decodeHistogram(encoded)
  const pts: Array<[number, number]> = []
  const maxNines = Math.log10(Math.max(10, h.totalCount))
  for (let nines = 0; nines <= maxNines + 1e-9; nines += 0.1) {
    const p = 100 * (1 - 10 ** -nines)
    pts.push([nines, h.getValueAtPercentile(Math.min(p, 100)) / 1000])
  }
  pts.push([maxNines, h.maxValue / 1000])
  return pts
}

const NINES: Array<[number, string]> = [
  [0, '0%'],
  [1, '90%'],
  [2, '99%'],
  [3, '99.9%'],
  [4, '99.99%'],
  [5, '99.999%']
]

function latencyTargets(r: ResultEntry): HLine[] {
  return [...r.targets, ...r.goals]
    .filter((t) => /^p\d+(_\d+)?_ms$/.test(t.metric))
    .map((t) => ({ y: t.value, label: `${t.metric} ${t.op} ${t.value}`, color: t.verdict === 'pass' ? '#2a2' : '#c00' }))
}

function caseSection(r: ResultEntry): string {
  const out: string[] = [`<section id="${esc(r.id)}"><h2>${esc(r.id)} <span class="v ${r.verdict}">${r.verdict}</span></h2>`]
  if (r.status !== 'completed') out.push(`<p>${esc(r.status)}: ${esc(r.reason ?? '')}</p>`)
  const hists = Object.entries(r.histograms ?? {}).filter(([, e]) => decodeHistogram(e).totalCount > 0)
  if (hists.length > 0) {
    const lines: Line[] = hists.map(([name, e], i) => ({ name, points: percentileCurve(e), color: COLORS[i % COLORS.length]!, dashed: name === 'uncorrected' }))
    out.push(
      lineChart({
        title: `${r.id}: latency by percentile`,
        xLabel: 'percentile',
        yLabel: 'latency (ms, log)',
        lines,
        xTicks: NINES,
        yLog: true,
        hlines: latencyTargets(r)
      })
    )
  }
  const series = (r.series ?? []) as Array<Record<string, number>>
  if (series.length > 0 && series.every((s) => typeof s.t === 'number')) {
    const rateTargets = r.targets.filter((t) => t.metric === 'requests_per_s').map((t) => ({ y: t.value, label: `target ${t.op} ${t.value}/s` }))
    out.push(
      lineChart({
        title: `${r.id}: throughput over time`,
        xLabel: 'seconds',
        yLabel: 'requests/s',
        lines: [{ name: 'requests/s', points: series.map((s) => [s.t!, s.requests_per_s ?? 0]), color: COLORS[0]! }],
        hlines: rateTargets
      })
    )
    out.push(
      lineChart({
        title: `${r.id}: latency over time`,
        xLabel: 'seconds',
        yLabel: 'ms',
        lines: [
          { name: 'p50', points: series.map((s) => [s.t!, s.p50_ms ?? 0]), color: COLORS[2]! },
          { name: 'p95', points: series.map((s) => [s.t!, s.p95_ms ?? 0]), color: COLORS[1]! },
          { name: 'p99', points: series.map((s) => [s.t!, s.p99_ms ?? 0]), color: COLORS[3]! }
        ],
        hlines: latencyTargets(r).filter((h) => h.label.startsWith('p95') || h.label.startsWith('p99'))
      })
    )
  }
  if (r.capacity !== undefined && r.capacity.length > 0) {
    const bound = Number(r.conditions.find_max_p99_ms)
    out.push(
      lineChart({
        title: `${r.id}: capacity search (max ${fmt(r.metrics.max_rate_per_s)} req/s)`,
        xLabel: 'offered rate (req/s)',
        yLabel: 'p99 (ms, log)',
        yLog: true,
        lines: [
          { name: 'p99 corrected', points: r.capacity.map((c) => [c.rate_per_s, c.p99_ms]), color: COLORS[0]! },
          { name: 'p99 uncorrected', points: r.capacity.map((c) => [c.rate_per_s, c.uncorrected_p99_ms]), color: COLORS[1]!, dashed: true }
        ],
        hlines: Number.isFinite(bound) ? [{ y: bound, label: `p99 bound ${bound} ms` }] : []
      })
    )
  }
  const rows = [...r.targets.map((t) => ({ t, goal: false })), ...r.goals.map((t) => ({ t, goal: true }))]
  if (rows.length > 0) {
    out.push('<table><tr><th>metric</th><th>target</th><th>measured</th><th>spread (95 % CI)</th><th>verdict</th><th>source</th></tr>')
    for (const { t, goal } of rows) {
      const s = r.spread?.[t.metric]
      out.push(
        `<tr><td>${esc(t.metric)}</td><td>${goal ? 'goal ' : ''}${esc(t.op)} ${fmt(t.value)}</td><td>${fmt(t.measured)}</td><td>${s !== undefined ? `${fmt(s.ci95_low)} .. ${fmt(s.ci95_high)} (n=${s.n})` : '-'}</td><td class="v ${t.verdict}">${t.verdict}</td><td>${esc(t.source)}</td></tr>`
      )
    }
    out.push('</table>')
  }
  const cond = Object.entries(r.conditions)
  if (cond.length > 0)
    out.push(
      `<details><summary>conditions and all metrics</summary><table>${cond.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(String(v))}</td></tr>`).join('')}${Object.entries(
        r.metrics
      )
        .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${fmt(v)}</td></tr>`)
        .join('')}</table></details>`
    )
  out.push('</section>')
  return out.join('\n')
}

/** Renders the page. */
export function renderHtml(report: Report): string {
  const env = Object.entries(report.env)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(Array.isArray(v) ? v.map((x) => Number(x).toFixed(2)).join(' ') : String(v))}</td></tr>`)
    .join('')
  const summary = report.results
    .map(
      (r) =>
        `<tr><td><a href="#${esc(r.id)}">${esc(r.id)}</a></td><td>${esc(r.status)}</td><td class="v ${r.verdict}">${r.verdict}</td><td>${r.targets.map((t) => `${esc(t.metric)} ${fmt(t.measured)} ${esc(t.op)} ${fmt(t.value)}`).join('<br>')}</td></tr>`
    )
    .join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lucid bench: ${esc(report.verdict)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}
.v.pass{color:#181}.v.fail,.v.error{color:#b00;font-weight:bold}.v.skipped{color:#888}
section{margin:28px 0;border-top:1px solid #ddd}svg{display:block;margin:8px 0}
</style></head><body>
<h1>lucid bench <span class="v ${report.verdict}">${report.verdict}</span></h1>
<p>Profile <b>${esc(report.profile)}</b>${report.judged ? '' : ' (smoke: no speed judged)'}; ${report.results.length} cases. Latencies are open-model figures measured from each request's intended send time unless a chart says otherwise; dashed lines are targets (green met, red missed).</p>
<table><tr><th>case</th><th>status</th><th>verdict</th><th>targets</th></tr>${summary}</table>
${report.results.map(caseSection).join('\n')}
<section><h2>Environment</h2><table>${env}</table></section>
</body></html>
`
}
