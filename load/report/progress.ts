/**
 * Live progress of a load run: elapsed and remaining, users, req/s, p95, error % (a live line on a TTY,
 * a line every few seconds in a log).
 */
import type { LoadSeriesPoint } from '../users/stats.ts'

const clock = (s: number): string => `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`

/** A handler for each merged second. */
export function loadProgress(stream: NodeJS.WriteStream = process.stderr, everyS = 5): (p: LoadSeriesPoint, remainingS: number) => void {
  return (p, remainingS) => {
    const err = p.requests_per_s > 0 ? (100 * p.errors) / p.requests_per_s : 0
    const text = `elapsed ${clock(p.t + 1)}  remaining ${clock(remainingS)}  users ${p.users}  req/s ${p.requests_per_s}  p95 ${p.p95_ms.toFixed(1)} ms  errors ${err.toFixed(2)}%`
    if (stream.isTTY === true) stream.write(`\r\x1b[K${text}`)
    else if ((p.t + 1) % everyS === 0) stream.write(`${text}\n`)
  }
}
