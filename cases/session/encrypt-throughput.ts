/**
 * Encryption as a throughput (issue 27): the seed's "> 50 MB/s" is bytes per second, not one call's size
 * divided by its latency. For a chunk size, the same gzip stream is sealed (AES-256-GCM, WebCrypto, the
 * recorder's own ChunkSealer) three ways in one sitting:
 *
 * - `encrypt_single_*`: one seal at a time (what the per-chunk encrypt_ms already shows: on small chunks a
 *   WebCrypto call's fixed cost, ~0.1 ms, divided into a few KiB);
 * - `encrypt_throughput_mb_per_s`: IN_FLIGHT seals in flight, the concurrency of session.concurrent (10
 *   recordings at once): WebCrypto runs each call on the libuv pool, so calls overlap on both cores;
 * - `encrypt_node_crypto_mb_per_s`: node:crypto's synchronous AES-256-GCM on the same bytes, the measured
 *   alternative (one call at a time on the calling thread; it has no asynchronous form).
 */
import { createCipheriv, randomBytes } from 'node:crypto'
import type { Metrics } from '../../harness/case.ts'
import { importMasterKey } from '../../services/session/keys.ts'
import { ChunkSealer } from '../../services/session/seal.ts'

/** Seals in flight for the throughput figure: session.concurrent's number of recordings. */
export const IN_FLIGHT = 10

/** Runs `fn` back to back, `width` at a time, for about `seconds`; returns calls made and wall seconds. */
async function loop(seconds: number, width: number, fn: () => Promise<void>): Promise<{ calls: number; wall: number }> {
  const t0 = performance.now()
  const end = t0 + seconds * 1000
  let calls = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (performance.now() < end || calls < width) {
        await fn()
        calls++
      }
    })
  )
  return { calls, wall: (performance.now() - t0) / 1000 }
}

/**
 * The three figures for sealing `streams` (gzip streams of chunks of `plaintextSize` bytes, taken in turn so
 * that one unusually small or large sample does not stand for the size), `seconds` each.
 */
export async function encryptThroughput(streams: readonly Uint8Array[], plaintextSize: number, seconds: number): Promise<Metrics> {
  if (streams.length === 0) throw new RangeError('encryptThroughput needs at least one stream')
  const sealer = await ChunkSealer.create(await importMasterKey(randomBytes(32)), 'encrypt-throughput')
  let index = 0
  let bytes = 0
  const next = (): Uint8Array => {
    const s = streams[index % streams.length] as Uint8Array
    bytes += s.length
    return s
  }
  const seal = async (): Promise<void> => {
    const s = next()
    await sealer.seal(index++, s, plaintextSize)
  }
  const measured = async (width: number, fn: () => Promise<void>): Promise<{ calls: number; wall: number; mb: number }> => {
    bytes = 0
    const r = await loop(seconds, width, fn)
    return { ...r, mb: bytes / 1e6 }
  }
  await loop(Math.min(0.2, seconds), IN_FLIGHT, seal) // warm-up
  const single = await measured(1, seal)
  const many = await measured(IN_FLIGHT, seal)
  const key = randomBytes(32)
  const aad = randomBytes(68)
  const node = await measured(1, async () => {
    const c = createCipheriv('aes-256-gcm', key, randomBytes(12))
    c.setAAD(aad)
    c.update(next())
    c.final()
    c.getAuthTag()
  })
  return {
    encrypt_single_mb_per_s: single.mb / single.wall,
    encrypt_single_mean_ms: (single.wall * 1000) / single.calls,
    encrypt_throughput_mb_per_s: many.mb / many.wall,
    encrypt_throughput_in_flight_count: IN_FLIGHT,
    encrypt_node_crypto_mb_per_s: node.mb / node.wall,
    encrypt_stream_mean_bytes: streams.reduce((a, s) => a + s.length, 0) / streams.length
  }
}
