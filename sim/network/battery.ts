/**
 * The consensus battery (docs/sim.md, "Consensus battery"): the real chain code on the virtual clock under
 * every fault the chain must survive, many seeds each, judged run by run with simVerdict. This file holds the
 * plans (profiles), the scenario list, each run's options (fault placement drawn from a seeded RNG, so a
 * seed fixes the run), the aggregation over seeds and the battery's verdict; battery-run.ts spreads the runs
 * over worker threads.
 *
 * A scenario is one fault at one network size. With K = min(nodes, committee_size) committee members and
 * f = floor((K - 1) / 3) (5 of 16; 1 of 4):
 * - loss 1 %, 2 %, 5 % of every message, the whole run;
 * - a 1-minute and a 10-minute partition that heals, as halves (each side half the committee and half the
 *   rest: neither keeps a quorum) and as minority against majority (f committee members and the same share of
 *   the rest against the others: the majority keeps a quorum);
 * - f byzantine committee members (the heaviest) for the whole run: equivocating proposer, silent voter,
 *   double voter (sim/network/byzantine.ts);
 * - f committee members (drawn per seed) each crash once at a random ms (so at a random point of a round)
 *   and restart 1-3 minutes later.
 * - sybil: one operator joins with 4 identities that vote and flood receipted relay claims, beside one honest
 *   newcomer, over 16 epochs of 48 slots (docs/chain.md, "Credits"): the operator must not hold a third of the
 *   committee's weight before the E2 bound, and the newcomer must sit on a committee with room by E1.
 * Partitions start 5 minutes after genesis plus a random ms within a slot.
 */
import { DEFAULT_PARAMS } from '../../services/chain/index.ts'
import { createRng } from '../../services/common/rng.ts'
import type { Behaviour } from './byzantine.ts'
import { MAX_STALL_SLOTS, meanStdev, percentile, simVerdict, type SimFigures } from './figures.ts'
import type { SimOptions } from './simulate.ts'
import type { CrashWindow, PartitionWindow } from './spec.ts'

/** The battery's goal: no stall of more than 3 slots after a fault ends (reported, never failing). */
export const GOAL_STALL_SLOTS = 3

/** The battery's sizes: smoke (seconds, for the bench's smoke profile), quick (the issue's), full (100 nodes). */
export type BatteryProfile = 'smoke' | 'quick' | 'full'

/** What a profile runs: every scenario at every size, for every seed. */
export interface BatteryPlan {
  readonly profile: BatteryProfile
  readonly sizes: readonly number[]
  readonly durationMs: number
  readonly seeds: readonly number[]
}

const MIN = 60_000
const seedRange = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1)

/**
 * The profiles. quick: 4 and 20 nodes, 30 simulated minutes, 20 seeds (the issue's bounds; ~560 s
 * of CPU, ~5 minutes of wall time on 2 idle cores). full: 100 nodes, 1 hour, 5 seeds (a 100-node hour costs ~20 s of
 * CPU; 5 seeds keep the whole at ~10-15 minutes on 2 cores). smoke: 4 nodes, 20 minutes, 2 seeds (the bench's smoke profile).
 */
export const BATTERY_PLANS: Readonly<Record<BatteryProfile, BatteryPlan>> = {
  smoke: { profile: 'smoke', sizes: [4], durationMs: 20 * MIN, seeds: seedRange(2) },
  quick: { profile: 'quick', sizes: [4, 20], durationMs: 30 * MIN, seeds: seedRange(20) },
  full: { profile: 'full', sizes: [100], durationMs: 60 * MIN, seeds: seedRange(5) }
}

/** The fault of a scenario. */
export type BatteryFault =
  | { readonly kind: 'loss'; readonly loss: number }
  | { readonly kind: 'partition'; readonly lengthMs: number; readonly split: 'halves' | 'minority' }
  | { readonly kind: 'byzantine'; readonly behaviour: Behaviour }
  | { readonly kind: 'crash'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'sybil'; readonly identities: number }

/** One scenario: a fault at a network size, run for `durationMs` per seed. */
export interface BatteryScenario {
  /** `n4_loss_1pct`, `n20_partition_10m_minority`, `n100_byzantine_silent`, ... (a report id after `chain.battery_`). */
  readonly id: string
  readonly nodes: number
  readonly durationMs: number
  readonly fault: BatteryFault
  /**
   * At most this many of the plan's seeds (the sybil scenario: an economic bound that varies little from seed to
   * seed, in runs 4.5 times as long as the others'); all of them when absent.
   */
  readonly maxSeeds?: number
}

/** The seeds a scenario runs: the plan's, up to the scenario's cap. */
export function scenarioSeeds(s: BatteryScenario, plan: BatteryPlan): readonly number[] {
  return s.maxSeeds === undefined ? plan.seeds : plan.seeds.slice(0, s.maxSeeds)
}

/** Committee members and the byzantine (and crash) budget f at a size: K = min(nodes, committee_size), f = floor((K - 1) / 3). */
export function committeeOf(nodes: number): { readonly k: number; readonly f: number } {
  const k = Math.min(nodes, DEFAULT_PARAMS.committee_size)
  return { k, f: Math.floor((k - 1) / 3) }
}

/** Partitions start this long after genesis (plus a random ms within a slot). */
const FAULT_START_MS = 5 * MIN

/** The battery's faults, in report order. */
export const BATTERY_FAULTS: readonly BatteryFault[] = [
  { kind: 'loss', loss: 0.01 },
  { kind: 'loss', loss: 0.02 },
  { kind: 'loss', loss: 0.05 },
  { kind: 'partition', lengthMs: MIN, split: 'halves' },
  { kind: 'partition', lengthMs: MIN, split: 'minority' },
  { kind: 'partition', lengthMs: 10 * MIN, split: 'halves' },
  { kind: 'partition', lengthMs: 10 * MIN, split: 'minority' },
  { kind: 'byzantine', behaviour: 'equivocate' },
  { kind: 'byzantine', behaviour: 'silent' },
  { kind: 'byzantine', behaviour: 'double' },
  { kind: 'crash', minMs: MIN, maxMs: 3 * MIN },
  { kind: 'sybil', identities: 4 }
]

/**
 * The sybil scenario's epochs: 48 slots (8 simulated minutes); 16 judged (the run lasts one more, whose ranking the
 * 16th fixes), past the E2 bound at genesis (14).
 */
const SYBIL_SLOTS_PER_EPOCH = 48
const SYBIL_EPOCHS = 16
/** Seeds of the sybil scenario, at most. */
const SYBIL_SEEDS = 5

/** A fault's name within a size: `loss_1pct`, `partition_1m_halves`, `byzantine_equivocate`, `crash`. */
export function faultName(f: BatteryFault): string {
  switch (f.kind) {
    case 'loss':
      return `loss_${String(Math.round(f.loss * 1000) / 10).replace('.', '_')}pct`
    case 'partition':
      return `partition_${f.lengthMs / MIN}m_${f.split}`
    case 'byzantine':
      return `byzantine_${f.behaviour}`
    case 'crash':
      return 'crash'
    case 'sybil':
      return `sybil_${f.identities}`
  }
}

/** A scenario at a size. */
export function scenario(nodes: number, durationMs: number, fault: BatteryFault): BatteryScenario {
  return { id: `n${nodes}_${faultName(fault)}`, nodes, durationMs, fault, ...(fault.kind === 'sybil' ? { maxSeeds: SYBIL_SEEDS } : {}) }
}

/** The scenarios of a plan: every fault at every size, in the plan's order. */
export function batteryScenarios(plan: BatteryPlan): BatteryScenario[] {
  return plan.sizes.flatMap((n) =>
    BATTERY_FAULTS.map((f) => scenario(n, f.kind === 'sybil' ? (SYBIL_EPOCHS + 1) * SYBIL_SLOTS_PER_EPOCH * DEFAULT_PARAMS.slot_ms : plan.durationMs, f))
  )
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i)

/**
 * The two groups of a partition. Halves: half the committee and half the rest on each side. Minority: the
 * last f committee members and the same share of the other nodes, against everyone else.
 */
export function partitionGroups(nodes: number, split: 'halves' | 'minority'): [number[], number[]] {
  const { k, f } = committeeOf(nodes)
  const rest = nodes - k
  const [c, r] = split === 'halves' ? [Math.floor(k / 2), Math.floor(rest / 2)] : [k - f, rest - Math.floor((rest * f) / k)]
  return [
    [...range(0, c), ...range(k, k + r)],
    [...range(c, k), ...range(k + r, nodes)]
  ]
}

/** The fault's conditions, for the report. */
export function scenarioConditions(s: BatteryScenario): Record<string, string | number> {
  const { k, f } = committeeOf(s.nodes)
  const base = { nodes: s.nodes, duration_s: s.durationMs / 1000, committee: k, fault: s.fault.kind }
  switch (s.fault.kind) {
    case 'loss':
      return { ...base, loss: s.fault.loss }
    case 'partition': {
      const [a, b] = partitionGroups(s.nodes, s.fault.split)
      return {
        ...base,
        partition_s: s.fault.lengthMs / 1000,
        split: s.fault.split,
        groups: `${a.length}|${b.length} nodes, ${a.filter((i) => i < k).length}|${b.filter((i) => i < k).length} committee`,
        start: `${FAULT_START_MS / 1000} s + a random ms within the slot`
      }
    }
    case 'byzantine':
      return { ...base, byzantine: f, behaviour: s.fault.behaviour }
    case 'crash':
      return { ...base, crashed: f, crash_s: `${s.fault.minMs / 1000}-${s.fault.maxMs / 1000}`, start: 'a random ms in [2 min, half the run), per node' }
    case 'sybil':
      return { ...base, newcomers: 1, sybil_identities: s.fault.identities, slots_per_epoch: SYBIL_SLOTS_PER_EPOCH, epochs: SYBIL_EPOCHS }
  }
}

/** The simulator's options for one seed of a scenario: plain data (it crosses to a worker thread). */
export function scenarioOptions(s: BatteryScenario, seed: number): SimOptions {
  // Fault placement has its own stream, so it does not shift the simulator's draws.
  const rng = createRng((seed * 0x9e3779b1 + 0xba77) >>> 0)
  const base = { nodes: s.nodes, durationMs: s.durationMs, seed, freshSync: false }
  const slot = DEFAULT_PARAMS.slot_ms
  const { k, f } = committeeOf(s.nodes)
  switch (s.fault.kind) {
    case 'loss':
      return { ...base, loss: s.fault.loss }
    case 'byzantine':
      return { ...base, byzantine: f, behaviour: s.fault.behaviour }
    case 'partition': {
      const fromMs = FAULT_START_MS + rng.int(0, slot - 1)
      const p: PartitionWindow = { fromMs, toMs: fromMs + s.fault.lengthMs, groups: partitionGroups(s.nodes, s.fault.split) }
      return { ...base, partitions: [p] }
    }
    case 'crash': {
      const { minMs, maxMs } = s.fault
      const members = range(0, k)
      for (let i = members.length - 1; i > 0; i--) {
        const j = rng.int(0, i)
        ;[members[i], members[j]] = [members[j] as number, members[i] as number]
      }
      const crashes: CrashWindow[] = members
        .slice(0, f)
        .sort((a, b) => a - b)
        .map((node) => {
          const fromMs = rng.int(2 * MIN, Math.floor(s.durationMs / 2) - 1)
          return { fromMs, toMs: fromMs + rng.int(minMs, maxMs), nodes: [node] }
        })
      return { ...base, crashes }
    }
    case 'sybil':
      return { ...base, params: { slots_per_epoch: SYBIL_SLOTS_PER_EPOCH }, newcomers: { honest: 1, sybils: s.fault.identities } }
  }
}

/** `0-7,16-17` for [0..7, 16, 17]. */
function nodeList(nodes: readonly number[]): string {
  const out: string[] = []
  for (let i = 0; i < nodes.length; ) {
    let j = i
    while (j + 1 < nodes.length && (nodes[j + 1] as number) === (nodes[j] as number) + 1) j++
    out.push(j === i ? String(nodes[i]) : `${nodes[i] as number}-${nodes[j] as number}`)
    i = j + 1
  }
  return out.join(',')
}

/** The single `lucid sim chain` run that reproduces one seed of a scenario (the same figures, plus a fresh-node sync). */
export function reproduceCommand(s: BatteryScenario, seed: number): string {
  const o = scenarioOptions(s, seed)
  const args = [`--nodes ${o.nodes}`, `--duration ${o.durationMs / 1000}s`, `--seed ${seed}`]
  if (o.loss !== undefined) args.push(`--loss ${o.loss}`)
  if (o.byzantine !== undefined) args.push(`--byzantine ${o.byzantine} --behaviour ${o.behaviour ?? 'equivocate'}`)
  if (o.newcomers !== undefined) args.push(`--newcomers ${o.newcomers.honest ?? 1} --sybils ${o.newcomers.sybils ?? 0}`)
  if (o.params?.slots_per_epoch !== undefined) args.push(`--slots-per-epoch ${o.params.slots_per_epoch}`)
  const spans = (w: ReadonlyArray<{ fromMs: number; toMs: number }>, what: (i: number) => string): string =>
    w.map((x, i) => `${x.fromMs}ms-${x.toMs}ms:${what(i)}`).join(';')
  const partitions = o.partitions ?? []
  if (partitions.length > 0) args.push(`--partition '${spans(partitions, (i) => (partitions[i]?.groups ?? []).map(nodeList).join('|'))}'`)
  const crashes = o.crashes ?? []
  if (crashes.length > 0) args.push(`--crash '${spans(crashes, (i) => nodeList(crashes[i]?.nodes ?? []))}'`)
  return `lucid sim chain ${args.join(' ')}`
}

/** One finished run: its figures, or why it produced none (the simulation threw). */
export interface BatteryRun {
  readonly scenario: string
  readonly seed: number
  readonly figures?: SimFigures
  readonly error?: string
}

/** A scenario over its seeds. */
export interface ScenarioSummary {
  readonly scenario: BatteryScenario
  /** Seeds planned and seeds that produced figures. */
  readonly seedsPlanned: number
  readonly runs: number
  /** Runs that failed simVerdict (or produced no figures), with the reasons. */
  readonly failures: ReadonlyArray<{ readonly seed: number; readonly reasons: readonly string[] }>
  /** Safety violations (heights with two final blocks), summed over the seeds. */
  readonly safetyViolations: number
  /** The longest stall after the fault ended, over the seeds: seconds, slots, and the seed it came from. */
  readonly stallAfterFaultS: number
  readonly stallSlots: number
  readonly worstSeed: number
  /** The median of the runs' finality p50s and the largest of their p99s. */
  readonly finalityP50S: number
  readonly finalityP99S: number
  /** Messages sent per final block, the mean over the seeds. */
  readonly messagesPerBlock: number
  /** Final blocks, the mean over the seeds. */
  readonly blocksMean: number
  /** Wall time of the runs, summed (CPU time of the workers, roughly). */
  readonly wallS: number
  /** Every seed ran, every run passed simVerdict and every figure above is finite. */
  readonly pass: boolean
  /** The longest stall after the fault is within the goal (GOAL_STALL_SLOTS). */
  readonly goalMet: boolean
  /** Seeds whose stall after the fault exceeded the goal (investigate these first). */
  readonly overGoal: readonly number[]
  /** Sybil scenarios: the earliest epoch (over the seeds) the operator held a third (epochs + 1 when never), and its E2 bound. */
  readonly sybilCaptureEpoch?: number
  readonly e2Bound?: number
  /** Sybil scenarios: the latest epoch the honest newcomer joined the committee (epochs + 1 when never), and E1. */
  readonly newcomerJoinEpoch?: number
  readonly e1Bound?: number
}

const slotsOf = (f: SimFigures): number => f.stallAfterFaultS / (f.slots > 0 ? f.simS / f.slots : NaN)

/** Aggregates a scenario's runs (any order; ones of other scenarios are ignored). */
export function summarise(s: BatteryScenario, seedsPlanned: number, all: readonly BatteryRun[]): ScenarioSummary {
  const mine = all.filter((r) => r.scenario === s.id).sort((a, b) => a.seed - b.seed)
  const ok = mine.flatMap((r) => (r.figures === undefined ? [] : [{ seed: r.seed, f: r.figures }]))
  const failures = mine.flatMap((r) => {
    if (r.figures === undefined) return [{ seed: r.seed, reasons: [`no figures: ${r.error ?? 'the run did not report'}`] }]
    const v = simVerdict(r.figures)
    return v.pass ? [] : [{ seed: r.seed, reasons: v.reasons }]
  })
  let worst = ok[0]
  for (const r of ok) if (worst === undefined || r.f.stallAfterFaultS > worst.f.stallAfterFaultS) worst = r
  const p50s = ok.map((r) => r.f.finalityP50S).sort((a, b) => a - b)
  const summary = {
    scenario: s,
    seedsPlanned,
    runs: ok.length,
    failures,
    safetyViolations: ok.reduce((n, r) => n + r.f.safetyViolations.length, 0),
    stallAfterFaultS: worst?.f.stallAfterFaultS ?? NaN,
    stallSlots: worst === undefined ? NaN : slotsOf(worst.f),
    worstSeed: worst?.seed ?? NaN,
    finalityP50S: percentile(p50s, 50),
    finalityP99S: ok.length === 0 ? NaN : Math.max(...ok.map((r) => r.f.finalityP99S)),
    messagesPerBlock: meanStdev(ok.map((r) => r.f.messagesPerBlock)).mean,
    blocksMean: meanStdev(ok.map((r) => r.f.blocks)).mean,
    wallS: ok.reduce((n, r) => n + r.f.wallS, 0),
    overGoal: ok.filter((r) => slotsOf(r.f) > GOAL_STALL_SLOTS).map((r) => r.seed),
    ...creditSummary(ok.map((r) => r.f))
  }
  const finite = [summary.stallAfterFaultS, summary.stallSlots, summary.finalityP50S, summary.finalityP99S, summary.messagesPerBlock].every(Number.isFinite)
  const pass =
    seedsPlanned > 0 && ok.length === seedsPlanned && mine.length === seedsPlanned && failures.length === 0 && finite && summary.stallSlots <= MAX_STALL_SLOTS
  return { ...summary, pass, goalMet: pass && summary.stallSlots <= GOAL_STALL_SLOTS }
}

/** The credit figures over the seeds (sybil scenarios), the worst case of each. */
function creditSummary(figures: readonly SimFigures[]): Pick<ScenarioSummary, 'sybilCaptureEpoch' | 'e2Bound' | 'newcomerJoinEpoch' | 'e1Bound'> {
  const credits = figures.flatMap((f) => (f.credits === undefined ? [] : [f.credits]))
  const first = credits[0]
  if (first === undefined) return {}
  return {
    sybilCaptureEpoch: Math.min(...credits.map((c) => c.sybilCaptureEpoch ?? c.epochs + 1)),
    e2Bound: first.e2Bound,
    newcomerJoinEpoch: Math.max(...credits.map((c) => c.newcomerJoinEpoch ?? c.epochs + 1)),
    e1Bound: first.e1Bound
  }
}

/** The battery's verdict: it passes only when something ran and every scenario passed. */
export function batteryVerdict(summaries: readonly ScenarioSummary[]): { readonly pass: boolean; readonly reasons: readonly string[] } {
  if (summaries.length === 0) return { pass: false, reasons: ['no scenario ran'] }
  const reasons = summaries
    .filter((s) => !s.pass)
    .map((s) => {
      const why = s.failures.slice(0, 3).map((f) => `seed ${f.seed}: ${f.reasons.join('; ')}`)
      if (s.runs < s.seedsPlanned) why.unshift(`${s.runs} of ${s.seedsPlanned} seeds produced figures`)
      return `${s.scenario.id}: ${why.length > 0 ? why.join(' | ') : 'a figure is missing'}${s.failures.length > 3 ? ` (+${s.failures.length - 3} more seeds)` : ''}`
    })
  return { pass: reasons.length === 0, reasons }
}

/** A scenario's report metrics (names end in their unit; non-finite ones are left out, so a target on them fails closed). */
export function scenarioMetrics(s: ScenarioSummary): Record<string, number> {
  const m: Record<string, number> = {
    nodes_count: s.scenario.nodes,
    sim_s: s.scenario.durationMs / 1000,
    seeds_count: s.runs,
    failed_runs_count: s.failures.length,
    safety_violations_count: s.safetyViolations,
    stall_after_fault_s: s.stallAfterFaultS,
    stall_slots_after_fault_count: s.stallSlots,
    over_goal_runs_count: s.overGoal.length,
    finality_p50_s: s.finalityP50S,
    finality_p99_s: s.finalityP99S,
    messages_per_block: s.messagesPerBlock,
    blocks_mean_count: s.blocksMean,
    wall_s: s.wallS,
    ...(s.sybilCaptureEpoch === undefined ? {} : { sybil_capture_epoch_count: s.sybilCaptureEpoch, e2_bound_epoch_count: s.e2Bound ?? NaN }),
    ...(s.newcomerJoinEpoch === undefined ? {} : { newcomer_join_epoch_count: s.newcomerJoinEpoch, e1_bound_epoch_count: s.e1Bound ?? NaN })
  }
  return Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)))
}

/**
 * The whole battery as one set of metrics (the bench case `chain.battery`): safety violations summed, the
 * worst stall in slots, failed runs and scenarios, and each scenario's worst stall in slots.
 */
export function batteryMetrics(summaries: readonly ScenarioSummary[]): Record<string, number> {
  const m: Record<string, number> = {
    scenarios_count: summaries.length,
    failed_scenarios_count: summaries.filter((s) => !s.pass).length,
    runs_count: summaries.reduce((n, s) => n + s.runs, 0),
    failed_runs_count: summaries.reduce((n, s) => n + s.failures.length, 0),
    safety_violations_count: summaries.reduce((n, s) => n + s.safetyViolations, 0),
    stall_slots_after_fault_count: summaries.length === 0 ? NaN : Math.max(...summaries.map((s) => s.stallSlots)),
    finality_p99_s: summaries.length === 0 ? NaN : Math.max(...summaries.map((s) => s.finalityP99S)),
    wall_s: summaries.reduce((n, s) => n + s.wallS, 0)
  }
  for (const s of summaries) m[`${s.scenario.id}_stall_slots_after_fault_count`] = s.stallSlots
  return Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)))
}

const fx = (x: number, d: number): string => (Number.isFinite(x) ? x.toFixed(d) : '-')

/** The battery's table: one line per scenario. */
export function renderBattery(summaries: readonly ScenarioSummary[]): string {
  const head = ['scenario', 'seeds', 'safety', 'stall s', 'slots', 'seed', 'fin p50', 'fin p99', 'msg/blk', 'verdict']
  const rows = summaries.map((s) => [
    s.scenario.id,
    `${s.runs}/${s.seedsPlanned}`,
    String(s.safetyViolations),
    fx(s.stallAfterFaultS, 0),
    fx(s.stallSlots, 1),
    Number.isFinite(s.worstSeed) ? String(s.worstSeed) : '-',
    fx(s.finalityP50S, 3),
    fx(s.finalityP99S, 3),
    fx(s.messagesPerBlock, 0),
    s.pass ? (s.goalMet ? 'PASS' : `PASS (goal ${GOAL_STALL_SLOTS} slots missed: seeds ${s.overGoal.join(',')})`) : `FAIL (${s.failures.length} seeds)`
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === head.length - 1 ? 0 : (r[i] as string).length))))
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : i === r.length - 1 ? c : c.padStart(widths[i] as number))).join('  ')
  return [line(head), ...rows.map(line)].join('\n')
}
