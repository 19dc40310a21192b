/**
 * Sealing and opening chunk envelopes: AES-256-GCM through WebCrypto around a compressed chunk, with the
 * envelope header as additional authenticated data (envelope.ts, docs/envelope.md).
 */
import { errors } from '../common/errors.ts'
import { toHex } from '../common/hash.ts'
import { deriveChunkKey, freshSalt, type CryptoKey } from './keys.ts'
import { NonceSequence } from './nonce.ts'
import { COMPRESSION_GZIP, FORMAT_VERSION, MAX_CHUNK_BYTES, encodeHeader, parseEnvelope, type EnvelopeHeader } from './envelope.ts'

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
  readonly #key: CryptoKey
  readonly #nonces = new NonceSequence()

  private constructor(sessionId: string, salt: Uint8Array, key: CryptoKey) {
    this.sessionId = sessionId
    this.salt = salt
    this.#key = key
  }

  /** A sealer with a fresh random salt, hence a key no other sealer has. */
  static async create(master: CryptoKey, sessionId: string): Promise<ChunkSealer> {
    const salt = freshSalt()
    return new ChunkSealer(sessionId, salt, await deriveChunkKey(master, sessionId, salt))
  }

  /** Nonces issued so far under this sealer's key. */
  get sealed(): number {
    return this.#nonces.issued
  }

  /** Encrypts the gzip stream `compressed` of chunk `index` whose plaintext is `plaintextSize` bytes. */
  async seal(index: number, compressed: Uint8Array, plaintextSize: number): Promise<SealedChunk> {
    if (plaintextSize > MAX_CHUNK_BYTES) throw new errors.ChunkTooLarge(`chunk ${index}: ${plaintextSize} bytes, limit ${MAX_CHUNK_BYTES}`)
    // The nonce is taken before the first await: concurrent seals can never observe the same counter value.
    const header = encodeHeader({
      version: FORMAT_VERSION,
      compression: COMPRESSION_GZIP,
      index,
      plaintextSize,
      salt: this.salt,
      nonce: this.#nonces.next(),
      sessionId: this.sessionId
    })
    const nonce = header.subarray(56, 68)
    const body = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: header, tagLength: 128 }, this.#key, compressed))
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
  readonly #keys = new Map<string, Promise<CryptoKey>>()

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
    let plain: ArrayBuffer
    try {
      plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: header.nonce, additionalData: aad, tagLength: 128 }, await this.#key(header.salt), body)
    } catch (err) {
      throw new errors.ChunkAuthenticationFailed(`${label}: AES-GCM tag does not verify (tampered chunk or wrong key)`, { cause: err })
    }
    return { header, compressed: new Uint8Array(plain) }
  }

  #key(salt: Uint8Array): Promise<CryptoKey> {
    const id = toHex(salt)
    let k = this.#keys.get(id)
    if (k === undefined) {
      k = deriveChunkKey(this.#master, this.#sessionId, salt)
      this.#keys.set(id, k)
    }
    return k
  }
}
