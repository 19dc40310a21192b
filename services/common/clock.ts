/**
 * Time is injected so the same code runs in real time and in the virtual-time simulator.
 * `now()` is wall-clock milliseconds since the epoch, `monotonic()` a monotonic millisecond reading.
 */
export interface Clock {
  /** Wall-clock time, ms since the Unix epoch. */
  now(): number
  /** Monotonic time in ms (fractional), for durations. */
  monotonic(): number
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now()
}

/** A clock moved by hand (tests, simulation). */
export class ManualClock implements Clock {
  #t: number
  /** @param start initial time in ms */
  constructor(start = 0) {
    this.#t = start
  }
  now(): number {
    return this.#t
  }
  monotonic(): number {
    return this.#t
  }
  /** Move time forward by `ms`. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('time only moves forward')
    this.#t += ms
  }
}
