/**
 * The conditions a simulated run is recorded under: `lucid sim chain --json` and the chain.sim_* cases put them
 * in their reports, so a figure always travels with the network it was simulated on.
 */
import { describeLatency, type SimOptions } from './network/index.ts'

/** A report's conditions (the harness's Conditions, structurally: sim/ does not import the harness). */
export type SimConditions = Record<string, string | number | boolean>

/** The conditions a run was simulated under, as a report records them. */
export function simConditions(o: SimOptions, spec: { partition?: string; crash?: string } = {}): SimConditions {
  return {
    simulator: 'sim/network: real chain code on a virtual clock, virtual signatures charged in virtual time',
    nodes: o.nodes,
    duration_s: o.durationMs / 1000,
    latency: describeLatency(o.latency ?? { kind: 'constant', ms: 50 }),
    loss: o.loss ?? 0,
    partition: spec.partition ?? ((o.partitions?.length ?? 0) > 0 ? JSON.stringify(o.partitions) : 'none'),
    crash: spec.crash ?? ((o.crashes?.length ?? 0) > 0 ? JSON.stringify(o.crashes) : 'none'),
    byzantine: o.byzantine ?? 0,
    behaviour: o.behaviour ?? 'equivocate',
    tx_rate_per_s: o.txPerS ?? 0.2,
    seed: o.seed ?? 1,
    day_wall_s: 'wall_s scaled to 24 simulated hours at the same size'
  }
}
