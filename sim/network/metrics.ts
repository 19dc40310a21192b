/**
 * The figures as report metrics (docs/interfaces.md section 3: names end in their unit, values finite), shared by
 * `lucid sim chain --json` and the simulated bench cases so both report the same names.
 */
import type { SimFigures } from './figures.ts'

/** The slot length of a run in seconds (its simulated time over its slots). */
function slotS(f: SimFigures): number {
  return f.slots > 0 ? f.simS / f.slots : NaN
}

/** Finite metrics of a run; figures that are undefined in it (no rejoin, no sync) are left out. */
export function figureMetrics(f: SimFigures): Record<string, number> {
  const m: Record<string, number> = {
    nodes_count: f.nodes,
    sim_s: f.simS,
    blocks_count: f.blocks,
    interval_mean_s: f.intervalMeanS,
    interval_stdev_s: f.intervalStdevS,
    missed_slots_count: f.missedSlots,
    fallback_blocks_count: f.fallbacks,
    finality_p50_s: f.finalityP50S,
    finality_p95_s: f.finalityP95S,
    finality_p99_s: f.finalityP99S,
    finality_max_s: f.finalityMaxS,
    tx_per_s: f.txPerS,
    offered_tx_per_s: f.offeredTxPerS,
    final_tx_count: f.finalTx,
    beacon_tx_count: f.beaconTx,
    forks_count: f.forks,
    orphans_count: f.orphans,
    safety_violations_count: f.safetyViolations.length,
    longest_stall_s: f.longestStallS,
    stalled_at_end_count: f.stalledAtEnd ? 1 : 0,
    stall_after_fault_s: f.stallAfterFaultS,
    stall_slots_after_fault_count: f.stallAfterFaultS / slotS(f),
    messages_per_block: f.messagesPerBlock,
    converged_ratio: f.convergedRatio,
    sync_rounds_count: f.syncRounds,
    sync_failures_count: f.syncFailures,
    rejoin_p50_s: f.rejoinP50S,
    rejoin_max_s: f.rejoinMaxS,
    messages_sent_count: f.network.sent,
    messages_lost_count: f.network.lost,
    messages_cut_count: f.network.cut,
    refused_messages_count: Object.values(f.rejected).reduce((a, b) => a + b, 0),
    equivocations_count: f.adversary.equivocations,
    invalid_blocks_count: f.adversary.invalidBlocks,
    wall_s: f.wallS,
    // The run's wall time scaled to one simulated day at the same size: the goal's measure.
    day_wall_s: f.wallS * (86_400 / f.simS)
  }
  if (f.freshSync !== undefined) {
    m.fresh_sync_s = f.freshSync.virtualS
    m.fresh_sync_wall_s = f.freshSync.wallS
    m.fresh_sync_blocks_count = f.freshSync.blocks
  }
  return Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)))
}
