/**
 * The load component: the original locustfile's scenarios against the gateway (a local
 * `lucid serve --seed-demo --load-test` in its own process, or `--host`). Real waits (time scale 1) with the
 * run shortened on the shorter profiles, so the verdict is about the scenario's real request rate; the
 * conditions state the duration that ran. `lucid load --time-scale N` is the tool for compressed previews.
 */
import type { CaseRun } from '../../harness/case.ts'
import type { CaseDef } from '../../harness/registry.ts'
import { runScenario } from '../../load/scenario.ts'
import { customScenario, SCENARIOS } from '../../load/scenarios/index.ts'

type Name = keyof typeof SCENARIOS

/** Seconds each scenario runs per profile (full: the original's duration). */
const SECONDS: Record<Name, { smoke: number; quick: number }> = {
  light: { smoke: 5, quick: 25 },
  medium: { smoke: 5, quick: 30 },
  heavy: { smoke: 5, quick: 35 },
  stress: { smoke: 6, quick: 40 }
}

const scenarioCase =
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

const mod = new URL(import.meta.url).href

/** The load cases: the engine's own capacity, then the scenarios. */
export const loadCases: readonly CaseDef[] = [
  {
    id: 'load.generator',
    component: 'load',
    description: 'the simulated-user engine against an instant contract stub: requests/s of one generator process, memory per user',
    module: new URL('./generator.ts', import.meta.url).href,
    export: 'generator'
  },
  ...(Object.keys(SCENARIOS) as Name[]).map((name) => ({
    id: `load.${name}`,
    component: 'load',
    description: `${name}: ${SCENARIOS[name].users} users spawned at ${SCENARIOS[name].spawnRate}/s, the four contract user kinds, real waits`,
    module: mod,
    export: name,
    timeoutS: { smoke: 180, quick: 300, full: 2 * 3600 }
  }))
]

/** load.light */
export const light = scenarioCase('light')
/** load.medium */
export const medium = scenarioCase('medium')
/** load.heavy */
export const heavy = scenarioCase('heavy')
/** load.stress */
export const stress = scenarioCase('stress')
