import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { runBench } from '../../harness/runner.ts'
import { validateReport } from '../../harness/report/schema.ts'
import { exitCode, nothingSucceeded } from '../../harness/verdict.ts'
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

describe('a case whose requests fail cannot pass (issue 21)', () => {
  it('names the first errors its load generator kept', () => {
    assert.match(nothingSucceeded({ error_ratio: 1 }, { first_errors: 'HTTP 503; ECONNRESET socket hang up' }) ?? '', /first errors: HTTP 503; ECONNRESET/)
    assert.equal(nothingSucceeded({ error_ratio: 0.5 }, { first_errors: 'HTTP 503' }), undefined)
  })
  it('every request failed: an error (exit 3, even on smoke) naming why, though its speed targets are "met"', async () => {
    for (const profile of ['smoke', 'quick'] as const) {
      const report = await runBench({ cases: [FIXTURES.allFailed], profile, targets: FIXTURE_TARGETS })
      const [r] = report.results
      assert.equal(r?.verdict, 'error')
      assert.match(r?.reason ?? '', /no request succeeded \(error_ratio 1\)/)
      assert.equal(report.verdict, 'error')
      assert.equal(exitCode(report.verdict, profile), 3)
    }
  })
  it('a third of the requests failed and no target names the error ratio: the default bound (< 0.05) fails it', async () => {
    const report = await runBench({ cases: [FIXTURES.someFailed], profile: 'quick', targets: FIXTURE_TARGETS })
    const [r] = report.results
    const t = r?.targets.find((x) => x.metric === 'error_ratio')
    assert.deepEqual([t?.op, t?.value, t?.verdict], ['<', 0.05, 'fail'])
    assert.match(t?.source ?? '', /default/)
    assert.equal(r?.verdict, 'fail')
    assert.equal(exitCode(report.verdict, 'quick'), 1)
  })
})

describe('--host moves the system under test, never its baseline (issue 21)', () => {
  it('baseline.http with --host pointing nowhere still measures its own node:http server', async () => {
    const { spawnSync } = await import('node:child_process')
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { tmpdir } = await import('node:os')
    const dir = mkdtempSync(join(tmpdir(), 'lucid-target-'))
    try {
      const json = join(dir, 'r.json')
      const lucid = new URL('../../bin/lucid.js', import.meta.url).pathname
      const r = spawnSync(process.execPath, [lucid, 'bench', 'baseline.http', '--host', 'http://127.0.0.1:1', '--profile', 'smoke', '--json', json], {
        encoding: 'utf8',
        timeout: 180_000
      })
      assert.equal(r.status, 0, r.stdout + r.stderr)
      const report = JSON.parse(readFileSync(json, 'utf8')) as { results: Array<{ conditions: { server?: string }; metrics: { error_ratio?: number } }> }
      assert.equal(report.results[0]?.conditions.server, 'node:http (child process)')
      assert.ok((report.results[0]?.metrics.error_ratio ?? 1) < 1)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  it('a gateway case against an unreachable --host cannot pass: an error naming its first errors (exit 3, even on smoke)', async () => {
    const { spawnSync } = await import('node:child_process')
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { tmpdir } = await import('node:os')
    const dir = mkdtempSync(join(tmpdir(), 'lucid-host-'))
    try {
      const json = join(dir, 'r.json')
      const lucid = new URL('../../bin/lucid.js', import.meta.url).pathname
      const r = spawnSync(process.execPath, [lucid, 'bench', 'gateway.health', '--host', 'http://127.0.0.1:1', '--profile', 'smoke', '--json', json], {
        encoding: 'utf8',
        timeout: 180_000
      })
      assert.equal(r.status, 3, r.stdout + r.stderr)
      const report = JSON.parse(readFileSync(json, 'utf8')) as { verdict: string; results: Array<{ id: string; verdict: string; reason?: string }> }
      const gw = report.results.find((x) => x.id === 'gateway.health')
      assert.equal(gw?.verdict, 'error')
      assert.match(gw?.reason ?? '', /ECONNREFUSED/)
      assert.equal(report.verdict, 'error')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  it('lucid load against an unreachable --host: an error naming the failing requests, not a pass', async () => {
    const { spawnSync } = await import('node:child_process')
    const lucid = new URL('../../bin/lucid.js', import.meta.url).pathname
    const r = spawnSync(
      process.execPath,
      [lucid, 'load', '--scenario', 'light', '--host', 'http://127.0.0.1:1', '-u', '2', '-r', '2', '-t', '3s', '--json', '-'],
      {
        encoding: 'utf8',
        timeout: 120_000
      }
    )
    assert.equal(r.status, 3, r.stderr)
    const report = JSON.parse(r.stdout) as { results: Array<{ verdict: string; reason?: string }> }
    assert.equal(report.results[0]?.verdict, 'error')
    assert.match(report.results[0]?.reason ?? '', /no request succeeded .*first errors: .*ECONNREFUSED/)
  })
})
