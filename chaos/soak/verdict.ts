/**
 * The soak suite's judgement (index.ts drives the run, fit.ts fits the samples), as a pure function of the
 * leak verdicts, the number of samples and the contract users' error ratio. Unit-tested in
 * test/chaos/verdicts.test.ts.
 */
import { type Verdict, verdictOf } from '../verdict.ts'
import type { LeakVerdict } from './fit.ts'

/** What a soak run observed. */
export interface SoakObservations {
  /** The judged resources' leak verdicts (analyseSoak's `verdicts`; the reported-only ones are not judged). */
  readonly verdicts: Readonly<Record<string, LeakVerdict>>
  readonly samples: number
  /** Failed requests over requests of the contract users (1 when there were none). */
  readonly errorRatio: number
}

/** Why the soak suite failed. */
export type SoakFailure = 'leak' | 'too_few_samples' | 'error_ratio'

/** The most failures the moderate traffic may have before the run says more about errors than about leaks. */
export const SOAK_MAX_ERROR_RATIO = 0.05

/**
 * The soak suite's verdict and its findings: no judged resource leaks, at least 3 samples (a line through
 * fewer says nothing), and an error ratio within SOAK_MAX_ERROR_RATIO.
 */
export function soakVerdict(o: SoakObservations): Verdict<SoakFailure> & { findings: string[] } {
  const leaks = Object.values(o.verdicts).filter((v) => v.leak)
  const findings = leaks.map((v) => v.reason)
  if (o.errorRatio > SOAK_MAX_ERROR_RATIO) findings.push(`error ratio ${o.errorRatio.toFixed(3)} under moderate traffic (contract users' failures)`)
  const v = verdictOf<SoakFailure>({ leak: leaks.length > 0, too_few_samples: o.samples < 3, error_ratio: o.errorRatio > SOAK_MAX_ERROR_RATIO })
  return { ...v, findings }
}
