/**
 * Open-model HTTP load (wrk2-style): requests are due at a constant arrival rate whatever the server does,
 * and each one's latency is measured from its *intended* send time, so a stall shows up in every request
 * that should have been sent during it (coordinated-omission correction). The uncorrected latency (from the
 * moment the request was actually written) is kept beside it, to show what a closed-loop tool would report.
 *
 * Requests wait in a queue for a free keep-alive connection (undici Client, no pipelining); connections are
 * opened on demand up to `maxConnections`. When the generator cannot send on schedule (too few connections,
 * or its own CPU is saturated) it says so in `rateHeld` and `sentOnTimeRatio` instead of quietly sending less.
 *
 * This is the loop inside one generator process; open-run.ts spreads a rate over several processes and
 * merges their histograms.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Client } from 'undici'
import { createHistogram, encodeHistogram, recordMs, type Histogram } from '../harness/stats/histogram.ts'

/** One request of the cycle every connection sends. */
export interface RequestSpec {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string
  headers?: Record<string, string>
  body?: string
}

/** Options of one generator. */
export interface OpenGenOptions {
  url: string
  /** Requests per second this generator sends. */
  rate: number
  durationS: number
  /** Seconds of load at the same rate before the measured window. */
  warmupS?: number
  requests?: RequestSpec[]
  /** Most connections to open (default 512). */
  maxConnections?: number
  /** Per-request timeout, ms (default 10 000). */
  timeoutMs?: number
}

/** One second of the measured window: the requests due in that second and how they fared. */
export interface SeriesPoint {
  t: number
  completed: number
  errors: number
  /** Corrected latency of the requests due in this second, encoded. */
  histogram: string
}

/** What one generator measured. */
export interface OpenGenResult {
  corrected: string
  uncorrected: string
  sendLag: string
  intended: number
  /** Requests of the window sent within a grace period of their due time window (see sentOnTimeRatio). */
  sentOnTime: number
  completed: number
  errors: number
  non2xx: number
  timeouts: number
  durationS: number
  connections: number
  loopDelayP99Ms: number
  series: SeriesPoint[]
}

/** One second of the series, by due time. */
interface Second {
  completed: number
  errors: number
  h: Histogram
}

/**
 * What the generator records of the measured window: the corrected, uncorrected and send-lag histograms,
 * the counts, and the per-second series. Requests due before the window (warm-up) are not recorded.
 */
export class WindowTally {
  readonly corrected = createHistogram()
  readonly uncorrected = createHistogram()
  readonly sendLag = createHistogram()
  readonly perSecond: Second[] = []
  sentOnTime = 0
  completed = 0
  errors = 0
  non2xx = 0
  timeouts = 0

  /**
   * @param start performance.now() of the first due time
   * @param onTimeMs a request of the window counts as on time when sent within this long of `start`
   */
  constructor(
    private readonly start: number,
    private readonly warmupMs: number,
    private readonly timeoutMs: number,
    private readonly onTimeMs: number
  ) {}

  inWindow(due: number): boolean {
    return due - this.start >= this.warmupMs
  }

  /** A request of the window left at `sentAt`. */
  sent(due: number, sentAt: number): void {
    recordMs(this.sendLag, sentAt - due)
    if (sentAt - this.start <= this.onTimeMs) this.sentOnTime++
  }

  /** A request of the window was answered with `status` at `end`. */
  answered(due: number, sentAt: number, end: number, status: number): void {
    this.completed++
    // Bucketed by due time: every second of the series was offered the same number of requests.
    const s = this.#secondOf(due)
    s.completed++
    if (status < 200 || status > 299) {
      this.non2xx++
      this.errors++
      s.errors++
      this.#recordFailure(s)
      return
    }
    recordMs(this.corrected, end - due)
    recordMs(this.uncorrected, end - sentAt)
    recordMs(s.h, end - due)
  }

  /** A request of the window failed without an answer (refused, reset, timed out). */
  failed(due: number, code: string | undefined): void {
    this.errors++
    const s = this.#secondOf(due)
    s.errors++
    this.#recordFailure(s)
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') this.timeouts++
  }

  /**
   * Requests of the window never answered (abandoned at the hard stop) count as failures too. Answered =
   * every response (2xx or not) plus every connection error (errors less the non-2xx responses). Returns
   * how many there were.
   */
  abandon(intended: number): number {
    const unanswered = Math.max(0, intended - (this.completed + this.errors - this.non2xx))
    for (let n = unanswered; n > 0; n--) {
      recordMs(this.corrected, this.timeoutMs)
      recordMs(this.uncorrected, this.timeoutMs)
    }
    return unanswered
  }

  // A failed request (refused, errored, timed out) was never served: it counts in the latency percentiles at
  // the client timeout, the longest a client waits. So a server that sheds everything cannot look fast (a
  // quick 503 is not a quick answer), and a run where nothing succeeds still has a latency: the timeout.
  #recordFailure(s: Second): void {
    recordMs(this.corrected, this.timeoutMs)
    recordMs(this.uncorrected, this.timeoutMs)
    recordMs(s.h, this.timeoutMs)
  }

  #secondOf(t: number): Second {
    const i = Math.max(0, Math.floor((t - this.start - this.warmupMs) / 1000))
    while (this.perSecond.length <= i) this.perSecond.push({ completed: 0, errors: 0, h: createHistogram() })
    return this.perSecond[i]!
  }
}

/** Sends one request due at `due` and records its outcome when it is of the window; never rejects. */
async function sendOne(client: Client, spec: RequestSpec, due: number, tally: WindowTally, timeoutMs: number): Promise<void> {
  const sentAt = performance.now()
  const measured = tally.inWindow(due)
  if (measured) tally.sent(due, sentAt)
  await client
    .request({
      method: spec.method ?? 'GET',
      path: spec.path,
      ...(spec.headers !== undefined ? { headers: spec.headers } : {}),
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs
    })
    .then(
      async (res) => {
        await res.body.dump()
        if (measured) tally.answered(due, sentAt, performance.now(), res.statusCode)
      },
      (err: Error & { code?: string }) => {
        if (measured) tally.failed(due, err.code)
      }
    )
}

/** Runs one generator to completion. */
export async function generateOpenLoad(opts: OpenGenOptions): Promise<OpenGenResult> {
  const requests = opts.requests ?? [{ method: 'GET', path: '/health' }]
  const interval = 1000 / opts.rate
  const warmupMs = (opts.warmupS ?? 0) * 1000
  const totalMs = warmupMs + opts.durationS * 1000
  const timeoutMs = opts.timeoutMs ?? 10_000
  const maxConnections = opts.maxConnections ?? 512
  const origin = new URL(opts.url).origin
  const idle: Client[] = []
  const all: Client[] = []
  // Due times of requests not yet sent (a FIFO: an array with a moving head, no O(n) shifts).
  const queue: number[] = []
  let head = 0
  let inFlight = 0
  let next = 0
  const total = Math.floor(totalMs / interval)
  const loop = monitorEventLoopDelay({ resolution: 5 })
  let finish: () => void = () => {}
  const finished = new Promise<void>((resolve) => {
    finish = resolve
  })
  // A request due in the window counts as on time when sent before the window's end plus this grace.
  const graceMs = Math.max(1000, 10 * interval)
  loop.enable()
  const start = performance.now()
  const tally = new WindowTally(start, warmupMs, timeoutMs, totalMs + graceMs)

  const send = (client: Client, due: number, seq: number): void => {
    inFlight++
    sendOne(client, requests[seq % requests.length]!, due, tally, timeoutMs).finally(() => {
      inFlight--
      idle.push(client)
      dispatch()
    })
  }

  let seq = 0
  const dispatch = (): void => {
    while (head < queue.length) {
      let client = idle.pop()
      if (client === undefined) {
        if (all.length >= maxConnections) break
        client = new Client(origin, { pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: timeoutMs } })
        all.push(client)
      }
      send(client, queue[head++]!, seq++)
    }
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head)
      head = 0
    }
    if (next >= total && head >= queue.length && inFlight === 0) finish()
  }

  const tick = (): void => {
    const now = performance.now()
    while (next < total && start + next * interval <= now) {
      queue.push(start + next * interval)
      next++
    }
    dispatch()
    if (next < total) setTimeout(tick, Math.max(0, Math.min(1, start + next * interval - performance.now())))
  }

  tick()
  // Bounded: whatever has not finished within the timeout after the last due time is abandoned.
  const hardStop = setTimeout(finish, totalMs + graceMs + timeoutMs)
  await finished
  clearTimeout(hardStop)
  loop.disable()
  await Promise.allSettled(all.map((c) => c.destroy()))
  const intended = Math.max(0, total - Math.ceil(warmupMs / interval))
  const unanswered = tally.abandon(intended)
  return {
    corrected: encodeHistogram(tally.corrected),
    uncorrected: encodeHistogram(tally.uncorrected),
    sendLag: encodeHistogram(tally.sendLag),
    intended,
    sentOnTime: tally.sentOnTime,
    completed: tally.completed,
    errors: tally.errors + unanswered, // requests never answered count as errors
    non2xx: tally.non2xx,
    timeouts: tally.timeouts,
    durationS: opts.durationS,
    connections: all.length,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    series: tally.perSecond.map((s, t) => ({ t, completed: s.completed, errors: s.errors, histogram: encodeHistogram(s.h) }))
  }
}
