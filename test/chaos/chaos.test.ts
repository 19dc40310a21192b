/**
 * The `lucid chaos` framework: flags and usage errors, suites loaded by name (a missing one named), the
 * report each suite's entry makes (accepted by validateReport, judged by its targets), and a short fuzz run
 * against a gateway on loopback that must see no 5xx, no crash and no breach.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isLucidError } from '../../services/common/errors.ts'
import { chaosCommand, chaosEntry, chaosTargets, loadSuite, parseChaosArgs, renderSuite } from '../../cli/commands/bench/chaos.ts'
import { validateReport, type Report } from '../../harness/report/schema.ts'
import { addUserOutcomes, Classes } from '../../chaos/overload/index.ts'
import { runFuzz } from '../../chaos/fuzz/index.ts'
import type { ChaosResult } from '../../chaos/types.ts'

function usageError(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => isLucidError(err) && err.code === code && err.statusCode === 2 && pattern.test(err.message))
}

describe('lucid chaos flags', () => {
  it('refuses a missing or unknown suite, a bad duration, seed or target, and --host on a suite without HTTP', () => {
    usageError(() => parseChaosArgs([]), 'LUCID_ERR_9001', /--suite/)
    usageError(() => parseChaosArgs(['--suite', 'nope']), 'LUCID_ERR_9003', /--suite: 'nope'/)
    usageError(() => parseChaosArgs(['--suite', 'fuzz', '--duration', 'soon']), 'LUCID_ERR_9003', /--duration/)
    usageError(() => parseChaosArgs(['--suite', 'fuzz', '--seed=-3']), 'LUCID_ERR_9003', /--seed/)
    usageError(() => parseChaosArgs(['--suite', 'fuzz', '--host', 'not a url']), 'LUCID_ERR_9003', /--host/)
    usageError(() => parseChaosArgs(['--suite', 'fuzz', '--host', 'ftp://x']), 'LUCID_ERR_9003', /--host/)
    usageError(() => parseChaosArgs(['--suite', 'faults', '--host', 'http://127.0.0.1:1']), 'LUCID_ERR_9001', /fuzz and overload/)
    usageError(() => parseChaosArgs(['--suite', 'fuzz', 'extra']), 'LUCID_ERR_9001', /positional/)
    usageError(() => parseChaosArgs(['--suite', 'fuzz', '--json', '/no/such/dir/r.json']), 'LUCID_ERR_9004', /--json/)
    usageError(() => parseChaosArgs(['--suite', 'fuzz', '--bogus']), 'LUCID_ERR_9001', /unknown option '--bogus'/)
  })

  it('parses the flags it takes', () => {
    assert.equal(parseChaosArgs(['--help']), 'help')
    assert.deepEqual(parseChaosArgs(['--suite', 'all', '--duration', '2m', '--full', '--host', 'http://127.0.0.1:8080/x', '--seed', '7']), {
      suites: ['fuzz', 'overload', 'faults', 'soak'],
      full: true,
      quiet: false,
      durationS: 120,
      target: 'http://127.0.0.1:8080',
      seed: 7
    })
    assert.deepEqual(parseChaosArgs(['--suite', 'overload']), { suites: ['overload'], full: false, quiet: false })
  })

  it('the command throws the usage error for the CLI to print (exit 2)', async () => {
    await assert.rejects(chaosCommand(['--suite', 'bogus']), (err: unknown) => isLucidError(err, 'LUCID_ERR_9003'))
  })
})

describe('suites', () => {
  it('a missing suite module is LUCID_ERR_9009 naming it; present ones export run()', async () => {
    const missing = new URL('../../chaos/no-such-suite/index.ts', import.meta.url)
    await assert.rejects(
      loadSuite('soak', missing),
      (err: unknown) => isLucidError(err, 'LUCID_ERR_9009') && /soak suite/.test(err.message) && /no-such-suite\/index\.ts is missing/.test(err.message)
    )
    assert.equal(typeof (await loadSuite('fuzz')), 'function')
    assert.equal(typeof (await loadSuite('overload')), 'function')
  })
})

describe('report entries', () => {
  const result = (over: Partial<ChaosResult> = {}): ChaosResult => ({
    metrics: {
      requests_count: 12_000,
      server_errors_count: 0,
      crashes_count: 0,
      unauthorised_successes_count: 0,
      responses_without_code_count: 0,
      integrity_violations_count: 0,
      model_sequences_count: 2000,
      model_violations_count: 0,
      duration_s: 80
    },
    conditions: { server: 'test', seed: 1 },
    passed: true,
    findings: [],
    ...over
  })
  const report = (entries: Report['results']): Report => ({
    schema: 'lucid-bench/1',
    verdict: 'pass',
    profile: 'quick',
    judged: true,
    strict: false,
    env: {
      node: process.version,
      cpu: 'x',
      cores: 2,
      platform: 'linux',
      total_mem_bytes: 1,
      loadavg_before: [],
      loadavg_after: [],
      commit: '',
      date: new Date().toISOString()
    },
    results: entries
  })

  it('a clean fuzz result passes every target and makes a report validateReport accepts', () => {
    const e = chaosEntry('fuzz', result(), chaosTargets('fuzz', { full: false, durationGiven: false }), 81)
    assert.equal(e.id, 'chaos.fuzz')
    assert.equal(e.component, 'chaos')
    assert.equal(e.verdict, 'pass')
    assert.deepEqual(
      e.targets.map((t) => [t.metric, t.op, t.value, t.verdict]),
      [
        ['requests_count', '>=', 10_000, 'pass'],
        ['server_errors_count', '<=', 0, 'pass'],
        ['crashes_count', '<=', 0, 'pass'],
        ['unauthorised_successes_count', '<=', 0, 'pass'],
        ['responses_without_code_count', '<=', 0, 'pass'],
        ['integrity_violations_count', '<=', 0, 'pass'],
        ['model_sequences_count', '>=', 2000, 'pass'],
        ['model_violations_count', '<=', 0, 'pass'],
        ['findings_count', '<=', 0, 'pass']
      ]
    )
    assert.deepEqual(validateReport(JSON.parse(JSON.stringify(report([e])))), [])
    assert.match(renderSuite(e), /requests_count\s+12,000/)
  })

  it('a 5xx fails the suite; a finding fails it; the suite\'s own "not passed" fails it; a missing metric errors it', () => {
    const targets = chaosTargets('fuzz', { full: false, durationGiven: true })
    assert.ok(!targets.some((t) => t.metric === 'requests_count'), 'no count target when --duration chose the length')
    assert.equal(chaosEntry('fuzz', result({ metrics: { ...result().metrics, server_errors_count: 1 } }), targets, 1).verdict, 'fail')
    const withFinding = chaosEntry('fuzz', result({ findings: ['server error: POST /x -> 500'] }), targets, 1)
    assert.equal(withFinding.verdict, 'fail')
    assert.equal(withFinding.metrics.findings_count, 1)
    assert.deepEqual(withFinding.findings, ['server error: POST /x -> 500'])
    assert.equal(chaosEntry('fuzz', result({ passed: false }), targets, 1).verdict, 'fail')
    const { crashes_count: _c, ...noCrashes } = result().metrics
    const errored = chaosEntry('fuzz', result({ metrics: noCrashes }), targets, 1)
    assert.equal(errored.verdict, 'error')
    assert.deepEqual(validateReport(JSON.parse(JSON.stringify(report([errored])))), [])
  })

  it('overload is judged on /health p99, server errors, recovery and memory; faults and soak on their findings', () => {
    assert.deepEqual(
      chaosTargets('overload', { full: false, durationGiven: false }).map((t) => t.metric),
      ['health_p99_ms', 'server_errors_count', 'crashes_count', 'responses_without_code_count', 'recovery_s', 'peak_rss_bytes', 'findings_count']
    )
    assert.deepEqual(
      chaosTargets('soak', { full: true, durationGiven: false }).map((t) => t.metric),
      ['findings_count']
    )
  })
})

describe('overload classification', () => {
  it('sorts answers into 2xx, 429, intended 503 shedding, other 4xx, server errors and transport errors', () => {
    const c = new Classes()
    addUserOutcomes(c, 20, 8, {
      'POST /auth/login: HTTP 429 LUCID_ERR_3001': 3,
      'POST /auth/login: HTTP 503 LUCID_ERR_3002': 2,
      'GET /sessions: HTTP 401 LUCID_ERR_1002': 1,
      'GET /chain/info: HTTP 500 LUCID_ERR_1009': 1,
      'GET /health: ECONNRESET': 1
    })
    c.add(503, undefined, () => '503 without code')
    c.add(418, undefined, () => '418 without code')
    assert.deepEqual(
      { ok: c.ok, limited: c.limited, shed: c.shed, other4xx: c.other4xx, serverErrors: c.serverErrors, transport: c.transport, withoutCode: c.withoutCode },
      { ok: 12, limited: 3, shed: 2, other4xx: 2, serverErrors: 2, transport: 1, withoutCode: 2 }
    )
    assert.equal(c.total, 22)
  })
})

describe('a short fuzz run against a loopback gateway', () => {
  it('answers every hostile request with a coded 4xx (or a legitimate 2xx): no 5xx, no crash, no breach', { timeout: 180_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lucid-chaos-test-'))
    try {
      const r = await runFuzz({ full: false, seed: 20240611, progress: () => {}, tmpdir: dir }, 300)
      // 300 generated requests plus the fixed replays (a spent refresh token, wallet challenges).
      assert.ok((r.metrics.requests_count ?? 0) >= 300, `requests: ${r.metrics.requests_count}`)
      for (const m of ['server_errors_count', 'crashes_count', 'unauthorised_successes_count', 'responses_without_code_count', 'integrity_violations_count']) {
        assert.equal(r.metrics[m], 0, `${m}: ${r.findings.join('\n')}`)
      }
      assert.deepEqual(r.findings, [])
      assert.equal(r.passed, true)
      assert.equal(r.conditions.seed, 20240611)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
