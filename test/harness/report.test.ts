import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { validateReport, type Report } from '../../harness/report/schema.ts'
import { renderTable } from '../../harness/report/console.ts'
import { caseVerdict, exitCode, runVerdict } from '../../harness/verdict.ts'

const good: Report = {
  schema: 'lucid-bench/1',
  verdict: 'fail',
  profile: 'quick',
  judged: true,
  strict: false,
  env: {
    node: 'v20',
    cpu: 'x',
    cores: 2,
    platform: 'linux',
    total_mem_bytes: 1,
    loadavg_before: [0, 0, 0],
    loadavg_after: [0, 0, 0],
    commit: '',
    date: '2026-11-26T00:00:00Z'
  },
  results: [
    {
      id: 'gateway.health',
      component: 'gateway',
      status: 'completed',
      conditions: {},
      metrics: { requests_per_s: 900, p95_ms: 12, requests_per_s_vs_http_x: 0.5 },
      repeats: [{ requests_per_s: 900, p95_ms: 12 }],
      baselines: [{ id: 'baseline.http', metrics: { requests_per_s: 1800 } }],
      targets: [
        { metric: 'requests_per_s', op: '>', value: 1000, measured: 900, verdict: 'fail', source: 'seed' },
        { metric: 'p95_ms', op: '<', value: 50, measured: 12, verdict: 'pass', source: 'seed' }
      ],
      goals: [],
      duration_s: 1,
      verdict: 'fail'
    },
    {
      id: 'db.transaction',
      component: 'db',
      status: 'skipped',
      reason: 'no server',
      conditions: {},
      metrics: {},
      repeats: [],
      baselines: [],
      targets: [],
      goals: [],
      duration_s: 0,
      verdict: 'skipped'
    }
  ]
}

describe('report', () => {
  it('accepts a well-formed report', () => assert.deepEqual(validateReport(JSON.parse(JSON.stringify(good))), []))

  it('names what is wrong with a malformed one', () => {
    assert.deepEqual(validateReport(null), ['report: not a JSON object'])
    // biome-ignore lint/suspicious/noExplicitAny: the test breaks a report's fields one by one, whatever their type
    const bad = JSON.parse(JSON.stringify(good)) as Record<string, any>
    bad.schema = 'other'
    bad.results[0].metrics.p95_ms = 'fast'
    bad.results[0].targets[0].verdict = 'ok'
    bad.results[1].reason = undefined
    bad.results.push({ ...bad.results[0] })
    const problems = validateReport(JSON.parse(JSON.stringify(bad)))
    for (const p of ['schema', 'results[0].metrics.p95_ms', 'results[0].targets[0].verdict', 'results[1].reason', 'appears twice']) {
      assert.ok(
        problems.some((x) => x.includes(p)),
        `reports ${p}: ${problems.join('; ')}`
      )
    }
  })

  it('shows measured, baseline and ratio per target in the table', () => {
    const table = renderTable(good)
    assert.match(table, /gateway\.health\s+requests_per_s\s+> 1,000\s+900\s+1,800\s+0\.500x\s+FAIL/)
    assert.match(table, /db\.transaction .*SKIPPED: no server/)
    assert.match(table, /verdict: FAIL/)
  })

  it('turns verdicts into exit codes; smoke judges no speed', () => {
    assert.equal(caseVerdict('completed', good.results[0]!.targets), 'fail')
    assert.equal(runVerdict(good.results, false), 'fail')
    assert.equal(exitCode('fail', 'quick'), 1)
    assert.equal(exitCode('fail', 'smoke'), 0)
    assert.equal(exitCode('error', 'smoke'), 3)
    assert.equal(exitCode('pass', 'full'), 0)
  })
})
