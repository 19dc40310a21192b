/**
 * Cutting an input into gzip members and joining member outputs. Kept apart from the codecs so that both
 * cut identically: the same input gives the same member boundaries whichever codec compresses it.
 */

/** [start, end) byte ranges of consecutive members of at most `memberSize` bytes; one (maybe empty) range at least. */
export function memberRanges(length: number, memberSize: number): Array<readonly [number, number]> {
  if (!Number.isSafeInteger(memberSize) || memberSize < 1) throw new RangeError(`bad member size ${memberSize}`)
  const ranges: Array<readonly [number, number]> = []
  for (let start = 0; start < length; start += memberSize) ranges.push([start, Math.min(length, start + memberSize)])
  if (ranges.length === 0) ranges.push([0, 0])
  return ranges
}

/** The concatenation of `parts` in one fresh buffer. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array
  let total = 0
  for (const p of parts) total += p.length
  const out = new Uint8Array(total)
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}
