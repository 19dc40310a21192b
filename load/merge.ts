/**
 * `lucid merge`'s arithmetic: several `lucid load --json` reports of one scenario, typically run at the same
 * time from several machines against one target, become the report of one run over all their samples. Each
 * report carries its endpoints' encoded HDR histograms; they are added exactly as the worker processes of one
 * run are (load/users/stats.ts), counts are summed, and the result is judged by the same targets. Percentiles
 * are never averaged. Runs of different scenarios, time scales or durations are refused: their sum describes
 * no run.
 */
import type { Conditions, Metrics } from '../harness/case.ts'
import { validateReport, type Report, type ReportEnv, type ReportSource } from '../harness/report/schema.ts'
import { errors } from '../services/common/errors.ts'
import { loadMetrics } from './metrics.ts'
import { judgedLoadReport } from './report/judged.ts'
import { mergeEndpointsWithHistograms, type EndpointStats, type EndpointWire } from './users/stats.ts'

/** One report to merge and the file it came from (named in errors and in the merged conditions). */
export interface MergeSource {
  file: string
  report: unknown
}

/** The conditions every source must share: what makes runs the same run. */
const SAME = ['scenario', 'time_scale', 'duration_s'] as const

const short = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v))

/** Checks one source and returns its single load result. */
function loadResult(s: MergeSource): { report: Report; entry: Report['results'][number]; histograms: Record<string, string>; endpoints: EndpointStats[] } {
  const problems = validateReport(s.report)
  if (problems.length > 0) throw new errors.MalformedReport(`${s.file}: ${problems.slice(0, 3).join('; ')}`)
  const report = s.report as Report
  const entry = report.results[0]
  if (report.results.length !== 1 || entry === undefined || !/^load\.[a-z]+$/.test(entry.id))
    throw new errors.LoadRunsNotMergeable(`${s.file} is not the report of one lucid load run (${report.results.map((r) => r.id).join(', ') || 'no results'})`)
  if (entry.status !== 'completed') throw new errors.LoadRunsNotMergeable(`${s.file}: its run ${entry.status} (${entry.reason ?? ''})`)
  const histograms = entry.histograms
  if (histograms?.Aggregated === undefined || !Array.isArray(entry.endpoints))
    throw new errors.LoadRunsNotMergeable(
      `${s.file} carries no histograms (${entry.conditions.engine === 'locust' ? 'a Locust run: Locust keeps rounded percentiles only' : 'made before lucid load kept them'})`
    )
  return { report, entry, histograms, endpoints: entry.endpoints as EndpointStats[] }
}

/**
 * Merges the sources into one judged report. Throws LUCID_ERR_9010 (exit 2) when they are not runs of the same
 * scenario, time scale and duration, or carry no histograms; LUCID_ERR_9008 when one is not a report.
 */
export function mergeLoadReports(sources: readonly MergeSource[], env: ReportEnv): Report {
  const runs = sources.map((s) => ({ file: s.file, ...loadResult(s) }))
  const first = runs[0]
  if (first === undefined) throw new errors.Usage('lucid merge needs reports to merge')
  for (const r of runs.slice(1)) {
    if (r.entry.id !== first.entry.id) throw new errors.LoadRunsNotMergeable(`${first.file} is ${first.entry.id}, ${r.file} is ${r.entry.id}`)
    for (const k of SAME) {
      const a = first.entry.conditions[k]
      const b = r.entry.conditions[k]
      if (a === undefined || a !== b) throw new errors.LoadRunsNotMergeable(`different ${k}: ${short(a)} in ${first.file}, ${short(b)} in ${r.file}`)
    }
  }
  const timeScale = Number(first.entry.conditions.time_scale)
  const runS = Number(first.entry.conditions.duration_s) / timeScale
  if (!(runS > 0)) throw new errors.LoadRunsNotMergeable(`${first.file}: no run time in its conditions (duration_s / time_scale)`)

  // Each source becomes what a worker process ships, so the merge is the one a single run makes of its workers.
  const parts: EndpointWire[][] = runs.map((r) =>
    r.endpoints
      .filter((e) => e.name !== 'Aggregated')
      .map((e) => {
        const name = `${e.method} ${e.name}`
        const histogram = r.histograms[name]
        if (histogram === undefined) throw new errors.LoadRunsNotMergeable(`${r.file}: no histogram for ${name}`)
        return { name, requests: e.requests, failures: e.failures, histogram, reasons: Object.entries(e.failure_reasons) }
      })
  )
  const merged = mergeEndpointsWithHistograms(parts, runS)
  const users = runs.map((r) => r.entry.metrics.users_count)
  const metrics: Metrics = {
    ...loadMetrics(merged.rows),
    ...(users.every((u) => u !== undefined) ? { users_count: (users as number[]).reduce((a, b) => a + b, 0) } : {})
  }
  // Conditions every source agrees on stay; the rest (server, resources, workers, ...) are listed per source.
  const shared: Conditions = {}
  for (const [k, v] of Object.entries(first.entry.conditions)) if (runs.every((r) => r.entry.conditions[k] === v)) shared[k] = v
  // Users, their spawn rate and the workers add up: the merged run had them all.
  const sum = (k: string): Conditions => {
    const vs = runs.map((r) => r.entry.conditions[k])
    return vs.every((v) => typeof v === 'number') ? { [k]: (vs as number[]).reduce((a, b) => a + b, 0) } : {}
  }
  const conditions: Conditions = {
    ...shared,
    ...sum('users'),
    ...sum('spawn_rate_per_s'),
    ...sum('workers'),
    merged: `${runs.length} runs: HDR histograms added per endpoint (never percentiles averaged), counts summed; requests_per_s is all requests over the common run time of ${runS.toFixed(1)} s (the runs are taken to have run at the same time against one target, so it is the sum of their rates)`,
    sources: runs.length,
    series: "not merged: per-second percentiles need per-second histograms, which reports do not keep (each source's series is in its own report)",
    resources: "per source (sources[].metrics): one server's CPU and RSS do not add up across runs",
    ...Object.fromEntries(
      runs.map((r, i) => [
        `source_${i + 1}`,
        `${r.file}: ${String(r.entry.conditions.workers ?? '?')} workers, ${r.entry.metrics.requests_count ?? 0} requests, ${r.report.env.cores} cores (${r.report.env.cpu}), load ${r.report.env.loadavg_before[0]?.toFixed(2) ?? '?'} -> ${r.report.env.loadavg_after[0]?.toFixed(2) ?? '?'}, commit ${r.report.env.commit.slice(0, 7) || 'unknown'}, ${r.report.env.date}`
      ])
    )
  }
  const sourceList: ReportSource[] = runs.map((r) => ({ file: r.file, env: r.report.env, conditions: r.entry.conditions, metrics: r.entry.metrics }))
  return judgedLoadReport({
    id: first.entry.id,
    metrics,
    conditions,
    endpoints: merged.rows,
    histograms: merged.histograms,
    sources: sourceList,
    durationS: Math.max(...runs.map((r) => r.entry.duration_s)),
    env
  })
}
