/**
 * The pending pool: transactions accepted (validated against the final state plus the pool before them) and
 * waiting for a block. Keeping the pool's own state delta means admission runs the very rules a block will,
 * so an accepted transaction is one a producer can include, and a receipt means something.
 */
import { errors } from '../common/errors.ts'
import { applyTx, type BlockContext } from './rules.ts'
import type { SignatureSink } from './sink.ts'
import { StateDelta, intAt, type ChainState } from './state.ts'
import type { Json, Transaction } from './types.ts'

/** The transaction pool of one node. */
export class TxPool {
  readonly #txs = new Map<string, Transaction>()
  #delta: StateDelta

  /**
   * @param state the final state the pool sits on
   * @param limit most transactions held (beyond: LUCID_ERR_5016)
   */
  constructor(
    readonly state: ChainState,
    readonly limit = 100_000
  ) {
    this.#delta = state.begin()
  }

  /** How many transactions wait. */
  get size(): number {
    return this.#txs.size
  }

  /** True when `id` waits here. */
  has(id: string): boolean {
    return this.#txs.has(id)
  }

  /** Validates `tx` as if it were in the next block and keeps it; returns its id. Throws the rule it breaks. */
  admit(tx: Transaction, ctx: BlockContext, sigs: SignatureSink): string {
    if (this.#txs.size >= this.limit) throw new errors.TransactionPoolFull(`${this.#txs.size} transactions pending`)
    const scratch = new StateDelta(this.#delta)
    const id = applyTx(scratch, tx, ctx, sigs)
    scratch.mergeIntoBase()
    this.#txs.set(id, tx)
    return id
  }

  /** The last nonce of `account` counting its pending transactions (0 when it never sent one). */
  lastNonce(account: string): number {
    return intAt(this.#delta, `n/${account}`)
  }

  /** The state the next block would see if it took every pending transaction: the final state plus the pool. */
  view(key: string): Json | undefined {
    return this.#delta.get(key)
  }

  /** The pending transactions in the order they were accepted. */
  pending(): IterableIterator<[string, Transaction]> {
    return this.#txs.entries()
  }

  /**
   * After a block became final: forgets its transactions and re-checks the rest against the new state
   * (dropping those it made invalid, e.g. a second anchor of the same session from another sender).
   */
  rebase(included: Iterable<string>, ctx: BlockContext, sigs: SignatureSink): void {
    for (const id of included) this.#txs.delete(id)
    this.#delta = this.state.begin()
    for (const [id, tx] of [...this.#txs]) {
      const scratch = new StateDelta(this.#delta)
      try {
        applyTx(scratch, tx, ctx, sigs)
        scratch.mergeIntoBase()
      } catch {
        this.#txs.delete(id)
      }
    }
  }
}
