/**
 * The overload suite's judgement (index.ts drives the run), as a pure function of what it observed: the
 * gateway process, the /health probes during the burst, recovery afterwards, and the answers by class.
 * Unit-tested in test/chaos/verdicts.test.ts.
 */
import { type Verdict, verdictOf } from '../verdict.ts'

/** What an overload run observed. */
export interface OverloadObservations {
  /** Times the gateway process was found gone (0 or 1). */
  readonly crashes: number
  /** The burst's planned length, the time scale and the flood's clients: the crash finding names them. */
  readonly burstS: number
  readonly timeScale: number
  readonly floodClients: number
  /** /health probes during the burst, and how many of them failed. */
  readonly probes: number
  readonly failedProbes: number
  /** Whether /health and a normal request mix came back within bounds, and the last mix's outcome. */
  readonly recovered: boolean
  readonly recoveryWindowS: number
  readonly lastMix: string
  /** Answers by class, over the simulated users and the login flood. */
  readonly serverErrors: number
  readonly withoutCode: number
  readonly shed: number
  readonly limited: number
  /** Examples of the server errors and of the answers without code (at most 10 are reported). */
  readonly examples: readonly string[]
}

/** Why the overload suite failed. */
export type OverloadFailure = 'crash' | 'health_failed' | 'not_recovered' | 'server_errors' | 'responses_without_code' | 'nothing_shed'

/**
 * The overload suite's verdict and its findings: no crash, every /health probe answered during the burst,
 * recovery within the window, no server error (a 5xx other than the intended shedding) and no error
 * without a code, and some load shed (429 or 503 with a shedding code): a burst that shed nothing did not
 * test the shedding.
 */
export function overloadVerdict(o: OverloadObservations): Verdict<OverloadFailure> & { findings: string[] } {
  const healthFailed = o.probes === 0 || o.failedProbes > 0
  const v = verdictOf<OverloadFailure>({
    crash: o.crashes > 0,
    health_failed: healthFailed,
    // A crashed gateway does not recover: the crash is the finding.
    not_recovered: !o.recovered && o.crashes === 0,
    server_errors: o.serverErrors > 0,
    responses_without_code: o.withoutCode > 0,
    nothing_shed: o.shed + o.limited === 0
  })
  const findings: string[] = []
  if (o.crashes > 0)
    findings.push(
      `crash: the gateway process exited during the overload run (burst ${o.burstS} s at ${o.timeScale}x the stress scenario plus a ${o.floodClients}-client login flood)`
    )
  if (healthFailed) findings.push(`/health failed ${o.failedProbes} of ${o.probes} probes during the burst`)
  if (v.failures.includes('not_recovered')) findings.push(`not recovered ${o.recoveryWindowS} s after the burst: the last normal request mix: ${o.lastMix}`)
  findings.push(...o.examples.slice(0, 10))
  if (v.failures.includes('nothing_shed'))
    findings.push('no load was shed (no 429 and no 503 with a shedding code): the burst did not overload the gateway, or it does not shed')
  return { ...v, findings }
}
