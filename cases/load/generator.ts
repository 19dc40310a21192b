/**
 * load.generator: what the simulated-user engine itself can do, against a contract stub that answers
 * instantly in its own process (load/contract-stub.ts): requests per second one generator process
 * sustains with waits shrunk to nothing, and the memory a simulated user costs with real waits.
 */
import type { CaseRun } from '../../harness/case.ts'
import { startServerProcess } from '../../load/server-process.ts'
import { runUsers } from '../../load/users/run.ts'
import { customScenario, scaleRun, SCENARIOS } from '../../load/scenarios/index.ts'

/** Runs the case. */
export const generator: CaseRun = async (ctx) => {
  const stub = await startServerProcess(new URL('../../load/contract-stub.ts', import.meta.url).href)
  try {
    // Throughput: 200 users, waits divided by 1000 (1-30 ms), one worker process: the generator's core is the limit.
    const tputS = Math.max(2, Math.round(ctx.seconds(10, { smoke: 3, full: 30 })))
    ctx.progress(`throughput: 200 users, waits /1000, ${tputS} s`)
    const fast = await runUsers({
      url: stub.url,
      run: scaleRun(customScenario(SCENARIOS.stress, { users: 200, durationS: tputS * 1000 }), 1000),
      workers: 1,
      seed: ctx.rng.int(1, 1e6)
    })
    const agg = fast.endpoints.find((e) => e.name === 'Aggregated')!
    // Memory: many users with real waits, spawned fast, one worker process.
    const users = ctx.profile === 'smoke' ? 2000 : 10_000
    const memS = Math.max(4, Math.round(ctx.seconds(15, { smoke: 5, full: 30 })))
    ctx.progress(`memory: ${users} users, real waits, ${memS} s`)
    const many = await runUsers({
      url: stub.url,
      run: scaleRun(customScenario(SCENARIOS.stress, { users, spawnRate: users / 2, durationS: memS }), 1),
      workers: 1,
      seed: ctx.rng.int(1, 1e6)
    })
    const manyAgg = many.endpoints.find((e) => e.name === 'Aggregated')!
    return {
      status: 'completed',
      metrics: {
        generator_requests_per_s: agg.requests_per_s,
        generator_error_ratio: agg.requests > 0 ? agg.failures / agg.requests : 1,
        users_count: many.usersStarted,
        ...(many.memoryPerUserBytes !== undefined ? { memory_per_user_bytes: many.memoryPerUserBytes } : {}),
        many_users_error_ratio: manyAgg.requests > 0 ? manyAgg.failures / manyAgg.requests : 1
      },
      conditions: {
        server: 'contract stub (instant answers) in its own process',
        throughput_run: `200 users of the four kinds, waits divided by 1000, 1 generator process, ${tputS} s`,
        memory_run: `${users} users, real waits, spawned at ${users / 2}/s, 1 generator process, heap growth after GC / users`
      }
    }
  } finally {
    await stub.close()
  }
}
