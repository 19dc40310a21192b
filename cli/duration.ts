/**
 * Durations on the command line: `90` (seconds), `90s`, `5m`, `1h`, `1.5m`.
 */
import { errors } from '../services/common/errors.ts'

/** Seconds of a duration flag; throws LUCID_ERR_9003 naming the flag. */
export function parseDuration(v: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim())
  if (m === null || Number(m[1]) <= 0) throw new errors.BadValue(`${flag}: '${v}' (a duration like 90s, 5m or 1h)`)
  const n = Number(m[1])
  switch (m[2]) {
    case 'ms':
      return n / 1000
    case 'm':
      return n * 60
    case 'h':
      return n * 3600
    default:
      return n
  }
}
