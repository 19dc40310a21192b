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
 *
 * The triples themselves are kept once per process (see Triple): what a cache holds is, on each triple it
 * took, the generation it took it in. The caches of the nodes of one process (a simulation's hundred) check
 * the same signatures, so they read one entry, not one each; what each cache answers is its own alone.
 */
export class VerifiedCache {
  readonly #s: CacheState = { id: ++lastCacheId, gen: 1, current: [], previous: [] }
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
    RELEASE.register(this, this.#s)
  }

  /** Whether `publicKey`'s `signature` (hex) of exactly `message` was verified recently. */
  has(publicKey: string, signature: string, message: Uint8Array): boolean {
    const g = findTriple(publicKey, signature, message)?.holders.get(this.#s.id)
    return g !== undefined && g >= this.#s.gen - 1
  }

  /** Remembers that `publicKey`'s `signature` of `message` verified. */
  add(publicKey: string, signature: string, message: Uint8Array): void {
    const s = this.#s
    if (s.current.length >= this.limit / 2) this.#rotate()
    let t = findTriple(publicKey, signature, message)
    if (t === undefined) {
      t = { publicKey, signature, message: message.slice(), next: TRIPLES.get(signature), holders: new Map(), live: 0 }
      TRIPLES.set(signature, t)
    }
    const g = t.holders.get(s.id)
    if (g === s.gen) return
    if (g === undefined || g === RELEASED) t.live++
    t.holders.set(s.id, s.gen)
    s.current.push(t)
  }

  /** A block became final: the clock entries age by. */
  blockFinal(): void {
    if (++this.#blocks >= this.generationBlocks) this.#rotate()
  }

  /** Entries held now (a triple taken again in the current generation counts in both). */
  get size(): number {
    return this.#s.current.length + this.#s.previous.length
  }

  #rotate(): void {
    const s = this.#s
    // The previous generation is dropped: its triples not taken again since leave this cache.
    for (const t of s.previous) if (t.holders.get(s.id) === s.gen - 1) release(t, s.id)
    s.previous = s.current
    s.current = []
    s.gen++
    this.#blocks = 0
  }
}

/**
 * A verified (key, signature, message), once per process, indexed by the signature text (the receivers of a
 * broadcast hold the same string, whose hash V8 keeps, so a lookup hashes nothing new); `next` chains the (never
 * expected) others under the same text. `holders` maps each cache holding it to the generation it took it in;
 * the triple goes when the last holder drops it. `message` is a private copy: exactly the bytes that verified.
 */
interface Triple {
  readonly publicKey: string
  readonly signature: string
  readonly message: Uint8Array
  next: Triple | undefined
  /** Each cache that took it, with the generation it took it in (RELEASED once that cache dropped it). */
  readonly holders: Map<number, number>
  /** How many caches hold it (holders not RELEASED). */
  live: number
}

/**
 * A holder that dropped a triple. Marked rather than deleted: a Map that loses entries shrinks (reallocates)
 * as it goes, and a hundred caches dropping one triple in turn made ~2 % of a simulation's allocations. A
 * generation is never negative, so a released holder answers no `has`.
 */
const RELEASED = -1

/** One cache's generations: the triples it took in the current one and in the previous one. */
interface CacheState {
  readonly id: number
  gen: number
  current: Triple[]
  previous: Triple[]
}

const TRIPLES = new Map<string, Triple>()
let lastCacheId = 0

// A cache that is gone (its node stopped) lets go of its triples, so that they do not outlive every holder. When
// this runs changes nothing a cache answers (a gone cache is asked nothing), only how long memory is held.
const RELEASE = new FinalizationRegistry<CacheState>((s) => {
  for (const t of [...s.previous, ...s.current]) release(t, s.id)
})

function findTriple(publicKey: string, signature: string, message: Uint8Array): Triple | undefined {
  for (let t = TRIPLES.get(signature); t !== undefined; t = t.next) if (t.publicKey === publicKey && sameBytes(t.message, message)) return t
  return undefined
}

/** Cache `id` no longer holds `t`; the last holder unlinks it. */
function release(t: Triple, id: number): void {
  const g = t.holders.get(id)
  if (g === undefined || g === RELEASED) return
  t.holders.set(id, RELEASED)
  if (--t.live > 0) return
  const head = TRIPLES.get(t.signature)
  if (head === t) {
    if (t.next === undefined) TRIPLES.delete(t.signature)
    else TRIPLES.set(t.signature, t.next)
    return
  }
  for (let p = head; p !== undefined; p = p.next)
    if (p.next === t) {
      p.next = t.next
      return
    }
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
      cache?.add(publicKey, signature, message)
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
