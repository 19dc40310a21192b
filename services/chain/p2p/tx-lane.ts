/**
 * The two lanes of a node's gossip: transactions, and what consensus needs to stay live. Admitting a
 * transaction costs an Ed25519 verification and a state check (~0.1 ms on a quiet core, several times that
 * on a busy one); at a few hundred transactions a second they were a third of a validator's time, handled in
 * arrival order in the same turns as the votes. On a busy machine the votes then waited behind thousands of
 * admissions and rounds timed out (measured: 0 final blocks in 50 s at 300 tx/s offered, load average 11-16).
 *
 * So gossip is split, as a production node splits its work (Lodestar's gossip queues, CometBFT's priority
 * channels): proposals, votes and certificates are handled the moment they arrive; transactions wait in a
 * bounded queue that is drained a slice at a time, each slice ending with a yield to I/O, so a consensus
 * message that arrives meanwhile is handled before the next slice. A full queue sheds new arrivals (counted),
 * as a full mempool does: an offered load above what the node can check is dropped at the door instead of
 * growing a backlog whose age makes it worthless. Shed transactions are not lost to the network: every
 * validator and the submitter's node keep their own copy, and the block that includes one carries it whole.
 */

/** Runs `fn` after pending I/O (setImmediate in a process; a test's queue in a test). */
export type Yield = (fn: () => void) => void

/** Options of a TxLane. */
export interface TxLaneOptions {
  /** Most transactions waiting (default 4096: more than two full blocks). */
  readonly limit?: number
  /** Transactions admitted per slice before yielding (default 32: a few milliseconds of verification). */
  readonly slice?: number
  /** How to yield between slices (default setImmediate). */
  readonly yieldTo?: Yield
}

/** A bounded queue of transaction messages, each delivered to `deliver` in arrival order, a slice per turn. */
export class TxLane {
  readonly #items: Array<{ from: string; data: string }> = []
  #head = 0
  #scheduled = false
  #closed = false
  readonly #limit: number
  readonly #slice: number
  readonly #yield: Yield

  /** @param deliver handles one transaction message (its errors are its own: the lane never sees a throw stop it) */
  constructor(
    readonly deliver: (from: string, data: string) => void,
    opts: TxLaneOptions = {}
  ) {
    this.#limit = opts.limit ?? 4096
    this.#slice = opts.slice ?? 32
    this.#yield = opts.yieldTo ?? ((fn) => setImmediate(fn))
    if (!(this.#limit >= 1) || !(this.#slice >= 1)) throw new RangeError('a transaction lane needs a limit and a slice of at least 1')
  }

  /** Transactions waiting. */
  get size(): number {
    return this.#items.length - this.#head
  }

  /** Queues one transaction message from `from`; false when the queue is full or closed (the caller counts it as shed). */
  push(from: string, data: string): boolean {
    if (this.#closed || this.size >= this.#limit) return false
    this.#items.push({ from, data })
    this.#schedule()
    return true
  }

  /** Drops what waits and stops delivering. */
  close(): void {
    this.#closed = true
    this.#items.length = 0
    this.#head = 0
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return
    this.#scheduled = true
    this.#yield(() => this.#drain())
  }

  #drain(): void {
    this.#scheduled = false
    for (let n = 0; n < this.#slice && this.#head < this.#items.length && !this.#closed; n++) {
      const item = this.#items[this.#head++] as { from: string; data: string }
      try {
        this.deliver(item.from, item.data)
      } catch {
        // The handler reports its own rejections; one bad transaction must not stall the ones behind it.
      }
    }
    // Compact now and then rather than shift() per item (O(n) each).
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items.splice(0, this.#head)
      this.#head = 0
    }
    if (this.#head < this.#items.length) this.#schedule()
  }
}
