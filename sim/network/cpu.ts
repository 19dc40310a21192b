/**
 * One node's processor in virtual time. Signing and verifying charge their measured cost here instead of
 * taking real time (see signatures.ts); the charge delays what the node does next:
 *
 * - a message or timer that arrives while the node is busy waits until it is free (one core, FIFO);
 * - inside a callback, the node's clock reads the arrival time plus what it has spent so far, so a block it
 *   seals after verifying its parent's certificate carries the later timestamp;
 * - a message sent inside a callback leaves after the work done before it (see network.ts).
 *
 * Everything else a node does (hashing, JSON, state) is taken as instantaneous: docs/sim.md, "The model".
 */
import type { Clock } from '../../services/common/clock.ts'
import type { Cancel, Scheduler } from '../../services/chain/index.ts'
import type { EventQueue } from './queue.ts'

/** The virtual processor of one node. */
export class NodeCpu {
  /** Virtual time until which the node is busy, ms. */
  #busyUntil = 0
  /** Spent inside the callback now running, ms (0 outside one). */
  #spent = 0
  /** Total charged so far, ms. */
  total = 0

  constructor(readonly queue: EventQueue) {}

  /** Charges `ms` of work to the callback now running (or, outside one, to the next instant). */
  charge(ms: number): void {
    this.#spent += ms
    this.total += ms
  }

  /** What the callback now running has spent so far, ms. */
  get spent(): number {
    return this.#spent
  }

  /**
   * Runs `fn` as this node's work: now if the node is free, else after the work queued before it (a FIFO
   * inbox drained by one event at a time, so a burst of k messages costs k events, not k squared).
   */
  run(fn: () => void): void {
    if (this.#inbox.length > 0 || this.queue.now() < this.#busyUntil) {
      this.#inbox.push(fn)
      if (!this.#draining) {
        this.#draining = true
        this.queue.post(this.#busyUntil, this.#drain)
      }
      return
    }
    this.#work(fn)
  }

  readonly #inbox: Array<() => void> = []
  #draining = false

  readonly #drain = (): void => {
    this.#draining = false
    const fn = this.#inbox.shift()
    if (fn !== undefined) this.#work(fn)
    if (this.#inbox.length > 0) {
      this.#draining = true
      this.queue.post(this.#busyUntil, this.#drain)
    }
  }

  #work(fn: () => void): void {
    const now = this.queue.now()
    this.#spent = 0
    try {
      fn()
    } finally {
      this.#busyUntil = now + this.#spent
      this.#spent = 0
    }
  }

  /** The node's clock: whole milliseconds of virtual time, including the work of the running callback. */
  readonly clock: Clock = {
    now: () => Math.floor(this.queue.now() + this.#spent),
    monotonic: () => this.queue.now() + this.#spent
  }

  /** The node's scheduler: the shared queue, every callback run as this node's work. */
  readonly scheduler: Scheduler = {
    clock: this.clock,
    at: (timeMs: number, fn: () => void): Cancel =>
      this.queue.at(timeMs, () => {
        this.run(fn)
      })
  }
}
