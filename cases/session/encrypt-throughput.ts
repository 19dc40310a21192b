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

/** The three figures for sealing `compressed` (a chunk's gzip stream of `plaintextSize` bytes), `seconds` each. */
export async function encryptThroughput(compressed: Uint8Array, plaintextSize: number, seconds: number): Promise<Metrics> {
  const sealer = await ChunkSealer.create(await importMasterKey(randomBytes(32)), 'encrypt-throughput')
  let index = 0
  const seal = async (): Promise<void> => {
    await sealer.seal(index++, compressed, plaintextSize)
  }
  await loop(Math.min(0.2, seconds), IN_FLIGHT, seal) // warm-up
  const mb = compressed.length / 1e6
  const single = await loop(seconds, 1, seal)
  const many = await loop(seconds, IN_FLIGHT, seal)
  const key = randomBytes(32)
  const aad = randomBytes(68)
  const node = await loop(seconds, 1, async () => {
    const c = createCipheriv('aes-256-gcm', key, randomBytes(12))
    c.setAAD(aad)
    c.update(compressed)
    c.final()
    c.getAuthTag()
  })
  return {
    encrypt_single_mb_per_s: (single.calls * mb) / single.wall,
    encrypt_single_mean_ms: (single.wall * 1000) / single.calls,
    encrypt_throughput_mb_per_s: (many.calls * mb) / many.wall,
    encrypt_throughput_in_flight_count: IN_FLIGHT,
    encrypt_node_crypto_mb_per_s: (node.calls * mb) / node.wall
  }
}
