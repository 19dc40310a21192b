import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { validateReport, type Report } from '../../harness/report/schema.ts'
import { decodeHistogram, mergeHistograms } from '../../harness/stats/histogram.ts'
import { startRecordingServer } from '../fixtures/recording-server.ts'

const LUCID = fileURLToPath(new URL('../../bin/lucid.js', import.meta.url))

/** Runs the CLI without blocking this process (the recording server lives here). */
function lucid(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [LUCID, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr })
    })
  })
}

const read = (f: string): Report => JSON.parse(readFileSync(f, 'utf8')) as Report

describe('lucid merge (command)', () => {
  let dir = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lucid-merge-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('merges two lucid load runs into one report whose histograms hold every request of both', async () => {
    const server = await startRecordingServer()
    try {
      for (const name of ['a', 'b']) {
        const r = await lucid(
          'load',
          '--scenario',
          'light',
          '--host',
          server.url,
          '--users',
          '4',
          '--duration',
          '40s',
          '--time-scale',
          '20',
          '--workers',
          '1',
          '--json',
          join(dir, `${name}.json`)
        )
        // 0 or 1: latency targets are judged on this machine as it is; what must hold is checked below.
        assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`)
      }
      const a = read(join(dir, 'a.json')).results[0]!
      const b = read(join(dir, 'b.json')).results[0]!
      for (const e of [a, b]) {
        assert.ok(e.histograms?.Aggregated !== undefined, 'lucid load --json carries its histograms')
        assert.equal(decodeHistogram(e.histograms.Aggregated).totalCount, e.metrics.requests_count)
        assert.ok(Object.keys(e.histograms).includes('GET /health'), 'and one per endpoint')
      }
      const r = await lucid('merge', join(dir, 'a.json'), join(dir, 'b.json'), '--json', join(dir, 'm.json'), '--html', join(dir, 'm.html'))
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`)
      assert.match(r.stdout, /^merged 2 runs of load\.light/)
      assert.match(r.stdout, /Response time percentiles \(ms, from the merged HDR histograms\)/)
      assert.match(r.stdout, /load\.light\s+error_ratio/)
      const merged = read(join(dir, 'm.json'))
      assert.deepEqual(validateReport(merged), [])
      const m = merged.results[0]!
      const userRequests = server.requests.filter((q) => q.path !== '/metrics').length
      assert.equal(m.metrics.requests_count, userRequests, 'every request the server saw, from both runs')
      assert.equal(m.metrics.requests_count, (a.metrics.requests_count ?? 0) + (b.metrics.requests_count ?? 0))
      for (const name of Object.keys(m.histograms ?? {})) {
        const parts = [a.histograms?.[name], b.histograms?.[name]].filter((h): h is string => h !== undefined)
        const expected = mergeHistograms(parts)
        const got = decodeHistogram(m.histograms![name]!)
        assert.equal(got.totalCount, expected.totalCount, name)
        assert.equal(got.outputPercentileDistribution(5, 1), expected.outputPercentileDistribution(5, 1), name)
      }
      assert.equal(m.metrics.p95_ms, decodeHistogram(m.histograms!.Aggregated!).getValueAtPercentile(95) / 1000)
      assert.deepEqual(
        m.sources?.map((s) => s.file),
        [join(dir, 'a.json'), join(dir, 'b.json')]
      )
      assert.match(readFileSync(join(dir, 'm.html'), 'utf8'), /load\.light/)
    } finally {
      await server.close()
    }
  })

  it('refuses runs of another time scale or scenario, and bad input, with one line and exit 2', async () => {
    const b = read(join(dir, 'b.json'))
    b.results[0]!.conditions.time_scale = 10
    writeFileSync(join(dir, 'b10.json'), JSON.stringify(b))
    let r = await lucid('merge', join(dir, 'a.json'), join(dir, 'b10.json'))
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^lucid: Load runs cannot be merged: different time_scale: 20 in .*a\.json, 10 in .*b10\.json \[LUCID_ERR_9010\]\n$/)
    const c = read(join(dir, 'b.json'))
    c.results[0]!.conditions.scenario = 'medium'
    writeFileSync(join(dir, 'c.json'), JSON.stringify(c))
    r = await lucid('merge', join(dir, 'a.json'), join(dir, 'c.json'))
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /different scenario.*\[LUCID_ERR_9010\]/)
    for (const args of [[join(dir, 'a.json')], [join(dir, 'a.json'), join(dir, 'missing.json')], []]) {
      r = await lucid('merge', ...args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(r.stderr.trim().split('\n').length, 1)
    }
  })
})
