/**
 * ISO 8601 text of stored timestamps, memoised. `new Date(ms).toISOString()` costs ~0.5 µs on this machine,
 * and a session listing formats one per row on every request (~10 % of an authenticated read's CPU, measured:
 * docs/gateway.md, "Hot paths"), always for the same few creation times. The function is pure, so the memo
 * can never answer wrongly; it is bounded by being emptied when full (the next calls refill it with what is
 * in use), which is cheaper to keep than a least-recently-used order for entries this small.
 */

const MAX_ENTRIES = 50_000
const memo = new Map<number, string>()

/** `new Date(ms).toISOString()`, remembered for the timestamps asked for repeatedly. */
export function isoTime(ms: number): string {
  let s = memo.get(ms)
  if (s === undefined) {
    // Validates as Date does: a timestamp outside Date's range throws RangeError, and is not remembered.
    s = new Date(ms).toISOString()
    if (memo.size >= MAX_ENTRIES) memo.clear()
    memo.set(ms, s)
  }
  return s
}
