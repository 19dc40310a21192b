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
  check(publicKey: string, message: Uint8Array, signature: string, fail: () => LucidError): void
}

/**
 * Signatures verified recently, so that a transaction or vote verified on arrival is not verified again
 * when its block or certificate arrives. What it needs to cover is short-lived: a pending transaction is
 * normally in the next block, a vote in the next block's parent certificate. So entries age out by final
 * blocks, in two generations: the current one takes new entries, and every `generationBlocks` final blocks
 * (or once it holds half the limit) it becomes the previous one and the old previous one is dropped. An
 * entry lives between one and two generations; one that aged out is simply verified again (a cost, never
 * a change in what is accepted). Bounded this way, the memory follows the traffic of the last minutes
 * instead of filling to a fixed size over hours, which a soak run would rightly read as growth.
 */
export class VerifiedCache {
  #current = new Generation()
  #previous = new Generation()
  #blocks = 0

  /**
   * @param limit most entries held (default 200,000; both generations together)
   * @param generationBlocks final blocks per generation (default 8: entries live 8 to 16 blocks)
   */
  constructor(
    readonly limit = 200_000,
    readonly generationBlocks = 8
  ) {
    if (!(limit >= 2) || !(generationBlocks >= 1)) throw new RangeError('a verified cache needs a limit of at least 2 and generations of at least 1 block')
  }

  /** Whether `publicKey`'s `signature` (hex) of exactly `message` was verified recently. */
  has(publicKey: string, signature: string, message: Uint8Array): boolean {
    return this.#current.has(publicKey, signature, message) || this.#previous.has(publicKey, signature, message)
  }

  /** Remembers that `publicKey`'s `signature` of `message` verified. */
  add(publicKey: string, signature: string, message: Uint8Array): void {
    if (this.#current.size >= this.limit / 2) this.#rotate()
    if (!this.#current.has(publicKey, signature, message)) this.#current.insert(publicKey, signature, message)
  }

  /**
   * add() right after has() answered false for the same triple (immediateSink's miss): the entry cannot be in the
   * current generation, so the second lookup add() makes is skipped. The same entries, sizes and rotations.
   */
  addMissing(publicKey: string, signature: string, message: Uint8Array): void {
    if (this.#current.size >= this.limit / 2) this.#rotate()
    this.#current.insert(publicKey, signature, message)
  }

  /** A block became final: the clock entries age by. */
  blockFinal(): void {
    if (++this.#blocks >= this.generationBlocks) this.#rotate()
  }

  /** Entries held now. */
  get size(): number {
    return this.#current.size + this.#previous.size
  }

  #rotate(): void {
    this.#previous = this.#current
    this.#current = new Generation()
    this.#blocks = 0
  }
}

/** A verified (key, message) under one signature text; `next` chains the (never expected) others under the same text. */
interface Verified {
  readonly publicKey: string
  readonly message: Uint8Array
  readonly next: Verified | undefined
}

/**
 * One generation of verified checks, a set of (public key, signature, message) triples indexed by the signature
 * text: the receivers of a broadcast hold the same string, whose hash V8 keeps, so a lookup hashes nothing new.
 */
class Generation {
  readonly #bySignature = new Map<string, Verified>()
  size = 0

  has(publicKey: string, signature: string, message: Uint8Array): boolean {
    for (let e = this.#bySignature.get(signature); e !== undefined; e = e.next) if (e.publicKey === publicKey && sameBytes(e.message, message)) return true
    return false
  }

  /** Adds a triple this generation does not hold. */
  insert(publicKey: string, signature: string, message: Uint8Array): void {
    this.#bySignature.set(signature, { publicKey, message: copyOf(message), next: this.#bySignature.get(signature) })
    this.size++
  }
}

// Private copies of verified messages, by the caller's array: the receivers of one message pass the same shared
// bytes (a vote's message, a header's), so one copy serves every node's cache instead of a new buffer per entry.
// A copy is reused only while it still equals the array (callers do not write them, but an entry must hold exactly
// the bytes that verified), and nothing outside this module ever sees one, so nothing can change it.
const COPIES = new WeakMap<Uint8Array, Uint8Array>()

function copyOf(message: Uint8Array): Uint8Array {
  const copy = COPIES.get(message)
  if (copy !== undefined && sameBytes(copy, message)) return copy
  const fresh = message.slice()
  COPIES.set(message, fresh)
  return fresh
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * A sink that verifies at once and throws. `cache` remembers signatures verified before (a transaction
 * checked when it entered the pool is not verified again when its block arrives). An entry holds the
 * public key, the signature and the whole message: a hit must mean this very check passed before.
 */
export function immediateSink(verifier: Verifier, cache?: VerifiedCache): SignatureSink {
  return {
    check(publicKey, message, signature, fail) {
      if (cache?.has(publicKey, signature, message) === true) return
      if (!verifier.verify(publicKey, message, signatureBytes(signature))) throw fail()
      cache?.addMissing(publicKey, signature, message)
    }
  }
}

// Decoded signatures by their text (every receiver of a message verifies the same one): shared bytes that
// verifiers read and never write. Bounded: the oldest goes first.
const SIGNATURE_BYTES = new Map<string, Uint8Array>()
const SIGNATURE_BYTES_LIMIT = 1024

function signatureBytes(hex: string): Uint8Array {
  const hit = SIGNATURE_BYTES.get(hex)
  if (hit !== undefined) return hit
  const bytes = fromHex(hex)
  if (SIGNATURE_BYTES.size >= SIGNATURE_BYTES_LIMIT) SIGNATURE_BYTES.delete(SIGNATURE_BYTES.keys().next().value as string)
  SIGNATURE_BYTES.set(hex, bytes)
  return bytes
}
