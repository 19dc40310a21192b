/**
 * Reading the real Locust's `--csv` files (2.x columns: `_stats.csv`, `_failures.csv`, `_stats_history.csv`
 * written with `--csv-full-history`) into the endpoint table and per-second series that `lucid load` reports,
 * so the same targets judge them.
 *
 * What Locust's figures are: it rounds every response time before counting it (whole ms below 100 ms, 10 ms
 * steps below 1 s, 100 ms steps below 10 s, then whole seconds) and writes percentiles truncated to whole ms;
 * mean, min and max are exact. The history's rates and percentiles are over a rolling window of ~10 s, not
 * per second. An endpoint without requests has `N/A` percentiles: they are left out here, never read as 0.
 */
import { LOCUST_PERCENTILES, type EndpointStats, type LoadSeriesPoint } from '../users/stats.ts'

/** Parses RFC 4180 CSV (quoted cells may hold commas, quotes and newlines: Locust quotes error messages). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(cell)
      cell = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
    } else cell += c
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell)
    rows.push(row)
  }
  return rows
}

/** The rows of a CSV file as objects keyed by its header. */
function records(text: string): Array<Record<string, string>> {
  const [head, ...rows] = parseCsv(text)
  if (head === undefined) return []
  return rows.filter((r) => r.length > 1 || (r[0] ?? '') !== '').map((r) => Object.fromEntries(head.map((h, i) => [h, r[i] ?? ''])))
}

/** A numeric cell; undefined for `N/A`, an empty cell or anything else that is not a finite number. */
function num(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '' || v === 'N/A') return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : undefined
}

function required(r: Record<string, string>, col: string, file: string): number {
  const v = num(r[col])
  if (v === undefined) throw new Error(`Locust ${file}: column '${col}' of ${r.Type ?? ''} ${r.Name ?? ''} is '${r[col] ?? '(missing)'}'`)
  return v
}

const pkey = (p: number): string => `p${String(p).replace('.', '_')}_ms`
const pcol = (p: number): string => `${p}%`

/** The endpoint table from `_stats.csv` and `_failures.csv` (the last row is `Aggregated`, as Locust writes it). */
export function locustEndpoints(statsCsv: string, failuresCsv: string): EndpointStats[] {
  const reasons = new Map<string, Record<string, number>>()
  for (const f of records(failuresCsv)) {
    const key = `${f.Method ?? ''} ${f.Name ?? ''}`
    const list = reasons.get(key) ?? {}
    list[f.Error ?? ''] = (list[f.Error ?? ''] ?? 0) + (num(f.Occurrences) ?? 0)
    reasons.set(key, list)
  }
  const rows = records(statsCsv)
  if (!rows.some((r) => r.Name === 'Aggregated')) throw new Error('Locust _stats.csv: no Aggregated row')
  const out = rows.map((r): EndpointStats => {
    const requests = required(r, 'Request Count', '_stats.csv')
    const failures = required(r, 'Failure Count', '_stats.csv')
    const percentiles: Record<string, number> = {}
    for (const p of LOCUST_PERCENTILES) {
      const v = num(r[pcol(p)])
      if (v !== undefined && requests > 0) percentiles[pkey(p)] = v
    }
    return {
      method: r.Type ?? '',
      name: r.Name ?? '',
      requests,
      failures,
      requests_per_s: required(r, 'Requests/s', '_stats.csv'),
      failures_per_s: required(r, 'Failures/s', '_stats.csv'),
      mean_ms: num(r['Average Response Time']) ?? 0,
      min_ms: num(r['Min Response Time']) ?? 0,
      max_ms: num(r['Max Response Time']) ?? 0,
      percentiles_ms: percentiles,
      failure_reasons: r.Name === 'Aggregated' ? {} : (reasons.get(`${r.Type ?? ''} ${r.Name ?? ''}`) ?? {})
    }
  })
  // Locust's failure table has no Aggregated row; ours lists every reason under it, prefixed by its endpoint.
  const agg = out.find((e) => e.name === 'Aggregated')!
  for (const e of out) if (e !== agg) for (const [why, n] of Object.entries(e.failure_reasons)) agg.failure_reasons[`${e.method} ${e.name}: ${why}`] = n
  return [...out.filter((e) => e !== agg), agg]
}

/** The per-second series from `_stats_history.csv` (its Aggregated rows), and the most users seen running. */
export function locustSeries(historyCsv: string): { series: LoadSeriesPoint[]; usersMax: number } {
  const rows = records(historyCsv).filter((r) => r.Name === 'Aggregated')
  const first = num(rows[0]?.Timestamp) ?? 0
  let usersMax = 0
  const series = rows.map((r): LoadSeriesPoint => {
    const users = num(r['User Count']) ?? 0
    usersMax = Math.max(usersMax, users)
    return {
      t: (num(r.Timestamp) ?? first) - first,
      users,
      requests_per_s: num(r['Requests/s']) ?? 0,
      // No request in the window: 0, as in the simulated users' own series (the series is shown, never judged).
      p50_ms: num(r['50%']) ?? 0,
      p95_ms: num(r['95%']) ?? 0,
      p99_ms: num(r['99%']) ?? 0,
      errors: num(r['Failures/s']) ?? 0
    }
  })
  return { series, usersMax }
}
