import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Conditions } from '../../harness/case.ts'
import { captureEnv } from '../../harness/env.ts'
import type { Report } from '../../harness/report/schema.ts'
import { decodeHistogram } from '../../harness/stats/histogram.ts'
import { mergeLoadReports } from '../../load/merge.ts'
import { loadMetrics } from '../../load/metrics.ts'
import { judgedLoadReport } from '../../load/report/judged.ts'
import { StatsCollector, mergeEndpointsWithHistograms, type EndpointWire } from '../../load/users/stats.ts'
import { LucidError } from '../../services/common/errors.ts'

const ENDPOINTS = ['GET /health', 'POST /auth/login', 'POST /sessions', 'GET /chain/info']

/** `n` requests with a skewed, seeded latency spread (0.2 ms to ~2 s) and some failures on logins. */
function samples(seed: number, n: number, failEvery = 0): EndpointWire[] {
  const c = new StatsCollector(0)
  let x = seed
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2 ** 31
    return x / 2 ** 31
  }
  for (let i = 0; i < n; i++) {
    const name = ENDPOINTS[Math.floor(next() * ENDPOINTS.length)]!
    const ms = 0.2 + next() ** 4 * 2000
    const failed = failEvery > 0 && name === 'POST /auth/login' && i % failEvery === 0
    c.record(name, ms, failed ? 'HTTP 503 LUCID_ERR_3002' : undefined, 0)
  }
  return c.endpointsWire()
}

const RUN_S = 60

/** The report `lucid load --json` writes for a run whose worker processes shipped `parts`. */
function runReport(parts: EndpointWire[][], conditions: Partial<Conditions> = {}): Report {
  const m = mergeEndpointsWithHistograms(parts, RUN_S)
  return judgedLoadReport({
    id: 'load.light',
    metrics: { ...loadMetrics(m.rows), users_count: 50 },
    conditions: { scenario: 'light', time_scale: 5, duration_s: 300, users: 50, workers: parts.length, engine: 'lucid', ...conditions },
    endpoints: m.rows,
    histograms: m.histograms,
    durationS: RUN_S,
    env: captureEnv()
  })
}

/** Every recorded value and count, as text (two histograms with the same counts print the same). */
const distribution = (encoded: string): string => decodeHistogram(encoded).outputPercentileDistribution(5, 1)

describe('lucid merge', () => {
  it('merging two runs equals one run over both samples: the same histograms, counts and judged metrics', () => {
    const a = samples(1, 4000, 7)
    const b = samples(2, 2500)
    const merged = mergeLoadReports(
      [
        { file: 'a.json', report: runReport([a]) },
        { file: 'b.json', report: runReport([b]) }
      ],
      captureEnv()
    )
    const one = runReport([a, b])
    const m = merged.results[0]!
    const o = one.results[0]!
    assert.deepEqual(Object.keys(m.histograms ?? {}).sort(), Object.keys(o.histograms ?? {}).sort())
    assert.ok(Object.keys(o.histograms ?? {}).includes('Aggregated'))
    for (const [name, encoded] of Object.entries(o.histograms ?? {})) {
      const mine = m.histograms?.[name]
      assert.ok(mine !== undefined, name)
      assert.equal(decodeHistogram(mine).totalCount, decodeHistogram(encoded).totalCount, name)
      assert.equal(distribution(mine), distribution(encoded), `${name}: every value's count`)
    }
    assert.equal(decodeHistogram(m.histograms!.Aggregated!).totalCount, 6500)
    for (const k of ['requests_count', 'failures_count', 'error_ratio', 'requests_per_s', 'p50_ms', 'p95_ms', 'p99_ms', 'max_ms', 'max_endpoint_p95_ms'])
      assert.equal(m.metrics[k], o.metrics[k], k)
    assert.equal(m.metrics.users_count, 100, 'the users of both runs')
    assert.deepEqual(m.endpoints, o.endpoints, 'the endpoint table, failure reasons included')
    assert.deepEqual(
      m.targets.map((t) => [t.metric, t.measured, t.verdict]),
      o.targets.map((t) => [t.metric, t.measured, t.verdict])
    )
    assert.equal(merged.verdict, one.verdict)
    // Sources listed with their own conditions; what they share stays, what adds up is summed.
    assert.equal(m.conditions.sources, 2)
    assert.match(String(m.conditions.source_1), /^a\.json: 1 workers, 4000 requests/)
    assert.match(String(m.conditions.source_2), /^b\.json: 1 workers, 2500 requests/)
    assert.deepEqual([m.conditions.scenario, m.conditions.time_scale, m.conditions.users, m.conditions.workers], ['light', 5, 100, 2])
    assert.deepEqual(
      m.sources?.map((s) => s.file),
      ['a.json', 'b.json']
    )
  })

  it('refuses runs of different scenarios, time scales or durations, and runs without histograms, with LUCID_ERR_9010', () => {
    const a = runReport([samples(1, 100)])
    const refused = (other: Report, why: RegExp): void => {
      assert.throws(
        () =>
          mergeLoadReports(
            [
              { file: 'a.json', report: a },
              { file: 'b.json', report: other }
            ],
            captureEnv()
          ),
        (err: unknown) => err instanceof LucidError && err.code === 'LUCID_ERR_9010' && err.statusCode === 2 && why.test(err.message)
      )
    }
    refused(runReport([samples(2, 100)], { time_scale: 10 }), /different time_scale: 5 in a\.json, 10 in b\.json/)
    refused(runReport([samples(2, 100)], { scenario: 'light (custom)' }), /different scenario/)
    refused(runReport([samples(2, 100)], { duration_s: 600 }), /different duration_s/)
    const locust = runReport([samples(2, 100)], { engine: 'locust' })
    delete locust.results[0]!.histograms
    refused(locust, /b\.json carries no histograms \(a Locust run/)
    const other = runReport([samples(2, 100)])
    other.results[0]!.id = 'load.medium'
    refused(other, /a\.json is load\.light, b\.json is load\.medium/)
    assert.throws(
      () => mergeLoadReports([{ file: 'x.json', report: { schema: 'nope' } }], captureEnv()),
      (err: unknown) => err instanceof LucidError && err.code === 'LUCID_ERR_9008'
    )
  })

  it('never passes a merge whose requests all failed, or that has no request at all', () => {
    const allFailed = (seed: number): EndpointWire[] => samples(seed, 50).map((e) => ({ ...e, failures: e.requests, reasons: [['HTTP 500', e.requests]] }))
    const failed = mergeLoadReports(
      [
        { file: 'a.json', report: runReport([allFailed(1)]) },
        { file: 'b.json', report: runReport([allFailed(2)]) }
      ],
      captureEnv()
    )
    assert.equal(failed.results[0]!.metrics.error_ratio, 1)
    // As every bench case (issue 21): no request succeeded is an error naming the first errors, not a mere miss.
    assert.equal(failed.verdict, 'error')
    assert.match(failed.results[0]!.reason ?? '', /no request succeeded .*first errors: .*HTTP 500/)
    const empty = mergeLoadReports(
      [
        { file: 'a.json', report: runReport([[]]) },
        { file: 'b.json', report: runReport([[]]) }
      ],
      captureEnv()
    )
    const e = empty.results[0]!
    assert.equal(e.metrics.error_ratio, 1)
    assert.equal(e.metrics.max_endpoint_p95_ms, undefined, 'no latency is invented')
    assert.equal(e.targets.find((t) => t.metric === 'max_endpoint_p95_ms')?.verdict, 'error')
    assert.equal(empty.verdict, 'error')
  })
})
