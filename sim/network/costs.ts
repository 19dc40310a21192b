/**
 * What a signature costs a node, charged in virtual time instead of doing the work. The defaults are fixed so
 * that a seed gives the same figures on every machine; measureSignatureCosts() measures this machine's real
 * Ed25519 (node:crypto, the chain's signer) for a run that wants local costs.
 */
import { ed25519Signer, ed25519Verifier, keySeeds } from '../../services/chain/index.ts'

/** Cost of one operation, ms of one core. */
export interface SignatureCosts {
  readonly signMs: number
  readonly verifyMs: number
}

/**
 * Measured with measureSignatureCosts() on the development machine (Intel Xeon, 2 cores, Node 20): median of
 * three rounds of 2000 operations on 48-byte messages, 0.030 ms to sign and 0.083 ms to verify.
 */
export const DEFAULT_COSTS: SignatureCosts = { signMs: 0.03, verifyMs: 0.083 }

/**
 * Times `rounds` rounds of `ops` real Ed25519 signatures and verifications of distinct 48-byte messages (the
 * chain's signing message size) and returns the median per-operation cost of each.
 */
export function measureSignatureCosts(ops = 2000, rounds = 3): SignatureCosts {
  const [seed] = keySeeds(0x51e, 1)
  const signer = ed25519Signer(seed as Uint8Array)
  const verifier = ed25519Verifier()
  const messages = Array.from({ length: ops }, (_, i) => {
    const m = new Uint8Array(48)
    m[20] = i & 0xff
    m[21] = i >> 8
    return m
  })
  const sign: number[] = []
  const verify: number[] = []
  for (let r = 0; r < rounds; r++) {
    let t = performance.now()
    const sigs = messages.map((m) => signer.sign(m))
    sign.push((performance.now() - t) / ops)
    t = performance.now()
    let ok = 0
    messages.forEach((m, i) => {
      if (verifier.verify(signer.publicKey, m, sigs[i] as Uint8Array)) ok++
    })
    verify.push((performance.now() - t) / ops)
    // A verifier that refused its own signatures would make the timing meaningless.
    if (ok !== ops) throw new Error(`Ed25519 refused ${ops - ok} of its own signatures`)
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  return { signMs: median(sign), verifyMs: median(verify) }
}
