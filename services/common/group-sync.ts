/**
 * Group commit: many writers that each need "everything I wrote is on stable storage" share one sync.
 *
 * A writer writes without syncing, then awaits `sync()`. If no sync is running, one starts now and covers
 * the write. If one is running, it may have started before the write reached the file, so it cannot be
 * trusted for it: the writer joins the next sync, which starts as soon as the running one ends and covers
 * every write made meanwhile. So with N concurrent writers there are at most two syncs in play, not N in a
 * row, and no writer waits for more than the rest of one sync plus one more. A failed sync rejects exactly
 * the writers it was meant to cover (their writes are then not acknowledged).
 */

/** Shares one `syncOnce` among concurrent callers of `sync()`. */
export class GroupSync {
  readonly #syncOnce: () => Promise<void>
  #running: Promise<void> | undefined
  #next: Promise<void> | undefined
  /** Syncs started (for tests and benchmarks: how many writers shared each). */
  syncs = 0
  /** Calls of sync(). */
  requests = 0

  /** @param syncOnce makes everything written so far durable (an fsync, a LevelDB write with sync: true) */
  constructor(syncOnce: () => Promise<void>) {
    this.#syncOnce = syncOnce
  }

  /** Resolves once a sync that started after this call has finished (so it covers what was written before). */
  sync(): Promise<void> {
    this.requests++
    if (this.#running === undefined) return this.#start()
    this.#next ??= this.#running.then(noop, noop).then(async () => {
      this.#next = undefined
      await this.#start()
    })
    return this.#next
  }

  #start(): Promise<void> {
    this.syncs++
    const p = this.#syncOnce()
    this.#running = p
    // Registered before any follower's then(): the running slot is free when the next sync starts.
    const clear = (): void => {
      if (this.#running === p) this.#running = undefined
    }
    p.then(clear, clear)
    return p
  }
}

function noop(): void {}
