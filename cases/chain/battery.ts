/**
 * chain.battery: the consensus battery (sim/network/battery.ts, docs/sim.md) as a bench case. smoke runs a
 * small battery (4 nodes, 20 simulated minutes, 2 seeds: every scenario once per seed, well under a minute);
 * quick and full run the quick battery (4 and 20 nodes, 30 minutes, 20 seeds: ~6-10 minutes on 2 cores). The
 * 100-node battery is `lucid sim chain --profile full`, too long for a bench run. Its musts (chain.case.ts):
 * no safety violation, no run failing simVerdict, no stall of more than 10 slots after a fault ends; goal 3.
 */
import { BATTERY_PLANS, batteryMetrics, batteryScenarios, batteryVerdict, runBattery } from '../../sim/network/index.ts'
import type { CaseRun } from '../../harness/case.ts'

/** Runs the battery of the profile (smoke's own, else quick's). */
export const run: CaseRun = async (ctx) => {
  const plan = BATTERY_PLANS[ctx.profile === 'smoke' ? 'smoke' : 'quick']
  const scenarios = batteryScenarios(plan)
  const r = await runBattery(
    plan,
    {
      onRun: (run, done, total) => {
        ctx.progress(`${done}/${total} runs (${run.scenario} seed ${run.seed})`)
      }
    },
    scenarios
  )
  const verdict = batteryVerdict(r.summaries)
  return {
    status: 'completed',
    metrics: { ...batteryMetrics(r.summaries), battery_wall_s: r.wallS },
    conditions: {
      simulator: 'sim/network: real chain code on a virtual clock, virtual signatures charged in virtual time',
      battery: plan.profile,
      nodes: plan.sizes.join(','),
      duration_s: plan.durationMs / 1000,
      seeds: `1-${plan.seeds.length}`,
      scenarios: scenarios.map((s) => s.id).join(','),
      threads: r.threads,
      verdict: verdict.pass ? 'pass' : `fail: ${verdict.reasons.join(' | ')}`.slice(0, 2000)
    }
  }
}
