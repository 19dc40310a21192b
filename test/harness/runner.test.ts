import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { runBench } from '../../harness/runner.ts'
import { validateReport } from '../../harness/report/schema.ts'
import { exitCode } from '../../harness/verdict.ts'
import { FIXTURES, FIXTURE_TARGETS } from '../fixtures/registry.ts'

describe('runner', () => {
  it('reports a crashing, a throwing and a hanging case and goes on with the others', async () => {
    const report = await runBench({
      cases: [FIXTURES.crash, FIXTURES.throws, FIXTURES.hang, FIXTURES.ok],
      profile: 'smoke',
      targets: FIXTURE_TARGETS
    })
    assert.deepEqual(validateReport(report), [])
    const [crash, throws, hang, ok] = report.results
    assert.equal(crash?.status, 'errored')
    assert.equal(crash?.code, 'LUCID_ERR_9006')
    assert.match(crash?.reason ?? '', /exited with code 7/)
    assert.match(crash?.reason ?? '', /about to crash/, 'the reason carries the tail of stderr')
    assert.equal(throws?.status, 'errored')
    assert.equal(throws?.code, 'LUCID_ERR_4005')
    assert.equal(hang?.status, 'errored')
    assert.equal(hang?.code, 'LUCID_ERR_9007')
    assert.equal(ok?.status, 'completed', 'the case after the failures still ran')
    assert.equal(ok?.verdict, 'pass')
    assert.equal(report.verdict, 'error')
    assert.equal(exitCode(report.verdict, report.profile), 3)
  })

  it('fails closed on a target whose metric the case did not produce', async () => {
    const report = await runBench({ cases: [FIXTURES.partial], profile: 'quick', targets: FIXTURE_TARGETS })
    const [r] = report.results
    assert.equal(r?.targets.find((t) => t.metric === 'p95_ms')?.verdict, 'pass')
    const absent = r?.targets.find((t) => t.metric === 'p99_ms')
    assert.equal(absent?.verdict, 'error')
    assert.equal(absent?.measured, null)
    assert.equal(r?.verdict, 'error')
    assert.equal(report.verdict, 'error')
    assert.notEqual(exitCode(report.verdict, 'quick'), 0)
  })

  it('judges targets and goals, keeps every repeat and reports the median', async () => {
    const report = await runBench({ cases: [FIXTURES.ok], profile: 'quick', targets: FIXTURE_TARGETS, repeat: 3, seed: 7 })
    const [r] = report.results
    assert.equal(r?.repeats.length, 3)
    const draws = r!.repeats.map((m) => m.draw_count!).sort((a, b) => a - b)
    assert.equal(r?.metrics.draw_count, draws[1], 'the metric is the median of the repeats')
    assert.equal(r?.targets.length, 2)
    assert.ok(r?.targets.every((t) => t.verdict === 'pass'))
    assert.equal(r?.goals[0]?.verdict, 'fail', 'a missed goal is reported ...')
    assert.equal(r?.verdict, 'pass', '... but never fails the case')
    assert.equal(report.verdict, 'pass')
    assert.equal(exitCode(report.verdict, 'quick'), 0)
  })

  it('is reproducible for a seed', async () => {
    const a = await runBench({ cases: [FIXTURES.ok], profile: 'smoke', targets: [], seed: 5 })
    const b = await runBench({ cases: [FIXTURES.ok], profile: 'smoke', targets: [], seed: 5 })
    assert.equal(a.results[0]?.metrics.draw_count, b.results[0]?.metrics.draw_count)
  })

  it('lets a skipped case pass unless strict', async () => {
    const lax = await runBench({ cases: [FIXTURES.skipped, FIXTURES.ok], profile: 'quick', targets: FIXTURE_TARGETS })
    assert.equal(lax.results[0]?.status, 'skipped')
    assert.equal(lax.results[0]?.reason, 'fixture: no server here')
    assert.equal(lax.verdict, 'pass')
    const strict = await runBench({ cases: [FIXTURES.skipped], profile: 'quick', targets: FIXTURE_TARGETS, strict: true })
    assert.equal(strict.verdict, 'fail')
    assert.equal(exitCode(strict.verdict, 'quick'), 1)
  })
})
