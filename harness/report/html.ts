/**
 * `--html FILE`: one self-contained page (inline CSS and SVG, no scripts, no external assets; it opens
 * offline) with the verdict table, a latency percentile curve per case on a log axis with its targets drawn,
 * throughput and latency over time for load runs, the capacity curve, and the environment.
 */
import type { JudgedTarget, Report, ResultEntry } from './schema.ts'
import type { Spread } from '../stats/spread.ts'
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

/** Green met, red missed (or not measured): the legend's colours, for targets and goals alike. */
const verdictColor = (t: JudgedTarget): string => (t.verdict === 'pass' ? '#2a2' : '#c00')

/** A metric's name short enough for a chart's margin: `max_endpoint_p95_ms` -> `endpoint p95`. */
const shortMetric = (m: string): string =>
  m
    .replace(/^max_endpoint_/, 'endpoint ')
    .replace(/_ms$/, '')
    .replace(/_per_s$/, '/s')

/** The lines of targets (dashed) and goals (dotted) on `metric`s matching `which`. */
export function targetLines(r: ResultEntry, which: (metric: string) => boolean): HLine[] {
  const line = (t: JudgedTarget, kind: 'target' | 'goal'): HLine => ({
    y: t.value,
    label: `${kind === 'goal' ? 'goal ' : ''}${shortMetric(t.metric)} ${t.op} ${fmt(t.value)}`,
    color: verdictColor(t),
    kind
  })
  return [...r.targets.filter((t) => which(t.metric)).map((t) => line(t, 'target')), ...r.goals.filter((t) => which(t.metric)).map((t) => line(t, 'goal'))]
}

const isLatency = (metric: string): boolean => /^p\d+(_\d+)?_ms$/.test(metric)

function latencyTargets(r: ResultEntry): HLine[] {
  return targetLines(r, isLatency)
}

/**
 * The same-run baselines of a case and its ratios to them (`<metric>_vs_<baseline>_x`): the project's yardstick,
 * a figure next to what the machine does with no product code in the way, measured minutes apart.
 */
function baselineTable(r: ResultEntry): string {
  const ratios = Object.entries(r.metrics).filter(([k]) => /_vs_.+_x$/.test(k))
  if (r.baselines.length === 0 && ratios.length === 0) return ''
  const rows = ratios.map(([k, ratio]) => {
    const m = /^(.*)_vs_(.+)_x$/.exec(k)!
    const metric = m[1]!
    const b = r.baselines.find((x) => x.id.endsWith(`.${m[2]}`))
    const mine = r.metrics[metric]
    const theirs = b?.metrics[metric] ?? (mine !== undefined && ratio !== 0 ? mine / ratio : undefined)
    return `<tr class="ratio"><td>${esc(metric)}</td><td>${fmt(mine)}</td><td>${esc(b?.id ?? m[2]!)}</td><td>${fmt(theirs)}</td><td>${fmt(ratio)}x</td></tr>`
  })
  return `<table class="baselines"><caption>same-run baseline</caption><tr><th>metric</th><th>this case</th><th>baseline (same run)</th><th>baseline's figure</th><th>ratio</th></tr>${rows.join('')}</table>`
}

/** A spread cell: a 95 % interval from three or more repeats only; from two, just the two values. */
function spreadCell(s: Spread | undefined): string {
  if (s === undefined) return '-'
  if (s.n >= 3) return `${fmt(s.ci95_low)} .. ${fmt(s.ci95_high)} (95 % CI, n=${s.n})`
  return `${fmt(s.min)} .. ${fmt(s.max)} (range, n=${s.n}: too few for an interval)`
}

function caseSection(r: ResultEntry, extra?: (r: ResultEntry) => string): string {
  const out: string[] = [`<section id="${esc(r.id)}"><h2>${esc(r.id)} <span class="v ${r.verdict}">${r.verdict}</span></h2>`]
  if (r.status !== 'completed') out.push(`<p>${esc(r.status)}: ${esc(r.reason ?? '')}</p>`)
  const hists = Object.entries(r.histograms ?? {}).filter(([, e]) => decodeHistogram(e).totalCount > 0)
  // A load run keeps one histogram per endpoint: its own section draws the ones that matter.
  if (hists.length > 0 && !hists.some(([name]) => name === 'Aggregated')) {
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
    // HTTP cases: requests_per_s is judged on the closed model; the open model only offers its fixed rate.
    const closed = series.some((s) => typeof s.closed_requests_per_s === 'number')
    const rateLines = targetLines(r, (m) => m === 'requests_per_s')
    const judged = r.metrics.requests_per_s
    if (closed && judged !== undefined) rateLines.push({ y: judged, label: `judged ${fmt(judged)}/s`, kind: 'reference' })
    const lines: Line[] = closed
      ? [
          { name: 'closed model (judged)', points: series.map((s) => [s.t!, s.closed_requests_per_s ?? 0]), color: COLORS[0]! },
          { name: 'open model (fixed rate)', points: series.map((s) => [s.t!, s.requests_per_s ?? 0]), color: COLORS[1]!, dashed: true }
        ]
      : [{ name: 'requests/s', points: series.map((s) => [s.t!, s.requests_per_s ?? 0]), color: COLORS[0]! }]
    out.push(
      lineChart({
        title: `${r.id}: throughput over time`,
        xLabel: 'seconds',
        yLabel: 'requests/s',
        lines,
        hlines: rateLines
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
        hlines: targetLines(r, (m) => m === 'p95_ms' || m === 'p99_ms')
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
    out.push('<table class="targets"><tr><th>metric</th><th>target</th><th>measured</th><th>spread over repeats</th><th>verdict</th><th>source</th></tr>')
    for (const { t, goal } of rows) {
      out.push(
        `<tr class="${goal ? 'goal' : 'target'}"><td>${esc(t.metric)}</td><td>${goal ? 'goal ' : ''}${esc(t.op)} ${fmt(t.value)}</td><td>${fmt(t.measured)}</td><td class="spread">${spreadCell(r.spread?.[t.metric])}</td><td class="v ${goal ? 'goal-' : ''}${t.verdict}">${goal ? `goal ${t.verdict === 'pass' ? 'met' : 'not met'}` : t.verdict}</td><td>${esc(t.source)}</td></tr>`
      )
    }
    out.push('</table>')
  }
  out.push(baselineTable(r))
  if (extra !== undefined) out.push(extra(r))
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

/** The summary cell of a case's ratios to its same-run baselines. */
function ratioSummary(r: ResultEntry): string {
  const ratios = Object.entries(r.metrics).filter(([k]) => /_vs_.+_x$/.test(k))
  return ratios.length > 0 ? ratios.map(([k, v]) => `${esc(k)} ${fmt(v)}x`).join('<br>') : '-'
}

/** What a command adds to the generic page (lucid load: its Locust-style sections). */
export interface HtmlOptions {
  /** The page's title and heading (default `lucid bench`). */
  title?: string
  /** The line under the heading (default: the profile). */
  subtitle?: string
  /** More HTML at the end of each case's section. */
  extra?: (r: ResultEntry) => string
}

/** Renders the page. */
export function renderHtml(report: Report, opts: HtmlOptions = {}): string {
  const title = opts.title ?? 'lucid bench'
  const env = Object.entries(report.env)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(Array.isArray(v) ? v.map((x) => Number(x).toFixed(2)).join(' ') : String(v))}</td></tr>`)
    .join('')
  const summary = report.results
    .map(
      (r) =>
        `<tr><td><a href="#${esc(r.id)}">${esc(r.id)}</a></td><td>${esc(r.status)}</td><td class="v ${r.verdict}">${r.verdict}</td><td>${r.targets.map((t) => `${esc(t.metric)} ${fmt(t.measured)} ${esc(t.op)} ${fmt(t.value)}`).join('<br>')}</td><td>${ratioSummary(r)}</td></tr>`
    )
    .join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}: ${esc(report.verdict)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}
.v.pass{color:#181}.v.fail,.v.error{color:#b00;font-weight:bold}.v.skipped{color:#888}.v.goal-pass{color:#181}.v.goal-fail,.v.goal-error{color:#a60}
caption{text-align:left;font-weight:bold;font-size:13px}
section{margin:28px 0;border-top:1px solid #ddd}svg{display:block;margin:8px 0}
</style></head><body>
<h1>${esc(title)} <span class="v ${report.verdict}">${report.verdict}</span></h1>
<p class="subtitle">${opts.subtitle ?? `Profile <b>${esc(report.profile)}</b>${report.judged ? '' : ' (smoke: no speed judged)'}; ${report.results.length} cases.`}</p>
<p class="legend">Latencies are open-model figures measured from each request's intended send time unless a chart says otherwise. Dashed lines are targets, dotted lines goals (an aim that never fails the run): green met, red missed. Thin grey lines are references (the judged figure). A case's ratio divides it by a baseline measured in the same run on the same machine.</p>
<table><tr><th>case</th><th>status</th><th>verdict</th><th>targets</th><th>same-run baseline</th></tr>${summary}</table>
${report.results.map((r) => caseSection(r, opts.extra)).join('\n')}
<section><h2>Environment</h2><table>${env}</table></section>
</body></html>
`
}
