/**
 * The console table: one row per judged target or goal (and, for cases without targets, their headline
 * metrics), with the same-run baseline and the ratio to it.
 */
import type { JudgedTarget, Report, ResultEntry } from './schema.ts'

/** Formats a number for humans: 3 significant digits, no exponent for usual magnitudes. */
export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-'
  const a = Math.abs(v)
  if (a >= 1000) return Math.round(v).toLocaleString('en-US')
  if (a >= 100) return v.toFixed(0)
  if (a >= 10) return v.toFixed(1)
  if (a >= 1) return v.toFixed(2)
  if (a === 0) return '0'
  return v.toPrecision(3)
}

/** Metrics shown for a case that has no targets (a baseline): its headline figures. */
const HEADLINE =
  /^(requests_per_s|p50_ms|p99_ms|error_ratio|one_core_mb_per_s|all_cores_mb_per_s|compression_ratio|get_p50_ms|get_p99_ms|gets_per_s|range_p99_ms|verify_per_s|sign_per_s)$/

interface Row {
  case: string
  metric: string
  target: string
  measured: string
  baseline: string
  ratio: string
  verdict: string
}

function baselineFor(e: ResultEntry, metric: string): { value?: number; ratio?: number } {
  const ratioKey = Object.keys(e.metrics).find((k) => k.startsWith(`${metric}_vs_`) && k.endsWith('_x'))
  if (ratioKey === undefined) return {}
  const ratio = e.metrics[ratioKey]
  const mine = e.metrics[metric]
  return { ...(ratio !== undefined ? { ratio } : {}), ...(ratio !== undefined && mine !== undefined && ratio !== 0 ? { value: mine / ratio } : {}) }
}

function rowsOf(e: ResultEntry): Row[] {
  if (e.status !== 'completed')
    return [{ case: e.id, metric: '-', target: '-', measured: '-', baseline: '-', ratio: '-', verdict: `${e.status.toUpperCase()}: ${e.reason ?? ''}` }]
  const judged = (t: JudgedTarget, goal: boolean): Row => {
    const b = baselineFor(e, t.metric)
    return {
      case: e.id,
      metric: t.metric,
      target: `${goal ? 'goal ' : ''}${t.op} ${fmt(t.value)}`,
      measured: fmt(t.measured),
      baseline: fmt(b.value),
      ratio: b.ratio !== undefined ? `${fmt(b.ratio)}x` : '-',
      verdict: goal ? `(${t.verdict})` : t.verdict.toUpperCase()
    }
  }
  const rows = [...e.targets.map((t) => judged(t, false)), ...e.goals.map((t) => judged(t, true))]
  if (rows.length === 0) {
    for (const [k, v] of Object.entries(e.metrics))
      if (HEADLINE.test(k)) rows.push({ case: e.id, metric: k, target: '-', measured: fmt(v), baseline: '-', ratio: '-', verdict: 'info' })
  }
  // A completed case judged an error (nothing succeeded, a target's metric not measured): say why under its rows.
  if (e.verdict === 'error' && e.reason !== undefined)
    rows.push({ case: e.id, metric: '-', target: '-', measured: '-', baseline: '-', ratio: '-', verdict: `ERROR: ${e.reason}` })
  return rows
}

/** Renders the table and a one-line summary. */
export function renderTable(report: Report): string {
  const head: Row = { case: 'case', metric: 'metric', target: 'target', measured: 'measured', baseline: 'baseline', ratio: 'ratio', verdict: 'verdict' }
  const rows = report.results.flatMap(rowsOf)
  const cols = Object.keys(head) as Array<keyof Row>
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(...[head, ...rows].map((r) => (c === 'verdict' ? 0 : r[c].length)), c.length)])) as Record<
    keyof Row,
    number
  >
  const line = (r: Row): string =>
    cols
      .map((c) => (c === 'measured' || c === 'baseline' || c === 'ratio' ? r[c].padStart(width[c]) : r[c].padEnd(width[c])))
      .join('  ')
      .trimEnd()
  const out = [line(head), cols.map((c) => '-'.repeat(c === 'verdict' ? 7 : width[c])).join('  ')]
  let last = ''
  for (const r of rows) {
    out.push(line(r.case === last ? { ...r, case: '' } : r))
    last = r.case
  }
  const count = (v: string): number => report.results.filter((r) => r.verdict === v).length
  const loads = report.results.filter((r) => r.load !== undefined)
  if (loads.length > 0) {
    out.push('')
    out.push(
      `load average (1 min) per case, start -> end (max)${(report.env.busy ?? 0) > 0 ? `; --busy ${report.env.busy}: that many cores kept busy by the runner` : ''}:`
    )
    for (const r of loads) {
      const l = r.load as NonNullable<ResultEntry['load']>
      out.push(`  ${r.id.padEnd(28)} ${l.loadavg_1m_start.toFixed(2)} -> ${l.loadavg_1m_end.toFixed(2)} (${l.loadavg_1m_max.toFixed(2)})`)
    }
  }
  out.push('')
  out.push(
    `verdict: ${report.verdict.toUpperCase()}  (${count('pass')} passed, ${count('fail')} failed, ${count('error')} errored, ${count('skipped')} skipped; profile ${report.profile}${report.judged ? '' : ': smoke judges no speed, only that every case runs'})`
  )
  return out.join('\n')
}
