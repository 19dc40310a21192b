/**
 * Load scenarios of the original locustfile, custom ones, and the arithmetic shared by every run:
 * which kind each user is (by weight), when each starts (spawn rate), and how `--time-scale N` compresses a
 * run (waits and durations divided by N, spawn rate multiplied by N: the same shape at N times the rate).
 */
import { CONTRACT_USERS } from '../users/contract.ts'
import type { UserKind } from '../users/types.ts'

/** A scenario. */
export interface Scenario {
  readonly name: string
  readonly users: number
  /** Users started per second. */
  readonly spawnRate: number
  readonly durationS: number
  readonly kinds: readonly UserKind[]
}

/** The original's scenarios, with their user counts, spawn rates and durations. */
export const SCENARIOS: Readonly<Record<'light' | 'medium' | 'heavy' | 'stress', Scenario>> = {
  light: { name: 'light', users: 50, spawnRate: 5, durationS: 5 * 60, kinds: CONTRACT_USERS },
  medium: { name: 'medium', users: 200, spawnRate: 10, durationS: 10 * 60, kinds: CONTRACT_USERS },
  heavy: { name: 'heavy', users: 500, spawnRate: 20, durationS: 15 * 60, kinds: CONTRACT_USERS },
  stress: { name: 'stress', users: 1000, spawnRate: 50, durationS: 20 * 60, kinds: CONTRACT_USERS }
}

/** A scenario with some of its numbers replaced (`--users`, `--spawn-rate`, `--duration`). */
export function customScenario(base: Scenario, over: { users?: number; spawnRate?: number; durationS?: number }): Scenario {
  const changed = over.users !== undefined || over.spawnRate !== undefined || over.durationS !== undefined
  return { ...base, ...over, name: changed ? `${base.name} (custom)` : base.name }
}

/** The run as it will happen under `--time-scale N`. */
export interface ScaledRun {
  readonly scenario: Scenario
  readonly timeScale: number
  /** Wall-clock seconds the run lasts. */
  readonly durationS: number
  /** Users started per wall-clock second. */
  readonly spawnRate: number
  /** Divisor applied to every wait. */
  readonly waitDivisor: number
}

/** Applies `--time-scale`: waits and the duration divided by N, the spawn rate multiplied by N. */
export function scaleRun(scenario: Scenario, timeScale = 1): ScaledRun {
  if (!(timeScale >= 1)) throw new RangeError('time scale must be >= 1')
  return { scenario, timeScale, durationS: scenario.durationS / timeScale, spawnRate: scenario.spawnRate * timeScale, waitDivisor: timeScale }
}

/** Wall-clock second at which user `i` (0-based) starts: users arrive evenly at the spawn rate. */
export function spawnAt(i: number, spawnRate: number): number {
  return i / spawnRate
}

/**
 * Which kind each of `users` users is, by weight, the way Locust distributes them: the largest-remainder
 * split of the count, then interleaved so that any prefix (the users spawned so far) is mixed too.
 */
export function assignKinds(users: number, kinds: readonly UserKind[]): UserKind[] {
  const total = kinds.reduce((a, k) => a + k.weight, 0)
  const exact = kinds.map((k) => (users * k.weight) / total)
  const counts = exact.map(Math.floor)
  const byRemainder = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i)
  for (let left = users - counts.reduce((a, b) => a + b, 0), j = 0; left > 0; left--, j++) counts[byRemainder[j]!.i]!++
  // Interleave: repeatedly take from the kind furthest behind its share.
  const out: UserKind[] = []
  const taken = kinds.map(() => 0)
  for (let n = 0; n < users; n++) {
    let best = -1
    let bestLag = -Infinity
    kinds.forEach((_, i) => {
      if (taken[i]! >= counts[i]!) return
      const lag = ((n + 1) * counts[i]!) / users - taken[i]!
      if (lag > bestLag) {
        bestLag = lag
        best = i
      }
    })
    out.push(kinds[best]!)
    taken[best]!++
  }
  return out
}
