/**
 * Signing and verification behind interfaces, so the virtual-time simulator can inject a signer that charges
 * the measured cost in virtual time instead of doing the work; the real Ed25519 one (node:crypto) is the
 * default everywhere else.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { fromHex, toHex } from '../common/hash.ts'

/** Something that signs as one key. */
export interface Signer {
  /** The public key, 64 hex digits (raw Ed25519). */
  readonly publicKey: string
  /** The 64-byte signature of `message`. */
  sign(message: Uint8Array): Uint8Array
}

/** Something that checks signatures. */
export interface Verifier {
  /** True when `signature` is `publicKey`'s signature of `message`; false for malformed keys or signatures. */
  verify(publicKey: string, message: Uint8Array, signature: Uint8Array): boolean
}

// DER prefixes that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI) for node:crypto.
const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420')
/** The SPKI DER prefix of a raw Ed25519 public key (shared with the sync workers). */
export const SPKI_PREFIX_HEX = '302a300506032b6570032100'
const SPKI_PREFIX = fromHex(SPKI_PREFIX_HEX)

/** An Ed25519 signer from a 32-byte seed: the same seed always gives the same key (reproducible devnets). */
export function ed25519Signer(seed: Uint8Array): Signer {
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes')
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  const publicKey = toHex(new Uint8Array(spki.subarray(spki.length - 32)))
  return {
    publicKey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey))
  }
}

/**
 * The real Ed25519 verifier. Parsed public keys are cached (a few hundred bytes each) because a chain
 * verifies the same committee and the same senders over and over; the cache is bounded by dropping it whole.
 */
export function ed25519Verifier(cacheLimit = 100_000): Verifier {
  const keys = new Map<string, KeyObject | null>()
  const key = (hex: string): KeyObject | null => {
    let k = keys.get(hex)
    if (k === undefined) {
      k = /^[0-9a-f]{64}$/.test(hex) ? tryKey(hex) : null
      if (keys.size >= cacheLimit) keys.clear()
      keys.set(hex, k)
    }
    return k
  }
  return {
    verify(publicKey, message, signature) {
      const k = key(publicKey)
      if (k === null || signature.length !== 64) return false
      return verify(null, message, k, signature)
    }
  }
}

function tryKey(hex: string): KeyObject | null {
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, fromHex(hex)]), format: 'der', type: 'spki' })
  } catch {
    return null
  }
}
