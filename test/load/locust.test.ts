import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startServerProcess } from '../../load/server-process.ts'
import { validateReport, type Report } from '../../harness/report/schema.ts'
import { startRecordingServer } from '../fixtures/recording-server.ts'

const LOCUST = '/usr/bin/locust'
const LOCUSTFILE = fileURLToPath(new URL('../../load/locust/locustfile.py', import.meta.url))
const LUCID = fileURLToPath(new URL('../../bin/lucid.js', import.meta.url))
const GATEWAY = new URL('../../services/gateway/index.ts', import.meta.url).href
// CI installs Debian's python3-locust and sets this, so the interop check can never be skipped there.
const REQUIRED = process.env.LUCID_REQUIRE_LOCUST === '1'

test('the real Locust runs load/locust/locustfile.py against lucid serve --seed-demo --load-test with zero failures', {
  skip: !existsSync(LOCUST) && !REQUIRED ? 'Locust not installed (apt-get install python3-locust; CI installs it)' : false
}, async () => {
  assert.ok(existsSync(LOCUST), 'LUCID_REQUIRE_LOCUST=1 but /usr/bin/locust is missing')
  const dir = mkdtempSync(join(tmpdir(), 'lucid-locust-'))
  const server = await startServerProcess(GATEWAY, { options: { seedDemo: true, loadTest: true, dataDir: join(dir, 'data') }, timeoutMs: 120_000 })
  try {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        LOCUST,
        ['-f', LOCUSTFILE, '--headless', '-u', '20', '-r', '20', '-t', '20s', '--host', server.url, '--csv', join(dir, 'r'), '--only-summary'],
        { timeout: 120_000, env: { ...process.env, PYTHONWARNINGS: 'ignore' } },
        (err, stdout, stderr) => {
          resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr })
        }
      )
    })
    assert.equal(r.code, 0, r.stderr.slice(-2000))
    const rows = readFileSync(join(dir, 'r_stats.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(','))
    const agg = rows.find((c) => c[1] === 'Aggregated')
    assert.ok(agg !== undefined, 'an Aggregated row')
    assert.ok(Number(agg[2]) > 20, `${agg[2]} requests`)
    assert.equal(Number(agg[3]), 0, `failures: ${readFileSync(join(dir, 'r_failures.csv'), 'utf8')}`)
    const names = new Set(rows.slice(1).map((c) => c[1]))
    for (const n of ['/health', '/auth/login', '/sessions', '/chain/info', '/admin/auth/login']) assert.ok(names.has(n), `Locust called ${n}`)
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

/** Runs the CLI without blocking this process (the recording server lives here). */
function lucid(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [LUCID, ...args], { timeout: 180_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr })
    })
  })
}

test('lucid load --engine locust runs Locust as a master and 2 workers and judges its CSV with the load targets', {
  skip: !existsSync(LOCUST) && !REQUIRED ? 'Locust not installed (apt-get install python3-locust; CI installs it)' : false
}, async () => {
  assert.ok(existsSync(LOCUST), 'LUCID_REQUIRE_LOCUST=1 but /usr/bin/locust is missing')
  const dir = mkdtempSync(join(tmpdir(), 'lucid-locust-engine-'))
  const server = await startRecordingServer()
  try {
    // 8 users for 60 s at time scale 10: a 6-second run with every wait divided by 10.
    const r = await lucid(
      'load',
      '--engine',
      'locust',
      '--workers',
      '2',
      '--scenario',
      'light',
      '--users',
      '8',
      '--duration',
      '60s',
      '--time-scale',
      '10',
      '--host',
      server.url,
      '--json',
      join(dir, 'r.json'),
      '--csv',
      join(dir, 'r')
    )
    // 0 or 1: the latency target is judged on this machine as it is; the behaviour is checked below.
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr.slice(-2000)}`)
    assert.match(r.stdout, /Response time percentiles \(ms, Locust's, rounded/)
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as Report
    assert.deepEqual(validateReport(report), [])
    const e = report.results[0]!
    assert.equal(e.id, 'load.light')
    assert.deepEqual([e.conditions.engine, e.conditions.workers, e.conditions.time_scale], ['locust', 2, 10])
    assert.match(String(e.conditions.locust_version), /\S/)
    assert.match(String(e.conditions.percentiles), /rounds each response time/)
    assert.equal(e.histograms, undefined, 'Locust keeps no histograms: none is invented')
    assert.equal(e.metrics.error_ratio, 0)
    assert.equal(e.metrics.users_count, 8)
    assert.deepEqual(
      e.targets.map((t) => t.metric),
      ['error_ratio', 'max_endpoint_p95_ms']
    )
    assert.ok(
      e.targets.every((t) => t.verdict !== 'error'),
      'every target judged'
    )
    // Locust counts what it sent; the server saw those and at most one request in flight per user at the stop.
    const userRequests = server.requests.filter((q) => q.path !== '/metrics').length
    const counted = e.metrics.requests_count ?? 0
    assert.ok(counted <= userRequests && userRequests - counted <= 8, `${counted} counted, ${userRequests} served`)
    // The time scale reached the workers: unscaled waits (1-30 s) allow at most ~28 requests from 8 users in 6 s.
    assert.ok(counted > 40, `${counted} requests: were the waits divided by 10?`)
    const names = new Set((e.endpoints as Array<{ name: string }>).map((x) => x.name))
    for (const n of ['/health', '/auth/login', '/sessions', '/chain/anchor', '/admin/auth/login', 'Aggregated']) assert.ok(names.has(n), n)
    // --csv keeps Locust's own files.
    assert.match(readFileSync(join(dir, 'r_stats.csv'), 'utf8'), /^Type,Name,Request Count,Failure Count,Median Response Time/)
    assert.match(readFileSync(join(dir, 'r_stats_history.csv'), 'utf8'), /^Timestamp,User Count,Type,Name/)
    // A Locust report cannot be merged: it has no histograms.
    const m = await lucid('merge', join(dir, 'r.json'), join(dir, 'r.json'))
    assert.equal(m.code, 2)
    assert.match(m.stderr, /carries no histograms \(a Locust run.*\[LUCID_ERR_9010\]/)
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
