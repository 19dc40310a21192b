/**
 * What every repository shares: the backend, and whether the database (and the repository's
 * transaction, if any) is still usable.
 */
import { errors } from '../common/errors.ts'
import type { Backend, TxHandle } from './backend.ts'

/** The state repositories read through; one per open database. */
export class Core {
  #closed = false
  /** @param backend the hooks */
  constructor(readonly backend: Backend) {}

  /** True once close() began. */
  get closed(): boolean {
    return this.#closed
  }

  /** Marks the database closed: every later call gets LUCID_ERR_4004. */
  markClosed(): void {
    this.#closed = true
  }

  /** Throws LUCID_ERR_4004 when closed, and when `tx` has already finished. */
  assertOpen(tx?: TxHandle): void {
    if (this.#closed) throw new errors.DatabaseNotOpen('the database was closed')
    if (tx !== undefined && finished.has(tx)) throw new errors.DatabaseNotOpen('the transaction has already finished')
  }
}

// Transactions whose function has returned: using their repositories afterwards is a bug worth a clear error.
const finished = new WeakSet<TxHandle>()

/** Records that `tx` is over (committed or aborted). */
export function finishTx(tx: TxHandle): void {
  finished.add(tx)
}
