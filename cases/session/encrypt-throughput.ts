/**
 * Encryption as a throughput (issue 27): the seed's "> 50 MB/s" is bytes per second, not one call's size
 * divided by its latency. Bytes are the gzip stream's (what AES-GCM encrypts), not the chunk's plaintext. For
 * a chunk size, the same gzip streams are sealed (AES-256-GCM) three ways in one sitting:
 *
 * - `encrypt_single_*`: the recorder's own ChunkSealer, one seal at a time;
 * - `encrypt_throughput_mb_per_s` (judged): the ChunkSealer with IN_FLIGHT seals in flight, the concurrency of
 *   session.concurrent (10 recordings at once). The sealer picks its engine by size (seal.ts): node:crypto's
 *   synchronous cipher up to INLINE_SEAL_MAX_BYTES, WebCrypto above;
 * - `encrypt_webcrypto_throughput_mb_per_s`: WebCrypto alone (`crypto.subtle.encrypt`, the same key, AAD and
 *   IN_FLIGHT calls in flight on the libuv pool), the engine the sealer used for every size before issue 27,
 *   kept in the report so that the choice stays measured;
 * - `encrypt_node_crypto_mb_per_s`: the bare node:crypto cipher on the same streams, one call after another
 *   (no envelope, no promise): the ceiling of one thread at this size, the same-run baseline of the sealer.
 */
import { KeyObject, createCipheriv, randomBytes } from 'node:crypto'
import type { Metrics } from '../../harness/case.ts'
import { deriveChunkKey, importMasterKey } from '../../services/session/keys.ts'
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
  const master = await importMasterKey(randomBytes(32))
  const sealer = await ChunkSealer.create(master, 'encrypt-throughput')
  const webKey = await deriveChunkKey(master, 'encrypt-throughput', sealer.salt)
  let index = 0
  let cursor = 0
  let bytes = 0
  // Every engine takes the streams in turn (its own cursor, not the sealer's chunk index), so each figure
  // is over the same mix of sizes.
  const next = (): Uint8Array => {
    const s = streams[cursor++ % streams.length] as Uint8Array
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
  // The envelope header of a 1 KiB chunk is 70 bytes plus the session id: the AAD every seal above carries.
  const aad = randomBytes(70 + 'encrypt-throughput'.length)
  let counter = 0
  const web = await measured(IN_FLIGHT, async () => {
    // A counter nonce like the sealer's (a nonce never repeats under this key).
    const iv = new Uint8Array(12)
    new DataView(iv.buffer).setUint32(8, counter++)
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 }, webKey, next())
  })
  const inline = KeyObject.from(webKey)
  const bare = await measured(1, async () => {
    // A burst of synchronous calls per turn, so that the loop's own await is not what is measured.
    for (let i = 0; i < 64; i++) {
      const iv = new Uint8Array(12)
      new DataView(iv.buffer).setUint32(8, counter++)
      const c = createCipheriv('aes-256-gcm', inline, iv)
      c.setAAD(aad)
      c.update(next())
      c.final()
      c.getAuthTag()
    }
  })
  return {
    encrypt_single_mb_per_s: single.mb / single.wall,
    encrypt_single_mean_ms: (single.wall * 1000) / single.calls,
    encrypt_throughput_mb_per_s: many.mb / many.wall,
    encrypt_throughput_in_flight_count: IN_FLIGHT,
    encrypt_throughput_chunks_per_s: many.calls / many.wall,
    encrypt_webcrypto_throughput_mb_per_s: web.mb / web.wall,
    encrypt_node_crypto_mb_per_s: bare.mb / bare.wall,
    encrypt_stream_mean_bytes: streams.reduce((a, s) => a + s.length, 0) / streams.length
  }
}
