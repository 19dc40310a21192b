/**
 * Closed-model HTTP load: N connections, each sending its next request as soon as the previous answers
 * (autocannon's efficient raw-socket client). Good for throughput at a given concurrency; it hides stalls
 * (a slow response delays the requests that would have queued behind it), so latency targets are judged
 * on the open model instead. Every response's latency goes into our own HDR histogram at microsecond
 * resolution (autocannon's own histogram keeps whole milliseconds).
 */
import autocannon from 'autocannon'
import { createHistogram, recordMs, type Histogram } from '../harness/stats/histogram.ts'

/** A closed-model run. */
export interface ClosedLoadOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string
  connections: number
  durationS: number
  /** Seconds of load before measuring, discarded (JIT, connection setup, caches). */
  warmupS?: number
  /** Requests cycled through by every connection (default: GET /health). */
  requests?: autocannon.Request[]
  headers?: Record<string, string>
  /** Per-request timeout, seconds (default 10). */
  timeoutS?: number
  onProgress?: (text: string) => void
}

/** One second of a closed-model run. */
export interface ClosedSecond {
  t: number
  /** Successful (2xx) responses in this second. */
  ok: number
  errors: number
}

/** The figures of a closed-model run. */
export interface ClosedLoadResult {
  histogram: Histogram
  /** Every response and connection error. */
  requests: number
  /** Non-2xx responses plus connection errors and timeouts. */
  errors: number
  non2xx: number
  timeouts: number
  elapsedS: number
  /** Successful (2xx) responses per second: a refused or failed request is not throughput. */
  requestsPerS: number
  /** Every answer per second, errors included. */
  attemptedPerS: number
  series: ClosedSecond[]
  /** The first distinct failures (at most 3), e.g. `ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1`, `HTTP 503`. */
  firstErrors: string[]
}

/** How many distinct failures a run keeps to name in its report. */
const FIRST_ERRORS = 3

function once(opts: ClosedLoadOptions, durationS: number, record: boolean): Promise<ClosedLoadResult> {
  const histogram = createHistogram()
  let requests = 0
  let non2xx = 0
  let errors = 0
  let timeouts = 0
  const started = performance.now()
  const series: ClosedSecond[] = []
  const firstErrors: string[] = []
  const failure = (what: string): void => {
    if (firstErrors.length < FIRST_ERRORS && !firstErrors.includes(what)) firstErrors.push(what)
  }
  const second = (): ClosedSecond => {
    const t = Math.floor((performance.now() - started) / 1000)
    while (series.length <= t) series.push({ t: series.length, ok: 0, errors: 0 })
    return series[t]!
  }
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        duration: durationS,
        timeout: opts.timeoutS ?? 10,
        ...(opts.requests !== undefined ? { requests: opts.requests } : { requests: [{ method: 'GET', path: '/health' }] }),
        ...(opts.headers !== undefined ? { headers: opts.headers } : {})
      },
      (err) => {
        if (err !== null && err !== undefined) {
          reject(err)
          return
        }
        const elapsedS = (performance.now() - started) / 1000
        const failed = errors + non2xx
        resolve({
          histogram,
          requests,
          errors: failed,
          non2xx,
          timeouts,
          elapsedS,
          requestsPerS: (requests - failed) / elapsedS,
          attemptedPerS: requests / elapsedS,
          series: series.filter((p) => p.t < durationS),
          firstErrors
        })
      }
    )
    inst.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (!record) return
      requests++
      const s = second()
      // As in the open model, latency is that of successful responses; refusals count as errors.
      if (statusCode < 200 || statusCode > 299) {
        non2xx++
        s.errors++
        failure(`HTTP ${statusCode}`)
      } else {
        s.ok++
        recordMs(histogram, responseTime)
      }
    })
    inst.on('reqError', (err: Error & { code?: string }) => {
      if (!record) return
      failure(err.code !== undefined && !err.message.includes(err.code) ? `${err.code} ${err.message}` : err.message)
      requests++
      errors++
      second().errors++
      if (err.message.includes('timed out')) timeouts++
    })
    if (record && opts.onProgress !== undefined) {
      const onProgress = opts.onProgress
      const tick = setInterval(() => onProgress(`${((performance.now() - started) / 1000).toFixed(0)}/${durationS} s, ${requests} requests`), 1000)
      inst.on('done', () => clearInterval(tick))
    }
  })
}

/** Warms up, then measures for `durationS` seconds. */
export async function runClosedLoad(opts: ClosedLoadOptions): Promise<ClosedLoadResult> {
  if ((opts.warmupS ?? 0) > 0) await once(opts, opts.warmupS ?? 0, false)
  return await once(opts, opts.durationS, true)
}
