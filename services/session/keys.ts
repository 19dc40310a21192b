/**
 * Key derivation for recordings, all through WebCrypto (`crypto.subtle`).
 *
 * The master key (32 bytes) is never used to encrypt. Each recording segment, meaning one recorder object
 * from start or resume to finish or crash, derives its own AES-256-GCM key:
 *
 *   key = HKDF-SHA256(ikm = master key, salt = 32 random bytes, info = "lucid/session/v1/chunk-key:" ‖ session id)
 *
 * The salt travels in every chunk envelope (docs/envelope.md), so any chunk can be decrypted from the master
 * key alone. HKDF costs microseconds, once per segment; the original's PBKDF2 with 100k iterations per chunk
 * cost more than the whole 100 ms chunk budget and bought nothing: the master key is already uniformly
 * random, and stretching only helps low-entropy passwords.
 *
 * A key id (HKDF with an empty salt and info "lucid/session/v1/key-id", 16 bytes, hex) is stored in the
 * manifest so that playback can tell a wrong master key (LUCID_ERR_2010) from a tampered chunk.
 */
import type { webcrypto } from 'node:crypto'
import { errors } from '../common/errors.ts'

/** A WebCrypto key (the global type is not in this project's lib, which has no DOM). */
export type CryptoKey = webcrypto.CryptoKey

/** Bytes of a master key. */
export const MASTER_KEY_BYTES = 32
/** Bytes of the per-segment HKDF salt. */
export const SALT_BYTES = 32

const CHUNK_KEY_INFO = 'lucid/session/v1/chunk-key:'
const KEY_ID_INFO = 'lucid/session/v1/key-id'
const utf8 = new TextEncoder()

/** A master key imported for HKDF (not extractable: the raw bytes stay with the caller). */
export async function importMasterKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== MASTER_KEY_BYTES) throw new errors.WrongMasterKey(`a master key is ${MASTER_KEY_BYTES} bytes, got ${raw.length}`)
  return await crypto.subtle.importKey('raw', raw, 'HKDF', false, ['deriveKey', 'deriveBits'])
}

/** The AES-256-GCM key of one recording segment (see the module comment for the derivation). */
export async function deriveChunkKey(master: CryptoKey, sessionId: string, salt: Uint8Array): Promise<CryptoKey> {
  if (salt.length !== SALT_BYTES) throw new RangeError(`salt must be ${SALT_BYTES} bytes`)
  return await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt, info: utf8.encode(CHUNK_KEY_INFO + sessionId) },
    master,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt']
  )
}

/** The public fingerprint of a master key: 16 bytes of HKDF output, hex. Reveals nothing about the key. */
export async function masterKeyId(master: CryptoKey): Promise<string> {
  const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(KEY_ID_INFO) }, master, 128)
  return Buffer.from(bits).toString('hex')
}

/** A fresh random salt (crypto.getRandomValues: the CSPRNG). */
export function freshSalt(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(SALT_BYTES))
}
