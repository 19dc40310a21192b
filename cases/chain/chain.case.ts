/**
 * The chain component's cases (docs/interfaces.md section 2). Validation and sync verification rates are set
 * beside baseline.ed25519's raw one-core verification rate of the same run.
 *
 * A family of cases (in one process and over sockets: `chain.consensus` and `chain.consensus_p2p`) is judged by
 * the same seed targets: the first case of the family declares them for the glob (`case: 'chain.consensus*'`),
 * one row each, as the target table always had them (a targets file overrides the glob row).
 */
import { defineCase, target } from '../../harness/define-case.ts'
import { SEED } from '../seed.ts'

const SIM = 'simulated: 100 nodes of the real chain code on a virtual clock, virtual signatures charged their measured cost'
const DEVNET = 'real-time devnet: 4 nodes in one process, real timers and Ed25519 signatures, 10 s slots (smoke: 2 s)'
const P2P =
  'over real sockets: 4 validator processes (lucid node) on loopback through js-libp2p and gossipsub, 10 s slots (smoke: 2 s), load and observation from a following node; bytes on the wire per block'
const BLOCKS = `${SEED}"Block Creation: 1 block per 10 seconds" (original test: mean within 8-12 s)`
const BATTERY = 'beyond the seed (issue 18): BFT safety below a third of byzantine weight, under loss, partitions, byzantine members and crashes'
const vsEd25519 = [{ id: 'baseline.ed25519', metrics: { validate_signatures_per_s: 'verify_per_s', validate_tx_per_s: 'verify_per_s' } }]
const BLOCK_FAMILY = { case: 'chain.block_interval*' }
const CONSENSUS_FAMILY = { case: 'chain.consensus*' }
const TX_FAMILY = { case: 'chain.tx_throughput*' }
const SYNC_FAMILY = { case: 'chain.sync*' }
// The bench case `chain.battery` and each scenario of `lucid sim chain --profile` (`chain.battery_<scenario>`)
// alike. Beyond the seed, but musts: a stalled or unsafe chain never passes.
const BATTERY_FAMILY = { case: 'chain.battery*' }

/** chain.block_interval; its targets judge chain.block_interval_p2p too. */
export const blockInterval = defineCase({
  id: 'chain.block_interval',
  description: `${DEVNET}; intervals between consecutive final blocks at 10 anchors/s`,
  timeoutS: { smoke: 60, quick: 240 },
  targets: [
    target('interval_mean_s', '>=', 8, BLOCKS, BLOCK_FAMILY),
    target('interval_mean_s', '<=', 12, BLOCKS, BLOCK_FAMILY),
    target('interval_stdev_s', '<', 3, 'original test: block interval stdev < 3 s', BLOCK_FAMILY)
  ],
  run: async (ctx) => (await import('./cases.ts')).blockInterval(ctx)
})

/** chain.consensus; its targets and goal judge chain.consensus_p2p too. */
export const consensus = defineCase({
  id: 'chain.consensus',
  description: `${DEVNET}; block proposal to finality certificate at 50 anchors/s`,
  timeoutS: { smoke: 60, quick: 180 },
  targets: [target('p99_s', '<', 5, `${SEED}"Consensus Speed: <5 seconds consensus time"`, CONSENSUS_FAMILY)],
  goals: [
    target('p99_s', '<=', 1, 'beyond the seed: finality within 1 s of the block proposal on the devnet (in one process and over sockets)', CONSENSUS_FAMILY)
  ],
  run: async (ctx) => (await import('./cases.ts')).consensus(ctx)
})

/** chain.tx_throughput; its target judges chain.tx_throughput_p2p too. */
export const txThroughput = defineCase({
  id: 'chain.tx_throughput',
  description: `${DEVNET}; anchors offered at 300/s, final transactions per second; block validation on one core`,
  timeoutS: { smoke: 60, quick: 180 },
  baselines: vsEd25519,
  targets: [target('tx_per_s', '>', 100, `${SEED}"Transaction Processing: >100 transactions/second"`, TX_FAMILY)],
  goals: [target('validate_tx_per_s_vs_ed25519_x', '>=', 0.8, 'beyond the seed: block validation >= 0.8x raw Ed25519 verification, same core, same run')],
  run: async (ctx) => (await import('./cases.ts')).txThroughput(ctx)
})

/** chain.block_interval_p2p (judged by chain.block_interval*). */
export const blockIntervalP2p = defineCase({
  id: 'chain.block_interval_p2p',
  description: `${P2P}; intervals between consecutive final blocks at 10 anchors/s`,
  timeoutS: { smoke: 120, quick: 300 },
  run: async (ctx) => (await import('./cases.ts')).blockIntervalP2p(ctx)
})

/** chain.consensus_p2p (judged by chain.consensus*). */
export const consensusP2p = defineCase({
  id: 'chain.consensus_p2p',
  description: `${P2P}; block proposal to finality certificate at 50 anchors/s`,
  timeoutS: { smoke: 120, quick: 240 },
  run: async (ctx) => (await import('./cases.ts')).consensusP2p(ctx)
})

/** chain.tx_throughput_p2p (judged by chain.tx_throughput*). */
export const txThroughputP2p = defineCase({
  id: 'chain.tx_throughput_p2p',
  description: `${P2P}; anchors offered at 300/s, final transactions per second`,
  timeoutS: { smoke: 120, quick: 240 },
  baselines: vsEd25519,
  run: async (ctx) => (await import('./cases.ts')).txThroughputP2p(ctx)
})

/** chain.anchoring */
export const anchoring = defineCase({
  id: 'chain.anchoring',
  description: `${DEVNET}; session anchors at 20/s: receipt, inclusion and finality latencies`,
  timeoutS: { smoke: 60, quick: 180 },
  targets: [target('p95_ms', '<', 5000, 'original test: anchoring a session < 5 s')],
  run: async (ctx) => (await import('./cases.ts')).anchoring(ctx)
})

/** chain.sync; its target judges chain.sync_p2p too. */
export const sync = defineCase({
  id: 'chain.sync',
  description: 'a fresh node syncs one day of chain (8640 blocks, 1 anchor/s, committee of 16) from a peer, verifying everything on all cores',
  timeoutS: { smoke: 120, quick: 300 },
  baselines: [{ id: 'baseline.ed25519', metrics: { sync_verify_per_core_per_s: 'verify_per_s' } }],
  targets: [target('sync_s', '<', 30, `${SEED}"Network Sync: <30 seconds sync time"`, SYNC_FAMILY)],
  goals: [
    target('sync_verify_per_core_per_s_vs_ed25519_x', '>=', 0.8, 'beyond the seed: sync verification per core >= 0.8x raw Ed25519 verification, same run')
  ],
  run: async (ctx) => (await import('./sync.ts')).run(ctx)
})

/** chain.sync_p2p (judged by chain.sync*). */
export const syncP2p = defineCase({
  id: 'chain.sync_p2p',
  description:
    'the chain.sync day synced over real sockets: a lucid node process serves its archive through js-libp2p request/response; a fresh host syncs and verifies it on all cores',
  timeoutS: { smoke: 180, quick: 600 },
  run: async (ctx) => (await import('./sync.ts')).runP2p(ctx)
})

/** chain.sim_wan */
export const simWan = defineCase({
  id: 'chain.sim_wan',
  description: `${SIM}; 50 ms one-way latency, 1 % message loss (smoke 30 min, quick 4 h, full 24 h simulated)`,
  timeoutS: { smoke: 60, quick: 300, full: 1200 },
  goals: [
    target('day_wall_s', '<=', 30, 'beyond the seed: 100 nodes x 24 simulated hours in under 30 s of wall time (shorter profiles scale their run to a day)'),
    target('finality_p99_s', '<=', 1, 'beyond the seed: finality p99 <= 1 s at 50 ms one-way latency (simulated: 100 nodes, 1 % loss)'),
    target('safety_violations_count', '<=', 0, 'beyond the seed: never two final blocks at one height')
  ],
  run: async (ctx) => (await import('./sim.ts')).simWan(ctx)
})

/** chain.battery; its targets and goal judge every `chain.battery_<scenario>` of `lucid sim chain --profile` too. */
export const battery = defineCase({
  id: 'chain.battery',
  description:
    'the consensus battery (docs/sim.md): loss, healing partitions, f byzantine members (equivocate, silent, double), crashes; every run judged on safety and stalls (smoke: 4 nodes, 20 min, 2 seeds; quick and full: the quick battery, 4 and 20 nodes, 30 min, 20 seeds)',
  timeoutS: { smoke: 180, quick: 2400, full: 2400 },
  targets: [
    target('safety_violations_count', '<=', 0, BATTERY, BATTERY_FAMILY),
    target('stall_slots_after_fault_count', '<=', 10, `${BATTERY}; liveness: no stall of more than 10 slots after the fault ends`, BATTERY_FAMILY),
    target('failed_runs_count', '<=', 0, `${BATTERY}; every run passes simVerdict (safe, a final block, no stall over 10 slots)`, BATTERY_FAMILY)
  ],
  goals: [
    target('stall_slots_after_fault_count', '<=', 3, 'beyond the seed (issue 18): the chain finalises again within 3 slots of any fault ending', BATTERY_FAMILY)
  ],
  run: async (ctx) => (await import('./battery.ts')).run(ctx)
})

/** chain.sim_partition */
export const simPartition = defineCase({
  id: 'chain.sim_partition',
  description: `${SIM}; 50 ms, a partition leaving 11 of 16 committee members on one side for a third of the run, then healed`,
  timeoutS: { smoke: 60, quick: 300, full: 900 },
  goals: [
    target('safety_violations_count', '<=', 0, 'beyond the seed: a partition and heal never finalises two blocks at one height'),
    target('converged_ratio', '>=', 1, 'beyond the seed: after the heal every live node is back on one chain'),
    target('stalled_at_end_count', '<=', 0, 'beyond the seed: the chain is finalising again after the heal')
  ],
  run: async (ctx) => (await import('./sim.ts')).simPartition(ctx)
})
