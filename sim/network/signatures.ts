/**
 * Signing and verification in the simulator, through the chain's Signer and Verifier seams.
 *
 * Virtual signatures: a SignatureOracle records who signed what, and a signature is the record's serial number
 * in 64 bytes. A verifier looks the serial up and checks key and message, so exactly what real Ed25519 accepts
 * is accepted (a key's own signatures on the message they sign), a forged or corrupted signature is refused,
 * and neither side does the work: the measured cost is charged to the node's virtual CPU instead. The public
 * keys are the real Ed25519 keys of the same seeds, so a network signed virtually produces byte for byte the
 * blocks of the same network signed for real, but for the signature fields (no hash covers those).
 *
 * chargedSigner / chargedVerifier wrap the real ones with the same charge, which is how a test shows that
 * both give the same chain.
 */
import { ed25519Signer, type Signer, type Verifier } from '../../services/chain/index.ts'
import type { SignatureCosts } from './costs.ts'

/** Something that pays for signature work (a node's CPU, or a sync's tally). */
export interface CostSink {
  charge(ms: number): void
}

interface Signed {
  readonly publicKey: string
  readonly message: Uint8Array
}

/** The registry behind virtual signatures; one per simulation, so serials (and runs) are reproducible. */
export class SignatureOracle {
  readonly #signed: Signed[] = [{ publicKey: '', message: new Uint8Array(0) }]

  /** Records that `publicKey` signed `message`; returns the 64-byte signature. */
  sign(publicKey: string, message: Uint8Array): Uint8Array {
    const serial = this.#signed.length
    this.#signed.push({ publicKey, message: message.slice() })
    const sig = new Uint8Array(64)
    // Serial in bytes 0..5 (48 bits, far beyond a day of signatures); the rest stays zero.
    new DataView(sig.buffer).setUint16(0, Math.floor(serial / 2 ** 32))
    new DataView(sig.buffer).setUint32(2, serial >>> 0)
    return sig
  }

  /** True when `signature` is a record of `publicKey` signing exactly `message`. */
  verify(publicKey: string, message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== 64) return false
    for (let i = 6; i < 64; i++) if (signature[i] !== 0) return false
    // The serial, big-endian in bytes 0..5 (as sign wrote it).
    const s = signature as Uint8Array
    const serial =
      ((s[0] as number) * 256 + (s[1] as number)) * 2 ** 32 +
      (s[2] as number) * 2 ** 24 +
      (s[3] as number) * 2 ** 16 +
      (s[4] as number) * 256 +
      (s[5] as number)
    const rec = this.#signed[serial]
    if (rec === undefined || rec.publicKey !== publicKey || rec.message.length !== message.length) return false
    for (let i = 0; i < message.length; i++) if (rec.message[i] !== message[i]) return false
    return true
  }

  /** Signatures issued so far. */
  get issued(): number {
    return this.#signed.length - 1
  }
}

/**
 * A virtual signer for the key of `seed`: the real public key, a recorded signature, the sign cost charged to
 * `payer` (a node's CPU; none for clients, which are outside the model). Deriving the public key costs one
 * real key derivation, once per key.
 */
export function virtualSigner(oracle: SignatureOracle, seed: Uint8Array, costs: SignatureCosts, payer?: CostSink): Signer {
  const publicKey = ed25519Signer(seed).publicKey
  return {
    publicKey,
    sign(message) {
      payer?.charge(costs.signMs)
      return oracle.sign(publicKey, message)
    }
  }
}

/** A virtual verifier: the oracle's answer, the verify cost charged to `payer`. */
export function virtualVerifier(oracle: SignatureOracle, costs: SignatureCosts, payer: CostSink): Verifier {
  return {
    verify(publicKey, message, signature) {
      payer.charge(costs.verifyMs)
      return oracle.verify(publicKey, message, signature)
    }
  }
}

/** The real signer of `seed`, charging the same virtual cost as a virtual one (to compare the two). */
export function chargedSigner(real: Signer, costs: SignatureCosts, payer?: CostSink): Signer {
  return {
    publicKey: real.publicKey,
    sign(message) {
      payer?.charge(costs.signMs)
      return real.sign(message)
    }
  }
}

/** A real verifier charging the same virtual cost as a virtual one. */
export function chargedVerifier(real: Verifier, costs: SignatureCosts, payer: CostSink): Verifier {
  return {
    verify(publicKey, message, signature) {
      payer.charge(costs.verifyMs)
      return real.verify(publicKey, message, signature)
    }
  }
}

/** A tally of charged work that belongs to no running node (a sync's verification). */
export class CostTally implements CostSink {
  ms = 0
  count = 0
  charge(ms: number): void {
    this.ms += ms
    this.count++
  }
}
