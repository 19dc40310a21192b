/**
 * How a load scenario case runs (load.case.ts defines them): the scenario against the gateway with real waits,
 * shortened on the shorter profiles.
 */
import type { CaseRun } from '../../harness/case.ts'
import { runScenario } from '../../load/scenario.ts'
import { customScenario, SCENARIOS } from '../../load/scenarios/index.ts'

/** A scenario of the original locustfile. */
export type Name = keyof typeof SCENARIOS

/** Seconds each scenario runs per profile (full: the original's duration). */
const SECONDS: Record<Name, { smoke: number; quick: number }> = {
  light: { smoke: 5, quick: 25 },
  medium: { smoke: 5, quick: 30 },
  heavy: { smoke: 5, quick: 35 },
  stress: { smoke: 6, quick: 40 }
}

/** The run of `load.<name>`. */
export const scenarioCase =
  (name: Name): CaseRun =>
  async (ctx) => {
    const base = SCENARIOS[name]
    const durationS = ctx.profile === 'full' ? base.durationS : SECONDS[name][ctx.profile]
    const scenario = customScenario(base, { durationS })
    const r = await runScenario({
      scenario,
      timeScale: 1,
      seed: ctx.rng.int(1, 1_000_000),
      onSecond: (p, left) => ctx.progress(`${p.users} users, ${p.requests_per_s} req/s, p95 ${p.p95_ms.toFixed(1)} ms, ${left.toFixed(0)} s left`),
      ...(ctx.target !== undefined ? { target: ctx.target } : {})
    })
    return {
      status: 'completed',
      metrics: r.metrics,
      conditions: { ...r.conditions, ran_s: durationS, original_duration_s: base.durationS },
      endpoints: r.endpoints,
      series: r.series
    }
  }
