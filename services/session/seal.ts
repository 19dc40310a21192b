/**
 * Sealing and opening chunk envelopes: AES-256-GCM around a compressed chunk, with the envelope header as
 * additional authenticated data (envelope.ts, docs/envelope.md).
 *
 * Two engines compute the same AES-256-GCM (same key, nonce, AAD: byte-identical output, tested both ways):
 * node:crypto's synchronous cipher on the calling thread for streams up to INLINE_SEAL_MAX_BYTES, WebCrypto
 * (`crypto.subtle`, run on the libuv pool) above. Measured on this machine (issue 27, docs/session.md): a
 * WebCrypto call costs ~11 µs of fixed overhead even with 10 in flight, a node:crypto one ~5.5 µs, so on the
 * few hundred bytes a 1 KiB chunk compresses to the synchronous cipher is ~1.4x the throughput (level with
 * WebCrypto's 10 in flight at 20 KiB chunks, whose calls overlap on the pool's threads); its blocking time
 * at 64 KiB is ~25 µs, less than one WebCrypto call's overhead on the loop. Above that the pool keeps the event
 * loop free and puts the other cores to work, which matters more than the per-call cost.
 */
import { createCipheriv, createDecipheriv, KeyObject } from 'node:crypto'
import { errors } from '../common/errors.ts'
import { toHex } from '../common/hash.ts'
import { deriveChunkKey, freshSalt, type CryptoKey } from './keys.ts'
import { NONCE_BYTES, NonceSequence } from './nonce.ts'
import { COMPRESSION_GZIP, FORMAT_VERSION, HeaderTemplate, MAX_CHUNK_BYTES, NONCE_OFFSET, TAG_BYTES, parseEnvelope, type EnvelopeHeader } from './envelope.ts'

/** Largest gzip stream sealed (or opened) synchronously by node:crypto; larger ones go through WebCrypto. */
export const INLINE_SEAL_MAX_BYTES = 64 * 1024

/** Both handles of one AES-256-GCM key: WebCrypto's, and node:crypto's view of the same key material. */
interface ChunkKey {
  readonly web: CryptoKey
  readonly inline: KeyObject
}

async function chunkKey(master: CryptoKey, sessionId: string, salt: Uint8Array): Promise<ChunkKey> {
  const web = await deriveChunkKey(master, sessionId, salt)
  // KeyObject.from shares the key material inside the process; the key stays non-extractable to callers.
  return { web, inline: KeyObject.from(web) }
}

/**
 * AES-256-GCM of `data` on the calling thread, written into `out` at `at`: ciphertext ‖ 16-byte tag, exactly
 * WebCrypto's layout (`out` has room for data.length + TAG_BYTES bytes there).
 */
function sealInline(key: KeyObject, nonce: Uint8Array, aad: Uint8Array, data: Uint8Array, out: Uint8Array, at: number): void {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(aad)
  const head = cipher.update(data)
  const tail = cipher.final()
  // GCM is a stream mode: the ciphertext is exactly as long as the plaintext.
  if (head.length + tail.length !== data.length) throw new RangeError('AES-GCM output length differs from its input')
  out.set(head, at)
  out.set(tail, at + head.length)
  out.set(cipher.getAuthTag(), at + data.length)
}

/** The inverse of sealInline; throws (node:crypto's own error) when the tag does not verify. */
function openInline(key: KeyObject, nonce: Uint8Array, aad: Uint8Array, body: Uint8Array): Uint8Array {
  if (body.length < TAG_BYTES) throw new RangeError('ciphertext shorter than its tag')
  const split = body.length - TAG_BYTES
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
  decipher.setAAD(aad)
  decipher.setAuthTag(body.subarray(split))
  const head = decipher.update(body.subarray(0, split))
  const tail = decipher.final()
  const out = new Uint8Array(head.length + tail.length)
  out.set(head, 0)
  out.set(tail, head.length)
  return out
}

/** A sealed chunk as the two byte strings it is stored as (header ‖ ciphertext-and-tag), without a copy. */
export interface SealedChunk {
  readonly header: Uint8Array
  readonly body: Uint8Array
  /** Total envelope bytes. */
  readonly size: number
}

/**
 * The encrypting side of one recording segment: a fresh salt, the key derived from it and the only nonce
 * sequence that key will ever see (nonce.ts explains why this makes nonce reuse impossible).
 */
export class ChunkSealer {
  readonly sessionId: string
  readonly salt: Uint8Array
  readonly #key: ChunkKey
  readonly #nonces = new NonceSequence()
  readonly #headers: HeaderTemplate

  private constructor(sessionId: string, salt: Uint8Array, key: ChunkKey) {
    this.sessionId = sessionId
    this.salt = salt
    this.#key = key
    this.#headers = new HeaderTemplate({ version: FORMAT_VERSION, compression: COMPRESSION_GZIP, salt, sessionId })
  }

  /** A sealer with a fresh random salt, hence a key no other sealer has. */
  static async create(master: CryptoKey, sessionId: string): Promise<ChunkSealer> {
    const salt = freshSalt()
    return new ChunkSealer(sessionId, salt, await chunkKey(master, sessionId, salt))
  }

  /** Nonces issued so far under this sealer's key. */
  get sealed(): number {
    return this.#nonces.issued
  }

  /** Encrypts the gzip stream `compressed` of chunk `index` whose plaintext is `plaintextSize` bytes. */
  async seal(index: number, compressed: Uint8Array, plaintextSize: number): Promise<SealedChunk> {
    if (plaintextSize > MAX_CHUNK_BYTES) throw new errors.ChunkTooLarge(`chunk ${index}: ${plaintextSize} bytes, limit ${MAX_CHUNK_BYTES}`)
    // The nonce is taken before the first await: concurrent seals can never observe the same counter value.
    const hl = this.#headers.length
    if (compressed.length <= INLINE_SEAL_MAX_BYTES) {
      // One array for the whole envelope (header, ciphertext, tag), the nonce written into the header in place:
      // three allocations fewer per seal than a header, a nonce and a body of their own.
      const envelope = new Uint8Array(hl + compressed.length + TAG_BYTES)
      this.#headers.writeInto(envelope, index, plaintextSize)
      this.#nonces.writeNext(envelope, NONCE_OFFSET)
      const header = envelope.subarray(0, hl)
      sealInline(this.#key.inline, envelope.subarray(NONCE_OFFSET, NONCE_OFFSET + NONCE_BYTES), header, compressed, envelope, hl)
      return { header, body: envelope.subarray(hl), size: envelope.length }
    }
    const header = new Uint8Array(hl)
    this.#headers.writeInto(header, index, plaintextSize)
    this.#nonces.writeNext(header, NONCE_OFFSET)
    const nonce = header.subarray(NONCE_OFFSET, NONCE_OFFSET + NONCE_BYTES)
    const body = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: header, tagLength: 128 }, this.#key.web, compressed))
    return { header, body, size: header.length + body.length }
  }
}

/** What opening an envelope yields: its header and the authenticated gzip stream. */
export interface OpenedChunk {
  readonly header: EnvelopeHeader
  readonly compressed: Uint8Array
}

/** The decrypting side: opens envelopes of one session, deriving (and caching) a key per salt seen. */
export class ChunkOpener {
  readonly #master: CryptoKey
  readonly #sessionId: string
  readonly #keys = new Map<string, Promise<ChunkKey>>()

  /** @param master the imported master key @param sessionId the session every chunk must belong to */
  constructor(master: CryptoKey, sessionId: string) {
    this.#master = master
    this.#sessionId = sessionId
  }

  /**
   * Parses, checks and decrypts the envelope of chunk `index`. Throws LUCID_ERR_2001 (malformed),
   * 2009 (another session), 2003 (another index), 2002 (tag fails: tampered, or a wrong key).
   */
  async open(bytes: Uint8Array, index: number): Promise<OpenedChunk> {
    const label = `chunk ${index}`
    const { header, aad, body } = parseEnvelope(bytes, label)
    if (header.sessionId !== this.#sessionId)
      throw new errors.WrongSession(`${label} is from session ${JSON.stringify(header.sessionId)}, not ${JSON.stringify(this.#sessionId)}`)
    if (header.index !== index) throw new errors.ChunkOutOfOrder(`${label} holds chunk ${header.index}`)
    const key = await this.#key(header.salt)
    let plain: Uint8Array
    try {
      plain =
        body.length <= INLINE_SEAL_MAX_BYTES + TAG_BYTES
          ? openInline(key.inline, header.nonce, aad, body)
          : new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: header.nonce, additionalData: aad, tagLength: 128 }, key.web, body))
    } catch (err) {
      throw new errors.ChunkAuthenticationFailed(`${label}: AES-GCM tag does not verify (tampered chunk or wrong key)`, { cause: err })
    }
    return { header, compressed: plain }
  }

  #key(salt: Uint8Array): Promise<ChunkKey> {
    const id = toHex(salt)
    let k = this.#keys.get(id)
    if (k === undefined) {
      k = chunkKey(this.#master, this.#sessionId, salt)
      this.#keys.set(id, k)
    }
    return k
  }
}
