/**
 * Statistics of a simulated-user run, Locust's way: per endpoint (method and name) the requests, failures
 * and latency distribution, failures grouped by reason, and a per-second series. Latencies live in HDR
 * histograms so that several worker processes can be merged exactly.
 */
import { createHistogram, decodeHistogram, encodeHistogram, recordMs, type Histogram } from '../../harness/stats/histogram.ts'

/** One endpoint's raw statistics inside a process. */
export interface EndpointAccumulator {
  requests: number
  failures: number
  h: Histogram
  reasons: Map<string, number>
}

/** One second's raw statistics inside a process. */
export interface SecondAccumulator {
  requests: number
  failures: number
  h: Histogram
}

/** An endpoint's statistics as shipped between processes. */
export interface EndpointWire {
  name: string
  requests: number
  failures: number
  histogram: string
  reasons: Array<[string, number]>
}

/** A second as shipped between processes. */
export interface SecondWire {
  t: number
  users: number
  requests: number
  failures: number
  histogram: string
}

/** Collects the statistics of one process. */
export class StatsCollector {
  readonly endpoints = new Map<string, EndpointAccumulator>()
  readonly seconds: SecondAccumulator[] = []
  readonly #start: number

  /** @param start the run's start, performance.now() milliseconds */
  constructor(start: number) {
    this.#start = start
  }

  /** Records one request that completed at `at` (performance.now()). */
  record(name: string, ms: number, failure: string | undefined, at = performance.now()): void {
    let e = this.endpoints.get(name)
    if (e === undefined) {
      e = { requests: 0, failures: 0, h: createHistogram(), reasons: new Map() }
      this.endpoints.set(name, e)
    }
    e.requests++
    recordMs(e.h, ms)
    const t = Math.max(0, Math.floor((at - this.#start) / 1000))
    while (this.seconds.length <= t) this.seconds.push({ requests: 0, failures: 0, h: createHistogram() })
    const s = this.seconds[t]!
    s.requests++
    recordMs(s.h, ms)
    if (failure !== undefined) {
      e.failures++
      s.failures++
      e.reasons.set(failure, (e.reasons.get(failure) ?? 0) + 1)
    }
  }

  /** Second `t` for shipping (the users count is the caller's). */
  second(t: number, users: number): SecondWire {
    const s = this.seconds[t]
    return { t, users, requests: s?.requests ?? 0, failures: s?.failures ?? 0, histogram: encodeHistogram(s?.h ?? createHistogram()) }
  }

  /** Every endpoint for shipping. */
  endpointsWire(): EndpointWire[] {
    return [...this.endpoints].map(([name, e]) => ({
      name,
      requests: e.requests,
      failures: e.failures,
      histogram: encodeHistogram(e.h),
      reasons: [...e.reasons]
    }))
  }
}

/** Percentiles Locust reports, in its order. */
export const LOCUST_PERCENTILES = [50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100] as const

/** An endpoint's final statistics (also the report's `endpoints` entries). */
export interface EndpointStats {
  /** `GET`, `POST`, ... or `Aggregated`. */
  method: string
  name: string
  requests: number
  failures: number
  requests_per_s: number
  failures_per_s: number
  mean_ms: number
  min_ms: number
  max_ms: number
  /** p50_ms, p66_ms, ..., p99_9_ms, p99_99_ms, p100_ms. */
  percentiles_ms: Record<string, number>
  failure_reasons: Record<string, number>
}

const pkey = (p: number): string => `p${String(p).replace('.', '_')}_ms`

/** Merges endpoint statistics from every process and computes the figures, plus the Aggregated row. */
export function mergeEndpoints(parts: readonly EndpointWire[][], durationS: number): EndpointStats[] {
  return mergeEndpointsWithHistograms(parts, durationS).rows
}

/**
 * mergeEndpoints, plus every merged histogram encoded (keyed by the wire name, `GET /health`, and `Aggregated`):
 * what `lucid load --json` carries so that runs from several machines can be merged again (`lucid merge`)
 * exactly as the worker processes of one run are merged here.
 */
export function mergeEndpointsWithHistograms(
  parts: readonly EndpointWire[][],
  durationS: number
): { rows: EndpointStats[]; histograms: Record<string, string> } {
  const merged = new Map<string, { requests: number; failures: number; h: Histogram; reasons: Map<string, number> }>()
  for (const part of parts) {
    for (const e of part) {
      let m = merged.get(e.name)
      if (m === undefined) {
        m = { requests: 0, failures: 0, h: createHistogram(), reasons: new Map() }
        merged.set(e.name, m)
      }
      m.requests += e.requests
      m.failures += e.failures
      m.h.add(decodeHistogram(e.histogram))
      for (const [r, n] of e.reasons) m.reasons.set(r, (m.reasons.get(r) ?? 0) + n)
    }
  }
  const all = { requests: 0, failures: 0, h: createHistogram(), reasons: new Map<string, number>() }
  const rows: EndpointStats[] = []
  const histograms: Record<string, string> = {}
  const row = (method: string, name: string, m: typeof all): EndpointStats => ({
    method,
    name,
    requests: m.requests,
    failures: m.failures,
    requests_per_s: m.requests / durationS,
    failures_per_s: m.failures / durationS,
    mean_ms: m.h.totalCount > 0 ? m.h.mean / 1000 : 0,
    min_ms: m.h.totalCount > 0 ? m.h.minNonZeroValue / 1000 : 0,
    max_ms: m.h.totalCount > 0 ? m.h.maxValue / 1000 : 0,
    percentiles_ms: Object.fromEntries(LOCUST_PERCENTILES.map((p) => [pkey(p), m.h.totalCount > 0 ? m.h.getValueAtPercentile(p) / 1000 : 0])),
    failure_reasons: Object.fromEntries(m.reasons)
  })
  for (const [name, m] of [...merged].sort((a, b) => a[0].localeCompare(b[0]))) {
    const sp = name.indexOf(' ')
    rows.push(row(name.slice(0, sp), name.slice(sp + 1), m))
    histograms[name] = encodeHistogram(m.h)
    all.requests += m.requests
    all.failures += m.failures
    all.h.add(m.h)
    for (const [r, n] of m.reasons) all.reasons.set(`${name}: ${r}`, (all.reasons.get(`${name}: ${r}`) ?? 0) + n)
  }
  rows.push(row('', 'Aggregated', all))
  histograms.Aggregated = encodeHistogram(all.h)
  return { rows, histograms }
}

/** One point of the merged per-second series (the report's `series`). */
export interface LoadSeriesPoint {
  t: number
  users: number
  requests_per_s: number
  p50_ms: number
  p95_ms: number
  p99_ms: number
  errors: number
  [resource: string]: number
}

/** Merges the seconds the processes reported for one `t`. */
export function mergeSecond(t: number, parts: readonly SecondWire[]): LoadSeriesPoint {
  const h = createHistogram()
  for (const p of parts) h.add(decodeHistogram(p.histogram))
  const q = (p: number): number => (h.totalCount > 0 ? h.getValueAtPercentile(p) / 1000 : 0)
  return {
    t,
    users: parts.reduce((a, p) => a + p.users, 0),
    requests_per_s: parts.reduce((a, p) => a + p.requests, 0),
    p50_ms: q(50),
    p95_ms: q(95),
    p99_ms: q(99),
    errors: parts.reduce((a, p) => a + p.failures, 0)
  }
}
