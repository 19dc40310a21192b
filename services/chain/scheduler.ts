/**
 * Timers behind an interface: the devnet runs on real timers, tests and the simulator on a ManualScheduler
 * whose queue of events moves a ManualClock. The chain code never calls setTimeout itself.
 */
import { ManualClock, systemClock, type Clock } from '../common/clock.ts'

/** Cancels a scheduled callback (no effect once it ran). */
export type Cancel = () => void

/** Runs callbacks at wall-clock times of its clock. */
export interface Scheduler {
  readonly clock: Clock
  /** Runs `fn` at `timeMs` (ms since the epoch on `clock`), or as soon as possible if that is past. */
  at(timeMs: number, fn: () => void): Cancel
}

/** Real timers on the system clock. */
export function realScheduler(clock: Clock = systemClock): Scheduler {
  return {
    clock,
    at(timeMs, fn) {
      const t = setTimeout(fn, Math.max(0, timeMs - clock.now()))
      return () => clearTimeout(t)
    }
  }
}

interface Pending {
  readonly time: number
  readonly seq: number
  readonly fn: () => void
  cancelled: boolean
}

/**
 * A discrete-event scheduler over a ManualClock: `runUntil(t)` runs every callback due by `t` in time order
 * (ties in the order they were scheduled), moving the clock to each one's time. Deterministic by design.
 */
export class ManualScheduler implements Scheduler {
  readonly clock: ManualClock
  #queue: Pending[] = []
  #seq = 0

  /** @param clock the clock this scheduler moves (default: a new one at `start`) */
  constructor(clock?: ManualClock, start = 0) {
    this.clock = clock ?? new ManualClock(start)
  }

  at(timeMs: number, fn: () => void): Cancel {
    const p: Pending = { time: Math.max(timeMs, this.clock.now()), seq: this.#seq++, fn, cancelled: false }
    // Binary insertion keeps the queue sorted by (time, seq).
    let lo = 0
    let hi = this.#queue.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const q = this.#queue[mid] as Pending
      if (q.time < p.time || (q.time === p.time && q.seq < p.seq)) lo = mid + 1
      else hi = mid
    }
    this.#queue.splice(lo, 0, p)
    return () => {
      p.cancelled = true
    }
  }

  /** Runs everything due up to `timeMs`, then leaves the clock at `timeMs`. */
  runUntil(timeMs: number): void {
    for (;;) {
      const next = this.#queue[0]
      if (next === undefined || next.time > timeMs) break
      this.#queue.shift()
      if (next.cancelled) continue
      this.clock.advance(next.time - this.clock.now())
      next.fn()
    }
    if (timeMs > this.clock.now()) this.clock.advance(timeMs - this.clock.now())
  }

  /** Runs everything due in the next `ms`. */
  advance(ms: number): void {
    this.runUntil(this.clock.now() + ms)
  }

  /** Callbacks still queued (cancelled ones included until their time passes). */
  get pending(): number {
    return this.#queue.length
  }
}
