/**
 * Where signature checks go. Validation code states every signature it relies on through a sink; the sink
 * decides when the work is done: at once (live blocks and transactions) or later, in bulk, on worker threads
 * (sync). Either way the same rules run, so a sync can never accept what live validation would refuse.
 */
import { fromHex } from '../common/hash.ts'
import type { LucidError } from '../common/errors.ts'
import type { Verifier } from './signer.ts'

/** Receives the signatures a validation depends on. */
export interface SignatureSink {
  /**
   * Demands that `signature` (128 hex digits, already shape-checked) is `publicKey`'s signature of `message`;
   * `fail` makes the error to raise when it is not.
   */
  check (publicKey: string, message: Uint8Array, signature: string, fail: () => LucidError): void
}

/**
 * A sink that verifies at once and throws. `seen` remembers signatures verified before (a transaction
 * checked when it entered the pool is not verified again when its block arrives); bounded by clearing.
 */
export function immediateSink (verifier: Verifier, seen?: Set<string>, seenLimit = 200_000): SignatureSink {
  return {
    check (publicKey, message, signature, fail) {
      const key = seen === undefined ? undefined : `${publicKey}${signature}${Buffer.from(message).toString('hex')}`
      if (key !== undefined && seen?.has(key) === true) return
      if (!verifier.verify(publicKey, message, fromHex(signature))) throw fail()
      if (key !== undefined && seen !== undefined) {
        if (seen.size >= seenLimit) seen.clear()
        seen.add(key)
      }
    }
  }
}
