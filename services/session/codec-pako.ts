/**
 * The portable codec: pako, zlib ported to pure JavaScript (runs wherever JS does, ~3x slower than native
 * zlib here). Single-member inputs are compressed on the calling thread; larger ones are cut into members
 * (members.ts, the same cut as node:zlib) and spread over a PakoPool of worker threads.
 */
import * as pako from 'pako'
import { errors } from '../common/errors.ts'
import { DEFAULT_MEMBER_SIZE, GZIP_LEVEL, lengthMismatch, trailingBytes, type Codec, type CodecOptions } from './codec.ts'
import { concatBytes, memberRanges } from './members.ts'
import { PakoPool } from './pako-pool.ts'

/** Options of the pako codec. */
export interface PakoCodecOptions extends CodecOptions {
  /** Worker threads for multi-member inputs (default: cores available; 0 compresses on the calling thread). */
  threads?: number
}

/** A pako gzip-6 codec (see Codec). Call close() when done if inputs may exceed one member. */
export function createPakoCodec(opts: PakoCodecOptions = {}): Codec {
  const memberSize = opts.memberSize ?? DEFAULT_MEMBER_SIZE
  let pool: PakoPool | undefined
  const threads = opts.threads
  return {
    name: 'pako',
    async compress(data) {
      const ranges = memberRanges(data.length, memberSize)
      if (ranges.length === 1 || threads === 0) return concatBytes(ranges.map(([s, e]) => pako.gzip(data.subarray(s, e), { level: GZIP_LEVEL })))
      pool ??= new PakoPool(threads)
      const p = pool
      return concatBytes(await Promise.all(ranges.map(([s, e]) => p.gzip(data.subarray(s, e), GZIP_LEVEL))))
    },
    async decompress(gz, expectedSize) {
      // pako's inflate reads every member of a multi-member stream (as gunzip does) and, like node's, stops at a
      // zero byte after a member, leaving the rest unread in avail_in: counted here (codec.ts, trailingBytes).
      const inflator = new pako.Inflate()
      try {
        inflator.push(gz, true)
      } catch (err) {
        throw new errors.DecompressionFailed(`pako: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
      }
      if (inflator.err !== 0 || !(inflator.result instanceof Uint8Array))
        throw new errors.DecompressionFailed(`pako: ${inflator.msg || 'truncated gzip stream'}`)
      const out = inflator.result
      if (out.length !== expectedSize) throw lengthMismatch('pako', out.length, expectedSize)
      // `strm` is typed private but is pako's documented zlib stream state; avail_in is what inflate left unread.
      const unread = (inflator as unknown as { strm: { avail_in: number } }).strm.avail_in
      if (unread > 0) throw trailingBytes('pako', unread)
      return out
    },
    async close() {
      const p = pool
      pool = undefined
      await p?.close()
    }
  }
}
