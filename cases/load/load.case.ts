/**
 * The load component: the original locustfile's scenarios against the gateway (a local
 * `lucid serve --seed-demo --load-test` in its own process, or `--host`). Real waits (time scale 1) with the
 * run shortened on the shorter profiles, so the verdict is about the scenario's real request rate; the
 * conditions state the duration that ran. `lucid load --time-scale N` is the tool for compressed previews.
 */
import { defineCase, target } from '../../harness/define-case.ts'
import { SCENARIOS } from '../../load/scenarios/index.ts'
import { SCENARIO_TARGETS } from '../../load/scenarios/targets.ts'
import type { Name } from './scenario.ts'

/** load.generator: the engine's own capacity. */
export const generator = defineCase({
  id: 'load.generator',
  description: 'the simulated-user engine against an instant contract stub: requests/s of one generator process, memory per user',
  goals: [
    target('generator_requests_per_s', '>=', 10_000, 'beyond the seed: one generator core sustains >= 10k req/s of contract traffic (Locust ~1.3k here)'),
    target('memory_per_user_bytes', '<=', 20_000, 'beyond the seed: <= 20 KB per simulated user', { profiles: ['quick', 'full'] }),
    target('users_count', '>=', 10_000, 'beyond the seed: 10,000 simulated users on this machine', { profiles: ['quick', 'full'] })
  ],
  run: async (ctx) => (await import('./generator.ts')).generator(ctx)
})

/** The scenarios: `load.light`, `load.medium`, `load.heavy`, `load.stress`. */
export const scenarios = (Object.keys(SCENARIOS) as Name[]).map((name) =>
  defineCase({
    id: `load.${name}`,
    description: `${name}: ${SCENARIOS[name].users} users spawned at ${SCENARIOS[name].spawnRate}/s, the four contract user kinds, real waits`,
    timeoutS: { smoke: 180, quick: 300, full: 2 * 3600 },
    targets: SCENARIO_TARGETS,
    run: async (ctx) => (await import('./scenario.ts')).scenarioCase(name)(ctx)
  })
)
