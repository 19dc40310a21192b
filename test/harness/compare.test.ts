import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TARGETS } from '../../cases/index.ts'
import { betterOf, compareReports, familyOf } from '../../harness/compare.ts'
import type { Report } from '../../harness/report/schema.ts'
import { createRng } from '../../services/common/rng.ts'

const LUCID = fileURLToPath(new URL('../../bin/lucid.js', import.meta.url))
const rng = createRng(77)
/** Normal noise (Box-Muller) around `mean` with relative sd `rel`. */
const noisy = (mean: number, rel: number): number => mean * (1 + rel * Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()))

/** A report of `n` repeats of gateway.health with the given true means and 3 % run-to-run noise. */
function report(rps: number, p95: number, n = 6): Report {
  const repeats = Array.from({ length: n }, () => ({ requests_per_s: noisy(rps, 0.03), p95_ms: noisy(p95, 0.03), samples_count: 1000 }))
  const median = (k: 'requests_per_s' | 'p95_ms'): number => {
    const v = repeats.map((r) => r[k]).sort((a, b) => a - b)
    return (v[(n >> 1) - 1]! + v[n >> 1]!) / 2
  }
  return {
    schema: 'lucid-bench/1',
    verdict: 'pass',
    profile: 'quick',
    judged: true,
    strict: false,
    env: { node: 'v20', cpu: 'x', cores: 2, platform: 'linux', total_mem_bytes: 1, loadavg_before: [], loadavg_after: [], commit: '', date: '' },
    results: [
      {
        id: 'gateway.health',
        component: 'gateway',
        status: 'completed',
        conditions: {},
        metrics: { requests_per_s: median('requests_per_s'), p95_ms: median('p95_ms'), samples_count: 1000 },
        repeats,
        baselines: [],
        targets: [],
        goals: [],
        duration_s: 1,
        verdict: 'pass'
      }
    ]
  }
}

describe('lucid compare', () => {
  it('knows which way is better for a metric', () => {
    assert.equal(betterOf('gateway.health', 'requests_per_s', TARGETS), 'higher')
    assert.equal(betterOf('gateway.health', 'p95_ms', TARGETS), 'lower')
    assert.equal(betterOf('session.chunk_1k', 'compression_ratio', TARGETS), 'lower')
    assert.equal(betterOf('baseline.zlib', 'one_core_mb_per_s', TARGETS), 'higher')
    assert.equal(betterOf('x.y', 'samples_count', TARGETS), undefined)
  })

  it('decides with --base on targeted metrics and the baselines` headline figures (all with --all)', () => {
    const f = familyOf(TARGETS)
    assert.deepEqual(f('session.chunk_1k', 'p95_ms'), { better: 'lower', targeted: true })
    assert.deepEqual(f('session.chunk_1k', 'compress_mb_per_s'), { better: 'higher', targeted: true })
    assert.equal(f('session.chunk_1k', 'p99_9_ms'), undefined, 'too noisy to decide: kept in the samples only')
    assert.deepEqual(f('baseline.http', 'requests_per_s'), { better: 'higher', targeted: false })
    assert.deepEqual(f('baseline.zlib', 'compression_ratio'), { better: 'lower', targeted: false })
    assert.equal(f('baseline.http', 'closed_p50_ms'), undefined)
    assert.equal(f('baseline.http', 'achieved_rate_per_s'), undefined)
    assert.equal(f('baseline.http', 'samples_count'), undefined)
    const all = familyOf(TARGETS, true)
    assert.deepEqual(all('session.chunk_1k', 'p99_9_ms'), { better: 'lower', targeted: false })
    assert.equal(all('session.chunk_1k', 'chunks_count'), undefined, 'counts never')
  })

  it('flags a real 20 % regression as significant', () => {
    const changes = compareReports(report(10_000, 10), report(8_000, 12), TARGETS)
    const rps = changes.find((c) => c.metric === 'requests_per_s')!
    const p95 = changes.find((c) => c.metric === 'p95_ms')!
    assert.equal(rps.change, 'regression', `p=${rps.p} ratio=${rps.ratio}`)
    assert.equal(p95.change, 'regression', `p=${p95.p} ratio=${p95.ratio}`)
    assert.ok(rps.p < 0.01)
    const better = compareReports(report(8_000, 12), report(10_000, 10), TARGETS).find((c) => c.metric === 'requests_per_s')!
    assert.equal(better.change, 'improvement')
  })

  it('passes two runs of the same code', () => {
    for (let trial = 0; trial < 5; trial++) {
      const changes = compareReports(report(10_000, 10), report(10_000, 10), TARGETS)
      assert.ok(
        changes.every((c) => c.change !== 'regression'),
        JSON.stringify(changes.map((c) => [c.metric, c.ratio, c.p]))
      )
    }
  })

  it('needs the minimum effect as well as significance', () => {
    // 2 % slower with almost no noise: statistically clear, but under the 5 % bar.
    const a = report(10_000, 10)
    const b = report(9_800, 10)
    const tight = (rep: Report, v: number): Report => {
      for (const r of rep.results[0]!.repeats) r.requests_per_s = v * (1 + (rng.next() - 0.5) * 0.002)
      rep.results[0]!.metrics.requests_per_s = v
      return rep
    }
    const c = compareReports(tight(a, 10_000), tight(b, 9_800), TARGETS).find((x) => x.metric === 'requests_per_s')!
    assert.ok(c.p < 0.05, `significant: p=${c.p}`)
    assert.equal(c.change, 'same', 'but below the minimum effect')
    assert.equal(
      compareReports(tight(report(1, 1), 10_000), tight(report(1, 1), 9_800), TARGETS, 0.01).find((x) => x.metric === 'requests_per_s')!.change,
      'regression'
    )
  })

  it('exits 1 on a significant regression, 0 otherwise, 2 on a malformed report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lucid-compare-'))
    try {
      const f = (name: string, r: unknown): string => {
        const p = join(dir, name)
        writeFileSync(p, JSON.stringify(r))
        return p
      }
      const old = f('old.json', report(10_000, 10))
      const slow = f('slow.json', report(8_000, 12))
      const same = f('same.json', report(10_000, 10))
      const run = (...a: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [LUCID, 'compare', ...a], { encoding: 'utf8', timeout: 30_000 })
      const r1 = run(old, slow)
      assert.equal(r1.status, 1, String(r1.stderr))
      assert.match(String(r1.stdout), /gateway\.health\s+requests_per_s.*REGRESSION/)
      assert.equal(run(old, same).status, 0)
      const bad = run(old, f('bad.json', { schema: 'nope' }))
      assert.equal(bad.status, 2)
      assert.match(String(bad.stderr), /LUCID_ERR_9008/)
      assert.equal(run(old).status, 2)
      assert.equal(run(old, slow, '--min-effect', 'lots').status, 2)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
