/**
 * The gateway's insides, for Prometheus and for the benchmark harness (docs/observability.md):
 *
 *   GET /metrics        Prometheus text (prom-client): the reference's metrics, pool depths, process metrics
 *   GET /debug/timing   server-side durations per route as HDR histograms (µs); `?reset=1` clears them
 *
 * Access (auth/observer-access.ts): /metrics is open to local callers and under --load-test, /debug/timing
 * only under --load-test; otherwise both need an Admin token. Both are exempt from rate limits.
 */
import type { FastifyInstance } from 'fastify'
import * as hdr from 'hdr-histogram-js'
import { isLocalRequest, observerGuard } from '../auth/observer-access.ts'
import type { GatewayContext } from '../context.ts'
import { responses } from '../schemas.ts'

/** One route's entry in GET /debug/timing. */
export interface RouteTimingView {
  method: string
  /** The route template, e.g. `/sessions/:id` (`(unmatched)` for requests no route matched). */
  route: string
  /** Answers below 400 in the histogram. */
  count: number
  /** Every answer since the window began, by status code (4xx and 5xx are counted here, not timed). */
  statuses: Record<string, number>
  /** The HdrHistogram compressed-base64 encoding, values in µs (decode with hdr-histogram-js). */
  histogram: string
}

/** GET /debug/timing */
export interface TimingView {
  unit: 'us'
  /** Start of the window (gateway start or the last reset), ms since the epoch. */
  since: number
  /** When this answer was taken, ms since the epoch. */
  until: number
  /** True when this call cleared the histograms (a new window starts at `until`). */
  reset: boolean
  /** Keyed `METHOD route`, e.g. `GET /health`; routes with no answer in the window are left out. */
  routes: Record<string, RouteTimingView>
}

const ROUTE_TIMING = {
  type: 'object',
  properties: {
    method: { type: 'string' },
    route: { type: 'string' },
    count: { type: 'integer' },
    statuses: { type: 'object', additionalProperties: { type: 'integer' } },
    histogram: { type: 'string' }
  },
  required: ['method', 'route', 'count', 'statuses', 'histogram']
} as const

const TIMING = {
  type: 'object',
  properties: {
    unit: { type: 'string', enum: ['us'] },
    since: { type: 'integer' },
    until: { type: 'integer' },
    reset: { type: 'boolean' },
    routes: { type: 'object', additionalProperties: ROUTE_TIMING }
  },
  required: ['unit', 'since', 'until', 'reset', 'routes']
} as const

/** Registers /metrics and /debug/timing. */
export async function observabilityRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const loadTest = ctx.config.loadTest
  // The document describes this instance: under --load-test both routes are open to anyone, so they
  // declare no security (clients and the fuzzer read the document to know what needs a token). /metrics
  // stays marked secured otherwise, although loopback callers are let in without one.
  const security = loadTest ? [] : [{ bearer: [] }]

  app.get(
    '/metrics',
    {
      config: { rateLimit: false },
      preParsing: observerGuard((req) => loadTest || isLocalRequest(req)),
      schema: { tags: ['meta'], summary: 'Prometheus metrics (text format 0.0.4); local callers, --load-test, or an Admin', security }
    },
    async (_req, reply) => {
      const text = await ctx.metrics.metrics()
      return await reply.type(ctx.metrics.contentType).send(text)
    }
  )

  app.get<{ Querystring: { reset?: '0' | '1' } }>(
    '/debug/timing',
    {
      config: { rateLimit: false },
      preParsing: observerGuard(() => loadTest),
      schema: {
        tags: ['meta'],
        summary: 'Server-side durations per route (HDR, µs) since start or the last ?reset=1; --load-test or an Admin',
        security,
        querystring: { type: 'object', properties: { reset: { type: 'string', enum: ['0', '1'] } }, additionalProperties: false },
        response: responses({ 200: TIMING })
      }
    },
    async (req): Promise<TimingView> => {
      const http = ctx.http
      const routes: Record<string, RouteTimingView> = {}
      for (const t of http.tallies) {
        const { histogram, statuses } = t.timing()
        if (statuses.size === 0) continue
        routes[`${t.method} ${t.route}`] = {
          method: t.method,
          route: t.route,
          count: histogram.totalCount,
          statuses: Object.fromEntries([...statuses].map(([s, n]) => [String(s), n])),
          histogram: hdr.encodeIntoCompressedBase64(histogram)
        }
      }
      const since = http.timingSince
      const reset = req.query.reset === '1'
      // Read and cleared in one synchronous step: no answer falls between this window and the next.
      if (reset) http.resetTiming()
      return { unit: 'us', since, until: reset ? http.timingSince : ctx.config.clock.now(), reset, routes }
    }
  )
}
