/**
 * GCM nonces that cannot repeat under a key.
 *
 * A repeated (key, nonce) pair in GCM leaks the XOR of two plaintexts and the authentication key, so the
 * scheme must hold also when a crashed recording is resumed or a chunk is written again. It does, by
 * construction rather than by luck:
 *
 * 1. A key exists for exactly one NonceSequence. A recorder segment (a start, or a resume after a crash)
 *    draws a fresh 32-byte salt and derives its key from it (keys.ts); the salt is never reused for
 *    encryption, because nothing ever constructs an encrypting segment from a stored salt. A resumed
 *    recording therefore encrypts under a new key, whatever counter value the crashed process had reached.
 * 2. Within that one segment the nonce is a deterministic counter (NIST SP 800-38D section 8.2.1): a 4-byte
 *    fixed field (zero: there is one invocation context per key) and an 8-byte invocation counter that only
 *    moves forward, taken synchronously before any await. Re-encrypting a chunk index takes the next counter
 *    value, so the same index gets a different nonce; the counter is not the chunk index for exactly this reason.
 *
 * Nothing needs to be persisted (a persisted counter fails if the process dies between using a value and
 * storing it). Two segments sharing a key would need equal random 256-bit salts (probability 2^-256 per
 * pair) under the same session id.
 */

/** Bytes of an AES-GCM nonce (96 bits: the size GCM is designed and analysed for). */
export const NONCE_BYTES = 12

/** Invocations allowed under one key: far below 2^64, and far above any recording (10 MiB chunks). */
export const MAX_INVOCATIONS = 2 ** 32

/** The nonce source of one key. Not shareable between keys, not restartable. */
export class NonceSequence {
  #next = 0

  /** The next nonce: 0x00000000 ‖ u64(counter). Throws once MAX_INVOCATIONS are spent. */
  next(): Uint8Array {
    const nonce = new Uint8Array(NONCE_BYTES)
    this.writeNext(nonce, 0)
    return nonce
  }

  /**
   * Writes the next nonce into `out` at `at` (12 bytes), as `next` would return it, without allocating: a
   * sealer writes it straight into its envelope's header.
   */
  writeNext(out: Uint8Array, at: number): void {
    if (this.#next >= MAX_INVOCATIONS) throw new RangeError('nonce space of this key exhausted: start a new segment')
    // 0x00000000 then the counter as a u64, big-endian; it stays below 2^32, so bytes 4..7 of the u64 are zero.
    const n = this.#next++
    out.fill(0, at, at + 8)
    out[at + 8] = n >>> 24
    out[at + 9] = (n >>> 16) & 0xff
    out[at + 10] = (n >>> 8) & 0xff
    out[at + 11] = n & 0xff
  }

  /** How many nonces have been issued. */
  get issued(): number {
    return this.#next
  }
}
