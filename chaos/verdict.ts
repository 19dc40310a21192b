/**
 * The shape of a chaos suite's own judgement: pure functions of what a run observed (counts, flags,
 * samples), separate from the code that drives the run, so that each reason a suite fails has a unit test
 * (test/chaos/verdicts.test.ts) without starting a server.
 */

/** A suite's judgement: passed, or the names of the checks that failed (in the order they are checked). */
export interface Verdict<R extends string> {
  readonly passed: boolean
  readonly failures: readonly R[]
}

/**
 * A verdict from named failure conditions, each true when that failure happened. The names are the
 * reasons a report or a test can name; the order of `failed` is the order of `failures`.
 */
export function verdictOf<R extends string>(failed: Readonly<Record<R, boolean>>): Verdict<R> {
  const failures = (Object.keys(failed) as R[]).filter((k) => failed[k])
  return { passed: failures.length === 0, failures }
}
