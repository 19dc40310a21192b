/**
 * The simulator's event queue: a binary heap of callbacks ordered by (virtual time, insertion order), on a
 * ManualClock. It implements the chain's Scheduler, so real chain code schedules its timers on it unchanged.
 * A heap rather than ManualScheduler's sorted array: a hundred nodes keep thousands of messages in flight, and
 * an array's splice and shift are O(n) per event where a heap is O(log n).
 *
 * Virtual time is a float in ms (signature costs are fractions of a millisecond); the clock it moves is what
 * the simulator reads, while nodes see whole milliseconds through their own clocks (see cpu.ts), as the
 * chain's integer timestamps require.
 */
import { ManualClock } from '../../services/common/clock.ts'
import type { Cancel, Scheduler } from '../../services/chain/index.ts'

interface Event {
  readonly time: number
  readonly seq: number
  readonly fn: () => void
  cancelled: boolean
}

/** Events between two onTick calls (a power of two). */
export const TICK_EVENTS = 65_536
const TICK_MASK = TICK_EVENTS - 1

const before = (a: Event, b: Event): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq)

/** A deterministic discrete-event queue: same insertions, same order of execution. */
export class EventQueue implements Scheduler {
  readonly clock: ManualClock
  readonly #heap: Event[] = []
  #seq = 0
  #interrupted = false
  /** Events run so far (cancelled ones excluded). */
  executed = 0
  /**
   * Called after every TICK_EVENTS events run (progress reports). Not an event: it changes neither the order
   * nor the count of events, so a run with a tick is the run without one.
   */
  onTick: (() => void) | undefined

  /** @param start virtual time of the first instant, ms */
  constructor(start: number) {
    this.clock = new ManualClock(start)
  }

  /** Current virtual time, ms (fractional). */
  now(): number {
    return this.clock.now()
  }

  at(timeMs: number, fn: () => void): Cancel {
    const e = this.#push(timeMs, fn)
    return () => {
      e.cancelled = true
    }
  }

  /** at() for an event nobody cancels (a message in flight, a CPU's inbox): the same order, no canceller made. */
  post(timeMs: number, fn: () => void): void {
    this.#push(timeMs, fn)
  }

  #push(timeMs: number, fn: () => void): Event {
    const e: Event = { time: Math.max(timeMs, this.clock.now()), seq: this.#seq++, fn, cancelled: false }
    const h = this.#heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = h[parent] as Event
      if (!before(e, p)) break
      h[i] = p
      i = parent
    }
    h[i] = e
    return e
  }

  /** Stops runUntil after the event that is running (to await asynchronous work, e.g. a sync). */
  interrupt(): void {
    this.#interrupted = true
  }

  /**
   * Runs every event due up to `timeMs` in order, moving the clock to each; leaves the clock at `timeMs`.
   * Returns false when interrupt() stopped it early (the clock then stays at the interrupting event).
   */
  runUntil(timeMs: number): boolean {
    this.#interrupted = false
    for (;;) {
      const next = this.#heap[0]
      if (next === undefined || next.time > timeMs) break
      this.#pop()
      if (next.cancelled) continue
      if (next.time > this.clock.now()) this.clock.advance(next.time - this.clock.now())
      this.executed++
      next.fn()
      if ((this.executed & TICK_MASK) === 0 && this.onTick !== undefined) this.onTick()
      if (this.#interrupted) return false
    }
    if (timeMs > this.clock.now()) this.clock.advance(timeMs - this.clock.now())
    return true
  }

  /** Events queued (cancelled ones included until their time comes). */
  get pending(): number {
    return this.#heap.length
  }

  #pop(): void {
    const h = this.#heap
    const last = h.pop() as Event
    if (h.length === 0) return
    let i = 0
    const n = h.length
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && before(h[r] as Event, h[l] as Event) ? r : l
      if (!before(h[c] as Event, last)) break
      h[i] = h[c] as Event
      i = c
    }
    h[i] = last
  }
}

/**
 * The same-process yardstick of a run's speed: events per second of a bare EventQueue, `pending` chains of
 * events each scheduling its next at a seeded pseudo-random later time (as messages and timers do), `events`
 * in all. What this machine does per event with no chain code at all, measured beside the run it anchors, so
 * that a run's events per second divided by it compares across machines and loads.
 */
export function queueBaseline(events = 1_000_000, pending = 2048): number {
  const q = new EventQueue(0)
  let x = 1
  const next = (): number => {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0
    return x / 2 ** 32
  }
  let left = events
  const step = (): void => {
    if (--left > 0) q.at(q.now() + 1 + 100 * next(), step)
  }
  for (let i = 0; i < pending; i++) q.at(100 * next(), step)
  const t0 = performance.now()
  q.runUntil(1e12)
  return q.executed / ((performance.now() - t0) / 1000)
}
