/**
 * The judgements of `lucid chaos --suite faults` and of its checks (kill cycles, validator processes, power
 * cuts), as pure functions of what a run counted. The drivers (index.ts, validators.ts, power-cut.ts) only
 * count; what makes a run fail is decided here, and unit-tested (test/chaos/verdicts.test.ts).
 */
import { type Verdict, verdictOf } from '../verdict.ts'

/** What the kill cycles of the faults suite counted, and the verdicts of the checks it ran after them. */
export interface FaultsObservations {
  readonly cycles: number
  readonly lostWrites: number
  readonly tornRecords: number
  readonly nonceCollisions: number
  readonly revertedBlocks: number
  readonly startupFailures: number
  readonly unexpectedAnswers: number
  /** Restarts after which the chain finalised no new block within its bound. */
  readonly chainStalls: number
  /** The MongoDB outage check's own verdict (true when it was skipped: a skip is reported in the conditions). */
  readonly mongoPassed: boolean
  readonly validatorProcessesPassed: boolean
  readonly powerCutPassed: boolean
}

/** Why the faults suite failed. */
export type FaultsFailure =
  | 'no_cycles'
  | 'lost_writes'
  | 'torn_records'
  | 'nonce_collisions'
  | 'reverted_blocks'
  | 'startup_failures'
  | 'unexpected_answers'
  | 'chain_stalls'
  | 'mongo_outage'
  | 'validator_processes'
  | 'power_cut'

/** The faults suite's verdict: at least one cycle, nothing lost, torn, reused, reverted, stalled or unexpected, and every check passed. */
export function faultsVerdict(o: FaultsObservations): Verdict<FaultsFailure> {
  return verdictOf<FaultsFailure>({
    no_cycles: o.cycles <= 0,
    lost_writes: o.lostWrites !== 0,
    torn_records: o.tornRecords !== 0,
    nonce_collisions: o.nonceCollisions !== 0,
    reverted_blocks: o.revertedBlocks !== 0,
    startup_failures: o.startupFailures !== 0,
    unexpected_answers: o.unexpectedAnswers !== 0,
    chain_stalls: o.chainStalls !== 0,
    mongo_outage: !o.mongoPassed,
    validator_processes: !o.validatorProcessesPassed,
    power_cut: !o.powerCutPassed
  })
}

/** What the power-cut cycles counted. */
export interface PowerCutObservations {
  readonly cuts: number
  readonly lostWrites: number
  readonly tornRecords: number
  readonly revertedBlocks: number
  readonly startupFailures: number
  readonly unexpectedAnswers: number
}

/** Why the power-cut check failed. */
export type PowerCutFailure = 'no_cuts' | 'lost_writes' | 'torn_records' | 'reverted_blocks' | 'startup_failures' | 'unexpected_answers'

/** The power-cut check's verdict: at least one cut, and nothing lost, torn, reverted or unexpected. */
export function powerCutVerdict(o: PowerCutObservations): Verdict<PowerCutFailure> {
  return verdictOf<PowerCutFailure>({
    no_cuts: o.cuts <= 0,
    lost_writes: o.lostWrites !== 0,
    torn_records: o.tornRecords !== 0,
    reverted_blocks: o.revertedBlocks !== 0,
    startup_failures: o.startupFailures !== 0,
    unexpected_answers: o.unexpectedAnswers !== 0
  })
}

/** What the validator-process kill cycles counted. */
export interface ValidatorKillObservations {
  readonly cycles: number
  readonly reverted: number
  readonly stalls: number
  /** Restarted nodes that did not catch up, and archives that did not read or replay. */
  readonly failedCatchUps: number
}

/** Why the validator-process check failed. */
export type ValidatorKillFailure = 'no_cycles' | 'reverted' | 'stalls' | 'failed_catch_ups'

/** The validator-process check's verdict: at least one cycle, no final block reverted, finality went on, every node caught up. */
export function validatorKillVerdict(o: ValidatorKillObservations): Verdict<ValidatorKillFailure> {
  return verdictOf<ValidatorKillFailure>({
    no_cycles: o.cycles <= 0,
    reverted: o.reverted !== 0,
    stalls: o.stalls !== 0,
    failed_catch_ups: o.failedCatchUps !== 0
  })
}
