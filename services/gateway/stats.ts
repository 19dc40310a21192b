/**
 * Counters behind GET /admin/dashboard/metrics: answers by status class and event-loop delay. Kept to
 * what costs next to nothing per request (one increment in onResponse); per-route latency histograms and
 * Prometheus export are issue 9's /metrics.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'

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
  readonly counts: RequestCounts = { total: 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, rate_limited: 0, shed: 0 }
  readonly #eld: IntervalHistogram

  constructor () {
    this.#eld = monitorEventLoopDelay({ resolution: 10 })
    this.#eld.enable()
  }

  /** Counts every answer of `app`. */
  install (app: FastifyInstance): void {
    app.addHook('onResponse', async (_req, reply) => {
      const c = this.counts
      const s = reply.statusCode
      c.total++
      if (s < 300) c['2xx']++
      else if (s < 400) c['3xx']++
      else if (s < 500) c['4xx']++
      else c['5xx']++
      if (s === 429) c.rate_limited++
      if (s === 503) c.shed++
    })
  }

  /** Event-loop delay since start, ms. */
  eventLoopDelay (): { p50_ms: number, p99_ms: number, max_ms: number } {
    const h = this.#eld
    return { p50_ms: h.percentile(50) / 1e6, p99_ms: h.percentile(99) / 1e6, max_ms: h.max / 1e6 }
  }

  /** Stops the event-loop monitor. */
  close (): void {
    this.#eld.disable()
  }
}
