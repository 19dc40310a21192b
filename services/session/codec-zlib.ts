/**
 * The default codec: node:zlib (native zlib). The async API runs each member on the libuv thread pool, off
 * the event loop, so the members of one chunk are compressed on all cores at once (the pool has 4 threads
 * by default, UV_THREADPOOL_SIZE, enough for the 2 cores here) and the event loop stays free meanwhile.
 *
 * Inputs below SYNC_LIMIT are compressed on the calling thread instead: for them the hop to the pool and
 * back (~0.1 ms) costs more than the compression itself (1 KiB: ~20 µs), and the event loop is held for
 * well under a millisecond.
 */
import { createGunzip, gzip, gzipSync } from 'node:zlib'
import { promisify } from 'node:util'
import { errors } from '../common/errors.ts'
import { DEFAULT_MEMBER_SIZE, GZIP_LEVEL, lengthMismatch, trailingBytes, type Codec, type CodecOptions } from './codec.ts'
import { concatBytes, memberRanges } from './members.ts'

const gzipAsync = promisify(gzip)

/** Inputs smaller than this are compressed synchronously (about 0.5 ms of gzip-6 on desktop data). */
export const SYNC_LIMIT = 64 * 1024

/** A node:zlib gzip-6 codec (see Codec). */
export function createZlibCodec(opts: CodecOptions = {}): Codec {
  const memberSize = opts.memberSize ?? DEFAULT_MEMBER_SIZE
  return {
    name: 'zlib',
    async compress(data) {
      if (data.length < SYNC_LIMIT) return toPlain(gzipSync(data, { level: GZIP_LEVEL }))
      const parts = await Promise.all(memberRanges(data.length, memberSize).map(([s, e]) => gzipAsync(data.subarray(s, e), { level: GZIP_LEVEL })))
      return concatBytes(parts.map(toPlain))
    },
    async decompress(gz, expectedSize) {
      // The limit bounds the work a hostile stream can cause; +1 so an over-long stream is seen as such.
      const { out, consumed } = await gunzipCounted(gz, expectedSize + 1)
      if (out.length !== expectedSize) throw lengthMismatch('zlib', out.length, expectedSize)
      if (consumed !== gz.length) throw trailingBytes('zlib', gz.length - consumed)
      return toPlain(out)
    },
    async close() {}
  }
}

/**
 * gunzip on the libuv pool (every member, as node's gunzip reads them) with the number of input bytes inflate
 * consumed: the stream's `bytesWritten` counts consumed input, so bytes node skipped after the last member
 * (it ignores whatever follows a zero byte there) show as consumed < input. Stops past `limit` output bytes.
 */
function gunzipCounted(gz: Uint8Array, limit: number): Promise<{ out: Buffer; consumed: number }> {
  return new Promise((resolve, reject) => {
    const z = createGunzip()
    const parts: Buffer[] = []
    let n = 0
    z.on('data', (c: Buffer) => {
      n += c.length
      parts.push(c)
      // Over the limit the length check refuses it anyway: stop inflating a bomb.
      if (n >= limit) {
        z.destroy()
        resolve({ out: Buffer.concat(parts, n), consumed: gz.length })
      }
    })
    z.on('error', (err) => reject(new errors.DecompressionFailed(`zlib: ${err.message}`, { cause: err })))
    z.on('end', () => resolve({ out: Buffer.concat(parts, n), consumed: z.bytesWritten }))
    z.end(gz)
  })
}

/** A Buffer viewed as a plain Uint8Array (no copy): callers compare results with Uint8Array values. */
function toPlain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}
