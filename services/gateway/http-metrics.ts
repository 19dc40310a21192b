/**
 * Per-request accounting of the gateway: every answer counted by method, route template and status, with
 * its server-side duration in fixed Prometheus buckets (behind `http_requests_total` and
 * `http_request_duration_seconds`) and in an HDR histogram per route (behind GET /debug/timing).
 *
 * Why not prom-client's own Counter and Histogram on the hot path: their `inc`/`observe` validate and hash
 * the label set on every call, ~0.9 µs per request for the pair here, against ~0.15 µs for the plain
 * arithmetic below. The goal (/health at 0.85x raw node:http with metrics on) leaves no room to spend it,
 * so requests only add numbers to objects found without any lookup, and the Prometheus families are built
 * from these tallies at scrape time (prometheus.ts).
 *
 * How a request finds its tally: the `onRoute` hook gives each route its own `onResponse` hook closing over
 * the route's template, so nothing is looked up by URL and a label is always a template (`/sessions/:id`),
 * never a raw URL. Requests no route matched (the not-found handler) are counted under the route label
 * `UNMATCHED_ROUTE` by one global hook.
 *
 * The duration is fastify's `reply.elapsedTime`: from routing to the end of the response write, i.e. what
 * the server spent, without the time the request waited in the kernel or the client's queue before it.
 */
import * as hdr from 'hdr-histogram-js'
import type { Histogram } from 'hdr-histogram-js'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'

/**
 * Upper bounds (seconds) of `http_request_duration_seconds`. Fine below 10 ms where the gateway's routes
 * live, and 2 s is a bound so that the reference alert (p95 > 2 s) is read exactly, not interpolated.
 */
export const DURATION_BUCKETS_S: readonly number[] = Object.freeze([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10])

/** The route label of requests that matched no route (404 from the not-found handler). */
export const UNMATCHED_ROUTE = '(unmatched)'

/** Same bounds in ms, compared against `reply.elapsedTime` without a division per request. */
const BOUNDS_MS: readonly number[] = DURATION_BUCKETS_S.map((s) => s * 1000)

/** Answers of one status on one route: count, summed seconds, per-bucket (not cumulative) counts. */
export interface StatusSeries {
  readonly status: number
  count: number
  sumS: number
  /** One slot per bound, plus a last one for durations above the largest bound. */
  readonly buckets: Float64Array
}

/** Everything recorded for one method on one route template. */
export class RouteTally {
  readonly method: string
  readonly route: string
  /** Since start: the Prometheus series of this route. */
  readonly statuses = new Map<number, StatusSeries>()
  /** Since the last timing reset: durations of answers below 400, in µs. */
  #timing: Histogram = newTimingHistogram()
  /** Since the last timing reset: answers by status (all of them, including those not in the histogram). */
  #timingStatuses = new Map<number, number>()

  constructor(method: string, route: string) {
    this.method = method
    this.route = route
  }

  /** Records one answer (status, duration in ms). */
  record(status: number, ms: number): void {
    let s = this.statuses.get(status)
    if (s === undefined) {
      s = { status, count: 0, sumS: 0, buckets: new Float64Array(BOUNDS_MS.length + 1) }
      this.statuses.set(status, s)
    }
    s.count++
    s.sumS += ms / 1000
    let i = 0
    while (i < BOUNDS_MS.length && ms > (BOUNDS_MS[i] as number)) i++
    s.buckets[i]! += 1
    this.#timingStatuses.set(status, (this.#timingStatuses.get(status) ?? 0) + 1)
    // Error answers stay out of the latency histogram: the harness compares it with the client's latency
    // of successful responses, and a fast 404 or 429 would make the server look quicker than it is.
    if (status < 400) this.#timing.recordValue(Math.max(1, Math.round(ms * 1000)))
  }

  /** The timing since the last reset: histogram (µs) and answers by status. */
  timing(): { histogram: Histogram; statuses: ReadonlyMap<number, number> } {
    return { histogram: this.#timing, statuses: this.#timingStatuses }
  }

  /** Clears the timing (not the Prometheus series, which must only grow). */
  resetTiming(): void {
    this.#timing = newTimingHistogram()
    this.#timingStatuses = new Map()
  }
}

/** µs from 1 upward, 3 significant digits, like the harness's own histograms (harness/stats/histogram.ts). */
function newTimingHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true })
}

type ResponseHook = (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

/** The tallies of one gateway, and the hooks that fill them. */
export class HttpMetrics {
  readonly #tallies: RouteTally[] = []
  /** Unmatched requests by method (node's parser admits only known methods, so this stays small). */
  readonly #unmatched = new Map<string, RouteTally>()
  /** The hooks this instance added, so a route copied by fastify (the HEAD of a GET) does not get two. */
  readonly #ours = new WeakSet<ResponseHook>()
  readonly #now: () => number
  #timingSince: number

  /** @param now wall clock, ms since the epoch (when the timing window starts) */
  constructor(now: () => number) {
    this.#now = now
    this.#timingSince = now()
  }

  /** When the timing window began: start, or the last resetTiming(), ms since the epoch. */
  get timingSince(): number {
    return this.#timingSince
  }

  /** Every route's tally, in the order routes were first answered. */
  get tallies(): readonly RouteTally[] {
    return this.#tallies
  }

  /** Adds the hooks; call before any route is registered (the onRoute hook sees only later routes). */
  install(app: FastifyInstance): void {
    app.addHook('onRoute', (opts) => {
      this.#attach(opts)
    })
    app.addHook('onResponse', (req, reply, done) => {
      if (req.is404) this.#unmatchedTally(req.method).record(reply.statusCode, reply.elapsedTime)
      done()
    })
  }

  /** Answers of every route by status, since start. */
  byStatus(): Map<number, number> {
    const out = new Map<number, number>()
    for (const t of this.#tallies) for (const s of t.statuses.values()) out.set(s.status, (out.get(s.status) ?? 0) + s.count)
    return out
  }

  /** Clears every route's timing histogram and status counts (GET /debug/timing?reset=1). */
  resetTiming(): void {
    for (const t of this.#tallies) t.resetTiming()
    this.#timingSince = this.#now()
  }

  #attach(opts: RouteOptions): void {
    const route = opts.url
    const single = typeof opts.method === 'string' ? opts.method : undefined
    const byMethod = new Map<string, RouteTally>()
    const tally = (method: string): RouteTally => {
      let t = byMethod.get(method)
      if (t === undefined) {
        t = new RouteTally(method, route)
        byMethod.set(method, t)
        this.#tallies.push(t)
      }
      return t
    }
    // A route with one method (all of the gateway's) resolves its tally lazily once, then never looks again.
    let only: RouteTally | undefined
    const hook: ResponseHook =
      single !== undefined
        ? (_req, reply, done) => {
            only ??= tally(single)
            only.record(reply.statusCode, reply.elapsedTime)
            done()
          }
        : (req, reply, done) => {
            tally(req.method).record(reply.statusCode, reply.elapsedTime)
            done()
          }
    this.#ours.add(hook)
    const existing = opts.onResponse === undefined ? [] : Array.isArray(opts.onResponse) ? opts.onResponse : [opts.onResponse]
    opts.onResponse = [...existing.filter((h) => !this.#ours.has(h as ResponseHook)), hook]
  }

  #unmatchedTally(method: string): RouteTally {
    let t = this.#unmatched.get(method)
    if (t === undefined) {
      t = new RouteTally(method, UNMATCHED_ROUTE)
      this.#unmatched.set(method, t)
      this.#tallies.push(t)
    }
    return t
  }
}
