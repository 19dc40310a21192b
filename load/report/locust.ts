/**
 * Locust-style output of a simulated-user run: the request table, the percentile table and the failure
 * report on the console, and the CSV files Locust's `--csv PREFIX` writes (`_stats.csv`, `_failures.csv`,
 * `_stats_history.csv`), so existing tooling that reads Locust's files reads ours. Unlike Locust, the
 * percentiles are not rounded to two significant digits: they come from HDR histograms (3 digits).
 */
import { writeFileSync } from 'node:fs'
import { LOCUST_PERCENTILES, type EndpointStats, type LoadSeriesPoint } from '../users/stats.ts'

const pkey = (p: number): string => `p${String(p).replace('.', '_')}_ms`
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2))
const pct = (p: number): string => `${p}%`

/** The console tables; `percentiles` says where the percentile table's figures come from. */
export function renderLocustTables(rows: readonly EndpointStats[], percentiles = 'from HDR histograms, not rounded'): string {
  const nameW = Math.max(20, ...rows.map((r) => r.name.length))
  const out: string[] = []
  const head = `${'Type'.padEnd(8)} ${'Name'.padEnd(nameW)} ${'# reqs'.padStart(8)} ${'# fails'.padStart(14)} | ${'Avg'.padStart(7)} ${'Min'.padStart(7)} ${'Max'.padStart(7)} ${'Med'.padStart(7)} | ${'req/s'.padStart(8)} ${'failures/s'.padStart(10)}`
  const sep = '-'.repeat(head.length)
  out.push(head, sep)
  for (const r of rows) {
    if (r.name === 'Aggregated') out.push(sep)
    const failPct = r.requests > 0 ? (100 * r.failures) / r.requests : 0
    out.push(
      `${r.method.padEnd(8)} ${r.name.padEnd(nameW)} ${String(r.requests).padStart(8)} ${`${r.failures}(${failPct.toFixed(2)}%)`.padStart(14)} | ${ms(r.mean_ms).padStart(7)} ${ms(r.min_ms).padStart(7)} ${ms(r.max_ms).padStart(7)} ${ms(r.percentiles_ms.p50_ms ?? 0).padStart(7)} | ${r.requests_per_s.toFixed(2).padStart(8)} ${r.failures_per_s.toFixed(2).padStart(10)}`
    )
  }
  out.push('', `Response time percentiles (ms, ${percentiles})`)
  out.push(`${'Type'.padEnd(8)} ${'Name'.padEnd(nameW)} ${LOCUST_PERCENTILES.map((p) => pct(p).padStart(7)).join(' ')} ${'# reqs'.padStart(8)}`)
  out.push(sep)
  for (const r of rows) {
    if (r.name === 'Aggregated') out.push(sep)
    out.push(
      `${r.method.padEnd(8)} ${r.name.padEnd(nameW)} ${LOCUST_PERCENTILES.map((p) => {
        const v = r.percentiles_ms[pkey(p)]
        return (v === undefined ? 'N/A' : ms(v)).padStart(7)
      }).join(' ')} ${String(r.requests).padStart(8)}`
    )
  }
  const failures = rows
    .filter((r) => r.name !== 'Aggregated')
    .flatMap((r) => Object.entries(r.failure_reasons).map(([why, n]) => ({ n, what: `${r.method} ${r.name}: ${why}` })))
  if (failures.length > 0) {
    out.push('', 'Error report', `${'# occurrences'.padStart(14)}  Error`, sep)
    for (const f of failures.sort((a, b) => b.n - a.n)) out.push(`${String(f.n).padStart(14)}  ${f.what}`)
  }
  return out.join('\n')
}

const csvCell = (v: string | number): string => {
  const s = String(v)
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}
const csvLine = (cells: Array<string | number>): string => cells.map(csvCell).join(',')

/** Writes PREFIX_stats.csv, PREFIX_failures.csv and PREFIX_stats_history.csv; returns their paths. */
export function writeLocustCsv(prefix: string, rows: readonly EndpointStats[], series: readonly LoadSeriesPoint[], startedAtS: number): string[] {
  const pcols = LOCUST_PERCENTILES.map(pct)
  const stats = [
    csvLine([
      'Type',
      'Name',
      'Request Count',
      'Failure Count',
      'Median Response Time',
      'Average Response Time',
      'Min Response Time',
      'Max Response Time',
      'Average Content Size',
      'Requests/s',
      'Failures/s',
      ...pcols
    ])
  ]
  for (const r of rows) {
    stats.push(
      csvLine([
        r.method,
        r.name,
        r.requests,
        r.failures,
        r.percentiles_ms.p50_ms ?? 0,
        r.mean_ms,
        r.min_ms,
        r.max_ms,
        0,
        r.requests_per_s,
        r.failures_per_s,
        ...LOCUST_PERCENTILES.map((p) => r.percentiles_ms[pkey(p)] ?? 0)
      ])
    )
  }
  const failures = [csvLine(['Method', 'Name', 'Error', 'Occurrences'])]
  for (const r of rows)
    if (r.name !== 'Aggregated') for (const [why, n] of Object.entries(r.failure_reasons)) failures.push(csvLine([r.method, r.name, why, n]))
  const history = [
    csvLine(['Timestamp', 'User Count', 'Type', 'Name', 'Requests/s', 'Failures/s', '50%', '95%', '99%', 'Total Request Count', 'Total Failure Count'])
  ]
  let total = 0
  let totalFail = 0
  for (const p of series) {
    total += p.requests_per_s
    totalFail += p.errors
    history.push(csvLine([Math.round(startedAtS + p.t), p.users, '', 'Aggregated', p.requests_per_s, p.errors, p.p50_ms, p.p95_ms, p.p99_ms, total, totalFail]))
  }
  const files: Array<[string, string[]]> = [
    [`${prefix}_stats.csv`, stats],
    [`${prefix}_failures.csv`, failures],
    [`${prefix}_stats_history.csv`, history]
  ]
  for (const [f, lines] of files) writeFileSync(f, `${lines.join('\n')}\n`)
  return files.map(([f]) => f)
}
