import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { assignKinds, customScenario, scaleRun, SCENARIOS, spawnAt } from '../../load/scenarios/index.ts'
import { CONTRACT_USERS } from '../../load/users/contract.ts'
import { createHistogram, encodeHistogram, recordMs } from '../../harness/stats/histogram.ts'
import { mergeEndpoints, mergeSecond } from '../../load/users/stats.ts'

describe('scenarios and their arithmetic', () => {
  it('holds the original scenarios', () => {
    assert.deepEqual(
      Object.values(SCENARIOS).map((s) => [s.name, s.users, s.spawnRate, s.durationS]),
      [
        ['light', 50, 5, 300],
        ['medium', 200, 10, 600],
        ['heavy', 500, 20, 900],
        ['stress', 1000, 50, 1200]
      ]
    )
    assert.deepEqual(
      CONTRACT_USERS.map((k) => [k.name, k.weight, k.wait]),
      [
        ['APIUser', 1, [1, 3]],
        ['BlockchainUser', 1, [5, 10]],
        ['SessionUser', 1, [2, 5]],
        ['AdminUser', 1, [10, 30]]
      ]
    )
  })

  it('spawns at the spawn rate', () => {
    assert.equal(spawnAt(0, 5), 0)
    assert.equal(spawnAt(49, 5), 9.8, 'the 50th light user starts after 9.8 s')
    const run = scaleRun(SCENARIOS.light, 20)
    assert.equal(run.spawnRate, 100)
    assert.ok(Math.abs(spawnAt(49, run.spawnRate) - 0.49) < 1e-12)
  })

  it('scales time: waits and durations divided, the spawn rate multiplied', () => {
    const r = scaleRun(SCENARIOS.stress, 10)
    assert.equal(r.durationS, 120)
    assert.equal(r.spawnRate, 500)
    assert.equal(r.waitDivisor, 10)
    assert.throws(() => scaleRun(SCENARIOS.light, 0.5), RangeError)
    assert.equal(customScenario(SCENARIOS.light, { users: 10 }).name, 'light (custom)')
    assert.equal(customScenario(SCENARIOS.light, {}).name, 'light')
  })

  it('splits users by weight, mixed from the first users on', () => {
    const kinds = assignKinds(50, CONTRACT_USERS)
    const count = (name: string): number => kinds.filter((k) => k.name === name).length
    assert.deepEqual(
      CONTRACT_USERS.map((k) => count(k.name)),
      [13, 13, 12, 12]
    )
    assert.deepEqual(new Set(kinds.slice(0, 4).map((k) => k.name)).size, 4, 'the first four users are one of each')
    const weighted = assignKinds(10, [
      { ...CONTRACT_USERS[0]!, weight: 3 },
      { ...CONTRACT_USERS[1]!, weight: 1 }
    ])
    assert.deepEqual([weighted.filter((k) => k.name === 'APIUser').length, weighted.filter((k) => k.name === 'BlockchainUser').length], [8, 2])
  })

  it('merges statistics from several processes into the statistics of all requests', () => {
    const wire = (
      name: string,
      values: number[],
      fail = 0
    ): { name: string; requests: number; failures: number; histogram: string; reasons: Array<[string, number]> } => {
      const h = createHistogram()
      for (const v of values) recordMs(h, v)
      return { name, requests: values.length, failures: fail, histogram: encodeHistogram(h), reasons: fail > 0 ? [['HTTP 500', fail]] : [] }
    }
    const a = [wire('GET /health', [1, 2, 3]), wire('POST /auth/login', [10, 20], 1)]
    const b = [wire('GET /health', [4, 5, 6, 7]), wire('POST /auth/login', [30], 1)]
    const rows = mergeEndpoints([a, b], 10)
    const health = rows.find((r) => r.name === '/health')!
    assert.equal(health.method, 'GET')
    assert.equal(health.requests, 7)
    assert.ok(Math.abs(health.percentiles_ms.p50_ms! - 4) < 0.01)
    assert.ok(Math.abs(health.max_ms - 7) < 0.01)
    assert.equal(health.requests_per_s, 0.7)
    const login = rows.find((r) => r.name === '/auth/login')!
    assert.deepEqual([login.requests, login.failures, login.failure_reasons['HTTP 500']], [3, 2, 2])
    const agg = rows.at(-1)!
    assert.deepEqual([agg.name, agg.requests, agg.failures], ['Aggregated', 10, 2])
    assert.ok(Math.abs(agg.max_ms - 30) < 0.05)
    const sec = mergeSecond(3, [
      { t: 3, users: 5, requests: 2, failures: 1, histogram: a[0]!.histogram },
      { t: 3, users: 7, requests: 4, failures: 0, histogram: b[0]!.histogram }
    ])
    assert.deepEqual([sec.users, sec.requests_per_s, sec.errors], [12, 6, 1])
  })
})
