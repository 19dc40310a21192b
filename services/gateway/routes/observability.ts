/**
 * The gateway's insides, for Prometheus and for the benchmark harness (docs/observability.md):
 *
 *   GET /metrics        Prometheus text (prom-client): the reference's metrics, pool depths, process metrics
 *   GET /debug/timing   server-side durations per route as HDR histograms (µs); `?reset=1` clears them
 *
 * Access (auth/observer-access.ts): /metrics is open to local callers and under --load-test, /debug/timing
 * only under --load-test; otherwise both need an Admin token. Both are exempt from rate limits.
 */
import * as hdr from 'hdr-histogram-js'
import { isLocalRequest, observerGuard } from '../auth/observer-access.ts'
import type { GatewayContext } from '../context.ts'
import { type GatewayApp, responses } from '../schemas/common.ts'
import { type RouteTimingView, TIMING, TIMING_QUERY, type TimingView } from '../schemas/meta.ts'

// The views are the schemas' types (schemas/meta.ts).
export type { RouteTimingView, TimingView }

/** Registers /metrics and /debug/timing. */
export async function observabilityRoutes(app: GatewayApp, ctx: GatewayContext): Promise<void> {
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

  app.get(
    '/debug/timing',
    {
      config: { rateLimit: false },
      preParsing: observerGuard(() => loadTest),
      schema: {
        tags: ['meta'],
        summary: 'Server-side durations per route (HDR, µs) since start or the last ?reset=1; --load-test or an Admin',
        security,
        querystring: TIMING_QUERY,
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
