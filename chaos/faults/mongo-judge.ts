/**
 * The judging of the MongoDB outage check (mongo.ts), as pure functions of what the workload recorded:
 * each operation with its phase, start, end and outcome, and the phases' time windows. mongo.ts drives the
 * proxy and the workload; what counts as a failure is decided here (test/chaos/verdicts.test.ts).
 */
import { type Verdict, verdictOf } from '../verdict.ts'

/** The outage check's phases, in order (mongo.ts PHASES). */
export type PhaseName = 'baseline' | 'slow' | 'blackhole' | 'heal' | 'refuse' | 'restored'
/** The phases in which the proxy lets nothing through. */
export const OUTAGES: ReadonlySet<PhaseName> = new Set(['blackhole', 'refuse'])

/** One operation of the workload, as it happened. */
export interface OpRecord {
  kind: 'create' | 'append' | 'activity' | 'read'
  phase: PhaseName
  start: number
  end: number
  ok: boolean
  /** The catalogue code, or `untyped: <name>` for an error outside the catalogue. */
  code?: string
  message?: string
}

/** A phase's time window (performance.now() ms). */
export interface PhaseWindow {
  readonly name: PhaseName
  readonly from: number
  readonly to: number
}

/** What judging the operations found. */
export interface OpsJudgement {
  /** Failed operations that overlap an outage (or its aftermath: up to the bound after it). */
  readonly failedInOutage: number
  /** Their times to error, ms. */
  readonly errorLatencies: number[]
  /** Failures without a catalogue code. */
  readonly untyped: number
  /** Operations that started and succeeded inside an outage: traffic went around the proxy. */
  readonly bypass: number
  /** Failures in the slow phase, outside any outage's reach. */
  readonly slowFailed: number
  /** Outage failures that took longer than the bound. */
  readonly overBound: number
  /** Failures by code. */
  readonly codes: ReadonlyMap<string, number>
  /** One line per problem, in the order of the operations. */
  readonly findings: string[]
}

/** Judges each operation against the outage windows and the bound every outage error must come within. */
export function judgeOps(ops: readonly OpRecord[], windows: readonly PhaseWindow[], bound: number): OpsJudgement {
  const outage = windows.filter((w) => OUTAGES.has(w.name))
  const inOutage = (t: number): boolean => outage.some((w) => t >= w.from && t < w.to)
  // An outage's effects outlast it by up to the bound: a check the driver started during the outage can
  // fail after the restore and clear the pool, failing operations that were just handed a connection
  // (MongoPoolClearedError, as LUCID_ERR_4005). Those count as the outage's failures, and are held to the
  // same rules; a failure later than that is a failure outside an outage.
  const overlapsOutage = (x: OpRecord): boolean => outage.some((w) => x.start < w.to + bound && x.end > w.from)
  const failedInOutage = ops.filter((x) => !x.ok && overlapsOutage(x))
  // Time to error runs from the later of the operation's start and the outage's: an operation that had
  // been making progress through the slow phase is not charged for it.
  const timeToError = (x: OpRecord): number => {
    const w = outage.find((v) => x.start < v.to + bound && x.end > v.from)
    return x.end - Math.max(x.start, w?.from ?? x.start)
  }
  const findings: string[] = []
  let untyped = 0
  let bypass = 0
  let slowFailed = 0
  let overBound = 0
  const codes = new Map<string, number>()
  for (const x of ops) {
    if (!x.ok) codes.set(x.code ?? '?', (codes.get(x.code ?? '?') ?? 0) + 1)
    if (!x.ok && x.code?.startsWith('untyped') === true) {
      untyped++
      findings.push(`${x.kind} in ${x.phase} failed without a catalogue code: ${x.code}: ${x.message ?? ''}`)
    }
    // An operation that both started and ended inside an outage cannot have reached the server: if it
    // succeeded, traffic went around the proxy and the check proves nothing.
    if (x.ok && inOutage(x.start) && inOutage(x.end)) {
      bypass++
      findings.push(`${x.kind} started and succeeded during ${x.phase}: traffic went around the proxy`)
    }
    if (!x.ok && !overlapsOutage(x)) {
      if (x.phase === 'slow') slowFailed++
      findings.push(`${x.kind} failed outside an outage (started in ${x.phase}): ${x.code ?? ''} ${x.message ?? ''}`)
    }
    if (!x.ok && overlapsOutage(x) && timeToError(x) > bound) {
      overBound++
      findings.push(`${x.kind} started in ${x.phase} took ${Math.round(timeToError(x))} ms to fail (bound ${bound} ms): ${x.code ?? ''} ${x.message ?? ''}`)
    }
  }
  if (failedInOutage.length === 0) findings.push('no operation failed during the outages: the faults did not reach the driver')
  return { failedInOutage: failedInOutage.length, errorLatencies: failedInOutage.map(timeToError), untyped, bypass, slowFailed, overBound, codes, findings }
}

/** Latencies (ms) of the operations that succeeded in a phase, outside any outage's reach. */
export function phaseLatencies(ops: readonly OpRecord[], windows: readonly PhaseWindow[], bound: number, name: PhaseName): number[] {
  const outage = windows.filter((w) => OUTAGES.has(w.name))
  return ops.filter((x) => x.ok && x.phase === name && !outage.some((w) => x.start < w.to + bound && x.end > w.from)).map((x) => x.end - x.start)
}

/** What the outage check observed, beside the operations' judgement. */
export interface OutageObservations {
  /** Every worker finished within the bound after the workload stopped. */
  readonly settled: boolean
  /** An operation succeeded after both the blackhole and the refusal ended. */
  readonly recovered: boolean
  /** Acknowledged writes missing at the end. */
  readonly lost: number
  /** Writes found in part. */
  readonly torn: number
  readonly ops: Pick<OpsJudgement, 'untyped' | 'bypass' | 'overBound' | 'slowFailed' | 'failedInOutage'>
}

/** Why the outage check failed. */
export type OutageFailure =
  | 'hung_operations'
  | 'not_recovered'
  | 'acked_lost'
  | 'torn'
  | 'untyped_errors'
  | 'bypassed_proxy'
  | 'errors_over_bound'
  | 'slow_ops_failed'
  | 'no_outage_failures'

/**
 * The outage check's verdict: no operation hung, recovery after both outages, no acknowledged write lost,
 * nothing torn, every error typed and within its bound, nothing around the proxy, no failure in the slow
 * phase, and the outages did reach the driver.
 */
export function outageVerdict(o: OutageObservations): Verdict<OutageFailure> {
  return verdictOf<OutageFailure>({
    hung_operations: !o.settled,
    not_recovered: !o.recovered,
    acked_lost: o.lost !== 0,
    torn: o.torn !== 0,
    untyped_errors: o.ops.untyped !== 0,
    bypassed_proxy: o.ops.bypass !== 0,
    errors_over_bound: o.ops.overBound !== 0,
    slow_ops_failed: o.ops.slowFailed !== 0,
    no_outage_failures: o.ops.failedInOutage === 0
  })
}
