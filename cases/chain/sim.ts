/**
 * The simulated chain cases (sim/network, docs/sim.md), beside the real-time devnet ones: a hundred nodes
 * running the real chain code on a virtual clock. They report goals only (docs/interfaces.md section 2 has no seed
 * target for them): the wall time of a simulated day, finality on a wide-area network, and the hard safety
 * check. Conditions record the network they were simulated under.
 *
 * Wall time per profile (this machine): smoke ~6 s each, quick ~25-50 s each, full the whole simulated day.
 */
import { figureMetrics, parseLatency, parsePartitions, simulate, type SimOptions } from '../../sim/network/index.ts'
import type { CaseContext, CaseResult, CaseRun, Profile } from '../../harness/case.ts'
import { simConditions } from '../../sim/conditions.ts'

const NODES = 100
const MIN = 60_000
const HOUR = 60 * MIN

async function runSim(ctx: CaseContext, opts: SimOptions, spec: { partition?: string } = {}): Promise<CaseResult> {
  const r = await simulate({
    ...opts,
    progress: (ms, height) => {
      ctx.progress(`simulated ${(ms / HOUR).toFixed(0)} h, height ${height}`)
    }
  })
  return {
    status: 'completed',
    metrics: figureMetrics(r.figures),
    conditions: { ...simConditions(opts, spec), profile_duration: `${opts.durationMs / HOUR} h simulated` }
  }
}

const pick = <T>(p: Profile, v: Record<Profile, T>): T => v[p]

/** chain.sim_wan: 100 nodes, 50 ms one-way latency, 1 % message loss (smoke 30 min, quick 4 h, full 24 h). */
export const simWan: CaseRun = async (ctx) =>
  runSim(ctx, {
    nodes: NODES,
    durationMs: pick(ctx.profile, { smoke: 30 * MIN, quick: 4 * HOUR, full: 24 * HOUR }),
    latency: parseLatency('50ms'),
    loss: 0.01,
    seed: 1
  })

/**
 * chain.sim_partition: 100 nodes at 50 ms, cut in two halves for a third of the run, then healed. The cut
 * leaves 11 of the 16 committee members (nodes are numbered by rank) on one side: that side keeps a quorum
 * and goes on, the other cannot finalise, and after the heal its nodes must sync back onto the one chain.
 */
export const simPartition: CaseRun = async (ctx) => {
  const [from, to, run] = pick(ctx.profile, { smoke: ['5m', '15m', 30 * MIN], quick: ['30m', '1h', 2 * HOUR], full: ['1h', '3h', 6 * HOUR] } as const)
  const spec = `${from}-${to}:0-10,16-57|11-15,58-99`
  return await runSim(
    ctx,
    { nodes: NODES, durationMs: run, latency: parseLatency('50ms'), partitions: parsePartitions(spec, NODES), seed: 1 },
    { partition: spec }
  )
}
