/**
 * The real system's wallet login: the gateway issues a single-use challenge message, the wallet signs it
 * TRON-style (TIP-191, tronweb `signMessageV2`), the gateway recovers the signer's address from the
 * signature and compares it with the claimed one.
 *
 * - digest = keccak-256("\x19TRON Signed Message:\n" ‖ decimal byte length ‖ message)
 * - signature = r ‖ s ‖ v (65 bytes, hex, v = 27/28 or 0/1), secp256k1
 * - address = base58check(0x41 ‖ last 20 bytes of keccak-256(uncompressed public key without its 0x04))
 *
 * Challenges are single use: the first login attempt naming a challenge consumes it, whatever the outcome,
 * so a captured signature can never be replayed and a challenge cannot be ground against. They expire
 * after `challengeTtlS` and their number is bounded (a flood of challenge requests is refused with
 * LUCID_ERR_3002 rather than growing memory).
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { createBase58check } from '@scure/base'
import { errors } from '../../common/errors.ts'
import type { Clock } from '../../common/clock.ts'

/** The TIP-191 prefix of a TRON signed message. */
export const TRON_MESSAGE_PREFIX = '\x19TRON Signed Message:\n'

const base58check = createBase58check(sha256)
const TRON_ADDRESS_PREFIX = 0x41

/** The digest a TRON wallet signs for `message` (signMessageV2). */
export function tronMessageDigest(message: string): Uint8Array {
  const body = new TextEncoder().encode(message)
  const prefix = new TextEncoder().encode(`${TRON_MESSAGE_PREFIX}${body.length}`)
  const all = new Uint8Array(prefix.length + body.length)
  all.set(prefix)
  all.set(body, prefix.length)
  return keccak_256(all)
}

/**
 * What a TRON wallet does with a message (signMessageV2): the secp256k1 signature of its digest as hex
 * `r‖s‖v`, v = 27 + recovery id. The gateway only verifies; clients, tests and the fuzzer sign with this.
 */
export function signTronMessage(message: string, secretKey: Uint8Array): string {
  const digest = tronMessageDigest(message)
  // Both sign deterministically (RFC 6979, low s), so either gives the same signature; native is faster,
  // which matters to the benchmark that pre-signs tens of thousands of logins.
  const native = nativeBinding()
  if (native !== undefined) {
    const { signature, recid } = native.ecdsaSign(digest, secretKey)
    return Buffer.concat([signature, Buffer.of(27 + recid)]).toString('hex')
  }
  const rec = secp256k1.sign(digest, secretKey, { prehash: false, format: 'recovered' })
  // noble puts the recovery byte first; TRON puts v last.
  return Buffer.concat([rec.subarray(1), Buffer.of(27 + (rec[0] as number))]).toString('hex')
}

/** The base58check TRON address (`T...`) of a secp256k1 public key (compressed or not). */
export function tronAddressFromPublicKey(publicKey: Uint8Array): string {
  return addressOfUncompressed(secp256k1.Point.fromBytes(publicKey).toBytes(false))
}

/** The address of a 65-byte uncompressed key already known to be on the curve (recovery returned it). */
function addressOfUncompressed(uncompressed: Uint8Array): string {
  const h = keccak_256(uncompressed.subarray(1))
  const raw = new Uint8Array(21)
  raw[0] = TRON_ADDRESS_PREFIX
  raw.set(h.subarray(12), 1)
  return base58check.encode(raw)
}

/** True when `address` is a well-formed TRON address (base58check, 21 bytes, prefix 0x41). */
export function isTronAddress(address: string): boolean {
  try {
    const raw = base58check.decode(address)
    return raw.length === 21 && raw[0] === TRON_ADDRESS_PREFIX
  } catch {
    return false
  }
}

/**
 * Public-key recovery: the uncompressed (65-byte) key that made the compact signature `sig64` (r‖s) with
 * recovery id `recovery` over `digest`; throws when there is none. Signature recovery is most of a wallet
 * login's cost, hence two implementations behind one shape.
 */
export interface Secp256k1Recovery {
  /** `libsecp256k1 (native)` or `@noble/curves (JavaScript)`: reported beside the login figures. */
  readonly name: string
  recover(sig64: Uint8Array, recovery: 0 | 1, digest: Uint8Array): Uint8Array
}

/** The pure-JavaScript recovery (@noble/curves): always there, the fallback. */
export const nobleRecovery: Secp256k1Recovery = {
  name: '@noble/curves (JavaScript)',
  recover(sig64, recovery, digest) {
    // noble's "recovered" format puts the recovery byte first.
    const rec = new Uint8Array(65)
    rec[0] = recovery
    rec.set(sig64, 1)
    return secp256k1.Point.fromBytes(secp256k1.recoverPublicKey(rec, digest, { prehash: false })).toBytes(false)
  }
}

interface NativeBinding {
  /** Throws when the signature does not parse or no key recovers. */
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array
  ecdsaSign(msg32: Uint8Array, secretKey: Uint8Array): { signature: Uint8Array; recid: number }
}

let binding: NativeBinding | null | undefined

/**
 * libsecp256k1 through the `secp256k1` package's prebuilt N-API binding, or undefined when it does not load.
 * The package's own entry point falls back silently to a pure-JS `elliptic` (slower than noble), so this
 * loads `secp256k1/bindings` alone, which node-gyp-build resolves to the native build or throws.
 */
function nativeBinding(): NativeBinding | undefined {
  if (binding === undefined) {
    try {
      const b = createRequire(import.meta.url)('secp256k1/bindings') as Partial<NativeBinding>
      binding = typeof b.ecdsaRecover === 'function' && typeof b.ecdsaSign === 'function' ? (b as NativeBinding) : null
    } catch {
      binding = null
    }
  }
  return binding ?? undefined
}

/** The native recovery (libsecp256k1), or undefined when its prebuilt binding does not load here. */
export function loadNativeRecovery(): Secp256k1Recovery | undefined {
  const b = nativeBinding()
  if (b === undefined) return undefined
  return { name: 'libsecp256k1 (native)', recover: (sig64, recovery, digest) => b.ecdsaRecover(sig64, recovery, digest, false) }
}

/** The faster recovery that loads here: native libsecp256k1 (~40x noble on this machine), else noble. */
export const walletRecovery: Secp256k1Recovery = loadNativeRecovery() ?? nobleRecovery

/**
 * The address that signed `message` with `signatureHex` (65 bytes r‖s‖v), or undefined if it does not parse
 * or recover. `recovery` defaults to walletRecovery (tests pass each implementation).
 */
export function recoverTronSigner(message: string, signatureHex: string, recovery: Secp256k1Recovery = walletRecovery): string | undefined {
  const hex = signatureHex.startsWith('0x') ? signatureHex.slice(2) : signatureHex
  if (!/^[0-9a-fA-F]{130}$/.test(hex)) return undefined
  const sig = Buffer.from(hex, 'hex')
  const v = sig[64] as number
  const recid = v >= 27 ? v - 27 : v
  if (recid !== 0 && recid !== 1) return undefined
  try {
    return addressOfUncompressed(recovery.recover(sig.subarray(0, 64), recid, tronMessageDigest(message)))
  } catch {
    return undefined
  }
}

/** A challenge handed to a wallet. */
export interface Challenge {
  readonly tron_address: string
  readonly message: string
  /** ms since the epoch */
  readonly expires_at: number
}

/** Outstanding challenges a gateway holds by default before it refuses new ones (LUCID_ERR_3002). */
export const MAX_OUTSTANDING_CHALLENGES = 100_000

/** Outstanding single-use challenges, keyed by their message. */
export class ChallengeStore {
  readonly #byMessage = new Map<string, Challenge>()
  readonly #clock: Clock
  readonly #ttlMs: number
  readonly #max: number

  /** @param max outstanding challenges before new ones are refused (LUCID_ERR_3002) */
  constructor(clock: Clock, ttlS: number, max = MAX_OUTSTANDING_CHALLENGES) {
    this.#clock = clock
    this.#ttlMs = ttlS * 1000
    this.#max = max
  }

  /** Outstanding challenges (expired ones are swept when a new one is issued). */
  get size(): number {
    return this.#byMessage.size
  }

  /** A new challenge for `address` (checked to be a TRON address: LUCID_ERR_1001 otherwise). */
  issue(address: string): Challenge {
    if (!isTronAddress(address)) throw new errors.InvalidRequest('tron_address is not a base58check TRON address')
    const now = this.#clock.now()
    if (this.#byMessage.size >= this.#max) this.#sweep(now)
    if (this.#byMessage.size >= this.#max) throw new errors.ServerBusy('too many wallet challenges outstanding')
    const nonce = randomBytes(16).toString('hex')
    const expires = now + this.#ttlMs
    const message = `Lucid RDP login\naddress: ${address}\nnonce: ${nonce}\nissued: ${new Date(now).toISOString()}\nexpires: ${new Date(expires).toISOString()}`
    const c: Challenge = { tron_address: address, message, expires_at: expires }
    this.#byMessage.set(message, c)
    return c
  }

  /**
   * Consumes the challenge `message` and checks that `signature` over it recovers to `address`.
   * LUCID_ERR_1010 for an unknown, expired or reused challenge or one issued to another address;
   * LUCID_ERR_1004 for a signature that does not recover to `address`.
   */
  verify(address: string, message: string, signature: string): void {
    const c = this.#byMessage.get(message)
    if (c === undefined) throw new errors.WalletChallengeInvalid('request a new one at /auth/wallet/challenge')
    this.#byMessage.delete(message)
    if (c.expires_at <= this.#clock.now()) throw new errors.WalletChallengeInvalid('the challenge expired')
    if (c.tron_address !== address) throw new errors.WalletChallengeInvalid('the challenge was issued to another address')
    if (recoverTronSigner(message, signature) !== address) throw new errors.InvalidCredentials()
  }

  #sweep(now: number): void {
    for (const [m, c] of this.#byMessage) if (c.expires_at <= now) this.#byMessage.delete(m)
  }
}
