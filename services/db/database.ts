/**
 * The open database: the repositories, transactions with bounded retries, stats and close. Both
 * backends sit behind it unchanged.
 */
import { errors, isLucidError } from '../common/errors.ts'
import type { Backend, BackendStats, EngineInfo } from './backend.ts'
import { Core, finishTx } from './core.ts'
import { createRepositories, type Repositories } from './repositories/index.ts'
import { ALL_COLLECTIONS } from './schema.ts'

/** Options of `transaction`. */
export interface TransactionOptions {
  /**
   * How many times to run the function again after a conflict (LUCID_ERR_4006) before giving up with
   * that error. Default 5. The function must therefore be safe to run more than once.
   */
  readonly retries?: number
}

/** An open database of either backend. */
export class Database implements Repositories {
  readonly #core: Core
  readonly #repos: Repositories
  #closing: Promise<void> | undefined

  /** @param backend an opened backend (see openDatabase) */
  constructor(backend: Backend) {
    this.#core = new Core(backend)
    this.#repos = createRepositories(this.#core)
  }

  /** The engine that answers, for reports (conditions.engine). */
  get engine(): EngineInfo {
    return this.#core.backend.engine
  }
  /** True once close() was called. */
  get closed(): boolean {
    return this.#core.closed
  }

  get users(): Repositories['users'] {
    return this.#repos.users
  }
  get sessions(): Repositories['sessions'] {
    return this.#repos.sessions
  }
  get chunks(): Repositories['chunks'] {
    return this.#repos.chunks
  }
  get blocks(): Repositories['blocks'] {
    return this.#repos.blocks
  }
  get transactions(): Repositories['transactions'] {
    return this.#repos.transactions
  }
  get taskProofs(): Repositories['taskProofs'] {
    return this.#repos.taskProofs
  }
  get workTally(): Repositories['workTally'] {
    return this.#repos.workTally
  }
  get activity(): Repositories['activity'] {
    return this.#repos.activity
  }

  /**
   * Runs `fn` in a multi-document transaction: everything it wrote through the repositories it was
   * handed becomes visible at once when it resolves, nothing when it rejects (the rejection is passed
   * on). A conflict with a concurrent transaction reruns `fn` (up to `retries` times) and then throws
   * LUCID_ERR_4006. Reads inside see the transaction's own writes.
   */
  async transaction<R>(fn: (t: Repositories) => Promise<R>, opts: TransactionOptions = {}): Promise<R> {
    const retries = opts.retries ?? 5
    if (!Number.isSafeInteger(retries) || retries < 0) throw new errors.InvalidQuery('retries must be a non-negative integer')
    for (let attempt = 0; ; attempt++) {
      this.#core.assertOpen()
      try {
        return await this.#core.backend._transaction(async (tx) => {
          try {
            return await fn(createRepositories(this.#core, tx))
          } finally {
            finishTx(tx)
          }
        })
      } catch (err) {
        if (!isLucidError(err, 'LUCID_ERR_4006') || attempt >= retries) throw err
        // Back off a little, randomised, so the conflicting transactions do not collide again in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * (attempt + 1)))
      }
    }
  }

  /** Documents per collection and the size on disk (or as the server reports it). */
  async stats(): Promise<BackendStats> {
    this.#core.assertOpen()
    return await this.#core.backend._stats(ALL_COLLECTIONS)
  }

  /** Closes the database; later calls get LUCID_ERR_4004. Closing twice is harmless. */
  async close(): Promise<void> {
    this.#core.markClosed()
    this.#closing ??= this.#core.backend._close()
    await this.#closing
  }
}
