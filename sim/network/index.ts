/**
 * The virtual-time network simulator for the PoOT chain (docs/sim.md): N nodes running the real chain code
 * (services/chain's ChainNode, validation, finality and sync) on one virtual clock, with per-link latency
 * distributions, message loss, partitions that heal, crashes and restarts, and byzantine producers that
 * equivocate or send invalid blocks. Signatures are virtual by default: recorded by an oracle and charged
 * their measured cost in virtual time; `signatures: 'real'` runs real Ed25519 with the same charges. A run is
 * deterministic: the same options and seed give the same chain and the same figures.
 *
 * ```ts
 * const r = await simulate({ nodes: 100, durationMs: 3_600_000, latency: parseLatency('50ms'), loss: 0.01, seed: 1 })
 * if (r.figures.safetyViolations.length > 0) throw new Error('two final blocks at one height')
 * console.log(r.figures.finalityP99S, figureMetrics(r.figures))
 * ```
 */

/** Running a simulation. */
export { simulate, Simulation, SIM_GENESIS_TIME, type SimOptions, type SimResult } from './simulate.ts'
/** What a run measured, and the same as report metrics. */
export { MAX_STALL_SLOTS, computeFigures, meanStdev, percentile, simVerdict, type SimFigures } from './figures.ts'
export { captureBound, creditFigures, creditVerdict, joinBound, type CreditFigures, type NewcomerOptions } from './credits.ts'
export { figureMetrics } from './metrics.ts'
/** The hard safety check's record. */
export type { SafetyViolation } from './observer.ts'
/** Latency distributions. */
export { describeLatency, meanLatency, sampleLatency, type Latency } from './links.ts'
/** The command line's specs (times, latency, loss, partitions, crashes). */
export { parseCrashes, parseLatency, parseLoss, parseNodes, parsePartitions, parseTime, type CrashWindow, type PartitionWindow } from './spec.ts'
/** Byzantine behaviours. */
export { BEHAVIOURS, type AdversaryStats, type Behaviour } from './byzantine.ts'
/** Signature costs charged in virtual time. */
export { DEFAULT_COSTS, measureSignatureCosts, type SignatureCosts } from './costs.ts'
/** Virtual and charged signing (for tests and other simulations). */
export { SignatureOracle, chargedSigner, chargedVerifier, virtualSigner, virtualVerifier, type CostSink } from './signatures.ts'
/** The event queue and a node's virtual CPU. */
export { EventQueue, TICK_EVENTS, queueBaseline } from './queue.ts'
export { NodeCpu } from './cpu.ts'
/** Counters of the simulated network and load. */
export type { NetworkStats } from './network.ts'
export type { LoadStats } from './load.ts'
/** The consensus battery: scenarios, aggregation and verdict, run on worker threads. */
export {
  BATTERY_FAULTS,
  BATTERY_PLANS,
  GOAL_STALL_SLOTS,
  batteryMetrics,
  batteryScenarios,
  scenarioSeeds,
  batteryVerdict,
  committeeOf,
  faultName,
  partitionGroups,
  renderBattery,
  reproduceCommand,
  scenario,
  scenarioConditions,
  scenarioMetrics,
  scenarioOptions,
  summarise,
  type BatteryFault,
  type BatteryPlan,
  type BatteryProfile,
  type BatteryRun,
  type BatteryScenario,
  type ScenarioSummary
} from './battery.ts'
export { runBattery, type BatteryOptions, type BatteryResult } from './battery-run.ts'
