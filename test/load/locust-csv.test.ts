import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { locustEndpoints, locustSeries, parseCsv } from '../../load/locust/csv.ts'
import { loadMetrics } from '../../load/metrics.ts'
import { spawnedUsers } from '../../load/locust/run.ts'

// Locust 2.12's own columns, rows taken from a real `--csv --csv-full-history` run (trimmed), plus an endpoint
// that was never answered (N/A) and a failure reason with a comma and quotes, as Locust quotes it.
const HEAD =
  'Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%'
const STATS = `${HEAD}
POST,/admin/auth/login,44,0,110.0,140.48757293155424,31.56458599914913,394.610912000644,1014.0,1.4666838944657328,0.0,110,170,210,230,280,340,390,390,390,390,390
GET,/health,100,4,1,1.37,0.89,4.25,427.2,3.33,0.13,1,1,1,1,3,3,4,4,4,4,4
GET,/nodes/status,0,0,0,0.0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A
,Aggregated,144,4,3,22.81866138613275,0.5212750002101529,394.610912000644,714.6973258889216,4.8,0.13,3,6,10,19,53,100,250,370,390,390,390
`
const FAILURES = `Method,Name,Error,Occurrences
GET,/health,HTTP 503,3
GET,/health,"ConnectionResetError(104, ""Connection reset by peer"")",1
`
const HISTORY = `Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size
1796299323,0,,Aggregated,0.000000,0.000000,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0,0,0.0,0,0,0
1796299330,50,GET,/chain/blocks/latest,4.666667,0.000000,1,1,1,1,1,3,3,3,3,3,3,24,0,1,1.15,0.73,2.8,485.0
1796299330,50,,Aggregated,88.333333,0.000000,3,6,16,33,280,410,530,600,750,750,750,532,0,3,56.3,0.62,751.7,386.2
`

describe("the real Locust's CSV files", () => {
  it('parses quoted cells with commas, doubled quotes and newlines', () => {
    assert.deepEqual(parseCsv('a,"b,c","say ""hi""\nthere"\r\n1,2,3\n'), [
      ['a', 'b,c', 'say "hi"\nthere'],
      ['1', '2', '3']
    ])
  })

  it('reads the endpoint table: counts, rates, exact mean/min/max, rounded percentiles, failures by reason', () => {
    const rows = locustEndpoints(STATS, FAILURES)
    assert.equal(rows.at(-1)!.name, 'Aggregated')
    const login = rows.find((r) => r.name === '/admin/auth/login')!
    assert.deepEqual([login.method, login.requests, login.failures], ['POST', 44, 0])
    assert.equal(login.percentiles_ms.p95_ms, 340)
    assert.equal(login.percentiles_ms.p99_9_ms, 390)
    assert.equal(login.max_ms, 394.610912000644)
    const health = rows.find((r) => r.name === '/health')!
    assert.deepEqual(health.failure_reasons, { 'HTTP 503': 3, 'ConnectionResetError(104, "Connection reset by peer")': 1 })
    const agg = rows.at(-1)!
    assert.equal(agg.failure_reasons['GET /health: HTTP 503'], 3)
    const idle = rows.find((r) => r.name === '/nodes/status')!
    assert.deepEqual(idle.percentiles_ms, {}, 'N/A is no figure, never 0')
  })

  it('judges the same metrics as the simulated users, leaving out what Locust did not measure', () => {
    const m = loadMetrics(locustEndpoints(STATS, FAILURES))
    assert.equal(m.requests_count, 144)
    assert.equal(m.failures_count, 4)
    assert.equal(m.error_ratio, 4 / 144)
    assert.equal(m.p95_ms, 100)
    assert.equal(m.max_endpoint_p95_ms, 340, 'the worst endpoint that was called; the idle one does not count')
    const none = loadMetrics(
      locustEndpoints(`${HEAD}\n,Aggregated,0,0,0,0.0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\n`, 'Method,Name,Error,Occurrences\n')
    )
    assert.equal(none.error_ratio, 1, 'no request is no success')
    assert.equal(none.p95_ms, undefined)
    assert.equal(none.max_endpoint_p95_ms, undefined)
  })

  it('refuses a stats file without its Aggregated row', () => {
    assert.throws(() => locustEndpoints(STATS.split('\n').slice(0, 3).join('\n'), FAILURES), /no Aggregated row/)
  })

  it("takes the users the master's log reports at the end of spawning", () => {
    const log = `[2026-12-03 12:07:33,101] vm/INFO/locust.runners: Sending spawn messages for 8 total users to 2 worker(s)
[2026-12-03 12:07:33,200] vm/INFO/locust.runners: All users spawned: {"APIUser": 2, "AdminUser": 2, "BlockchainUser": 2, "SessionUser": 2} (8 total users)
`
    assert.equal(spawnedUsers(log), 8)
    assert.equal(
      spawnedUsers('Spawning is complete and report waittime is expired, but not all reports received from workers: {"APIUser": 1} (5 total users)'),
      5
    )
    assert.equal(spawnedUsers('nothing here'), 0)
  })

  it('reads the history: Aggregated rows only, seconds from the first, the most users', () => {
    const { series, usersMax } = locustSeries(HISTORY)
    assert.equal(series.length, 2)
    assert.deepEqual(series[1], { t: 7, users: 50, requests_per_s: 88.333333, p50_ms: 3, p95_ms: 410, p99_ms: 600, errors: 0 })
    assert.equal(series[0]!.p95_ms, 0)
    assert.equal(usersMax, 50)
  })
})
