/**
 * Figures behind GET /admin/dashboard/metrics: answers by status class and event-loop delay. The answers
 * are read from the per-route tallies (http-metrics.ts) when asked, so the dashboard adds nothing per
 * request beyond what /metrics already records.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { HttpMetrics } from './http-metrics.ts'

/** Answers counted by status class. */
export interface RequestCounts {
  total: number
  '2xx': number
  '3xx': number
  '4xx': number
  '5xx': number
  /** 429 answers (rate limited), also counted in 4xx. */
  rate_limited: number
  /** 503 answers (load shed), also counted in 5xx. */
  shed: number
}

/** Process-wide gateway counters. */
export class GatewayStats {
  readonly #http: HttpMetrics
  readonly #eld: IntervalHistogram

  constructor(http: HttpMetrics) {
    this.#http = http
    this.#eld = monitorEventLoopDelay({ resolution: 10 })
    this.#eld.enable()
  }

  /** Answers since start by status class (1xx answers, which fastify never sends here, count in total only). */
  get counts(): RequestCounts {
    const c: RequestCounts = { total: 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, rate_limited: 0, shed: 0 }
    for (const [s, n] of this.#http.byStatus()) {
      c.total += n
      if (s >= 200 && s < 300) c['2xx'] += n
      else if (s >= 300 && s < 400) c['3xx'] += n
      else if (s >= 400 && s < 500) c['4xx'] += n
      else if (s >= 500) c['5xx'] += n
      if (s === 429) c.rate_limited += n
      if (s === 503) c.shed += n
    }
    return c
  }

  /** Event-loop delay since start, ms. */
  eventLoopDelay(): { p50_ms: number; p99_ms: number; max_ms: number } {
    const h = this.#eld
    return { p50_ms: h.percentile(50) / 1e6, p99_ms: h.percentile(99) / 1e6, max_ms: h.max / 1e6 }
  }

  /** Stops the event-loop monitor. */
  close(): void {
    this.#eld.disable()
  }
}
