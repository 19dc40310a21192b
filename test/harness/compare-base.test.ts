/**
 * `lucid compare --base REF`: the interleaved A/B. Fixture trees (test/fixtures/compare-tree, a stand-in
 * `lucid bench` whose figures are seeded noise around levels an env var scales) prove the decisions both ways
 * without timing anything; one short run against HEAD proves the real checkout, install and CLI plumbing.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compareTrees, type CompareTreesOptions } from '../../cli/commands/bench/compare.ts'
import { prepareBaseTree } from '../../harness/base-tree.ts'
import { TARGETS as TABLE } from '../../cases/index.ts'
import { familyOf, type CompareReport } from '../../harness/compare.ts'
import { pairSamples, runsFor, type Round, type SideRun } from '../../harness/interleave.ts'
import type { TargetSpec } from '../../harness/targets.ts'
import { isLucidError } from '../../services/common/errors.ts'

const LUCID = fileURLToPath(new URL('../../bin/lucid.js', import.meta.url))
/** The real checkout needs a git repository (an npm tarball has none). */
const IN_GIT = spawnSync('git', ['rev-parse', '--verify', 'HEAD'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'ignore' }).status === 0
const FIXTURE_TREE = fileURLToPath(new URL('../fixtures/compare-tree', import.meta.url))
const TARGETS: TargetSpec[] = [
  { case: 'fixture.speed', metric: 'p95_ms', op: '<', value: 50, source: 'test', kind: 'target' },
  { case: 'fixture.speed', metric: 'requests_per_s', op: '>', value: 1000, source: 'test', kind: 'target' }
]

/** A comparison of two fixture trees with the given environments. */
async function fixtureCompare(
  baseEnv: Record<string, string>,
  headEnv: Record<string, string>,
  extra: Partial<CompareTreesOptions> = {}
): Promise<{ code: number; report: CompareReport; printed: string }> {
  let printed = ''
  const r = await compareTrees({
    base: { dir: FIXTURE_TREE, env: { LUCID_FIXTURE_SALT: '1', ...baseEnv }, ref: 'fixture-base', commit: 'b'.repeat(40) },
    head: { dir: FIXTURE_TREE, env: { LUCID_FIXTURE_SALT: '2', ...headEnv }, ref: 'fixture-head', commit: 'h'.repeat(40), dirty: false },
    cases: ['fixture.speed'],
    profile: 'smoke',
    budgetS: 120,
    minEffect: 0.05,
    maxRounds: 40,
    targets: TARGETS,
    log: () => {},
    print: (t) => {
      printed += t
    },
    ...extra
  })
  return { ...r, printed }
}

function lucid(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [LUCID, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, LUCID_DEBUG: '', ...env } })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('lucid compare --base: runs and pairs', () => {
  it('runs a baseline on its own only when no selected case runs it anyway', () => {
    const zlib = { id: 'baseline.zlib' }
    const chunk = { id: 'session.chunk_1k', baselines: [{ id: 'baseline.zlib' }] }
    assert.deepEqual(runsFor([{ id: 'baseline.http' }, zlib, chunk, { id: 'session.chunk_100k', baselines: [{ id: 'baseline.zlib' }] }]), [
      'baseline.http',
      'session.chunk_1k',
      'session.chunk_100k'
    ])
    assert.deepEqual(runsFor([zlib]), ['baseline.zlib'])
  })

  it('pairs every case both runs of a pair completed, baselines that ran with a case included', () => {
    const run = (side: 'base' | 'head', zlib: number, p95: number, chunkStatus: 'completed' | 'errored' = 'completed'): SideRun => ({
      side,
      seed: 1,
      started_s: 0,
      seconds: 1,
      exit_code: 0,
      loadavg_1m: 0,
      results: [
        { id: 'baseline.zlib', status: 'completed', metrics: { one_core_mb_per_s: zlib } },
        { id: 'session.chunk_1k', status: chunkStatus, metrics: chunkStatus === 'completed' ? { p95_ms: p95, p99_9_ms: 1 } : {} }
      ]
    })
    const rounds: Round[] = [
      { index: 0, seed: 1, pairs: [{ case: 'session.chunk_1k', order: ['base', 'head'], base: run('base', 200, 10), head: run('head', 190, 11) }] },
      { index: 1, seed: 2, pairs: [{ case: 'session.chunk_1k', order: ['head', 'base'], base: run('base', 210, 12), head: run('head', 205, 0, 'errored') }] }
    ]
    const s = pairSamples(rounds, familyOf(TABLE))
    assert.deepEqual(
      s.map((x) => [x.case, x.metric, x.base, x.head]),
      [
        ['baseline.zlib', 'one_core_mb_per_s', [200, 210], [190, 205]],
        ['session.chunk_1k', 'p95_ms', [10], [11]]
      ]
    )
  })
})

describe('lucid compare --base (fixture trees)', () => {
  it('identical code: every metric "no difference", sampling stops when decided, exit 0', async () => {
    const { code, report, printed } = await fixtureCompare({}, {})
    assert.equal(code, 0)
    assert.equal(report.stopped, 'decided', printed)
    assert.deepEqual(
      report.decisions.map((d) => [d.metric, d.decision]),
      [
        ['p95_ms', 'same'],
        ['requests_per_s', 'same']
      ]
    )
    assert.ok(report.rounds.length >= 2 && report.rounds.length < 40)
    assert.match(printed, /no difference/)
    assert.match(printed, /Holm-Bonferroni over 2 metrics/)
  })

  it('runs each case in both trees back to back, alternating which goes first, and keeps every sample', async () => {
    const { report } = await fixtureCompare({}, {}, { maxRounds: 3, cases: ['fixture.speed', 'fixture.other'], all: true })
    assert.equal(report.rounds.length, 3)
    assert.deepEqual(
      report.rounds.map((r) => r.pairs.map((p) => `${p.case}:${p.order.join('-')}`)),
      [
        ['fixture.speed:base-head', 'fixture.other:head-base'],
        ['fixture.speed:head-base', 'fixture.other:base-head'],
        ['fixture.speed:base-head', 'fixture.other:head-base']
      ]
    )
    for (const r of report.rounds)
      for (const p of r.pairs) {
        assert.equal(p.base.seed, r.seed, 'both trees of a pair get the round`s seed')
        assert.equal(p.head.seed, r.seed)
        assert.deepEqual(
          p.base.results.map((c) => c.id),
          [p.case],
          'each run is one case'
        )
        assert.ok(Number.isFinite(p.base.results[0]?.metrics.p95_ms) && Number.isFinite(p.head.results[0]?.metrics.p95_ms))
      }
    assert.equal(new Set(report.rounds.map((r) => r.seed)).size, report.rounds.length, 'rounds get different seeds')
    assert.deepEqual(report.decisions.map((d) => `${d.case} ${d.metric} ${d.n}`).sort(), [
      'fixture.other p95_ms 3',
      'fixture.other requests_per_s 3',
      'fixture.speed p95_ms 3',
      'fixture.speed requests_per_s 3'
    ])
    assert.ok(
      report.decisions.every((d) => d.targeted === d.case.endsWith('speed')),
      'targets name fixture.speed only'
    )
  })

  it('a 20 % slowdown of the head: decided regressions of the targeted metrics, exit 1', async () => {
    const { code, report, printed } = await fixtureCompare({}, { LUCID_FIXTURE_FACTOR: '1.2' })
    assert.equal(code, 1, printed)
    assert.equal(report.verdict, 'regression')
    for (const d of report.decisions) {
      assert.equal(d.decision, 'regression', `${d.metric}: ${JSON.stringify(d)}`)
      assert.ok(Math.abs(d.metric === 'p95_ms' ? d.ratio - 1.2 : 1 / d.ratio - 1.2) < 0.05, `${d.metric} ratio ${d.ratio}`)
    }
    assert.match(printed, /p95_ms .* REGRESSION/)
    // And the other way round it is an improvement, which passes.
    const back = await fixtureCompare({ LUCID_FIXTURE_FACTOR: '1.2' }, {})
    assert.equal(back.code, 0)
    assert.ok(back.report.decisions.every((d) => d.decision === 'improvement'))
  })

  it('the budget runs out before a small change in wide noise is decided: undecided, exit 0', async () => {
    const { code, report, printed } = await fixtureCompare(
      { LUCID_FIXTURE_NOISE: '0.3', LUCID_FIXTURE_SLEEP_MS: '200' },
      { LUCID_FIXTURE_NOISE: '0.3', LUCID_FIXTURE_SLEEP_MS: '200', LUCID_FIXTURE_FACTOR: '1.05' },
      { budgetS: 2.5, maxRounds: 12 }
    )
    assert.equal(code, 0)
    assert.equal(report.stopped, 'budget')
    assert.ok(report.rounds.length >= 1)
    assert.ok(
      report.decisions.every((d) => d.decision === 'undecided'),
      JSON.stringify(report.decisions)
    )
    assert.match(printed, /the budget ran out/)
  })

  it('a case that errors in a tree is reported and exits 3', async () => {
    const { code, report } = await fixtureCompare({}, { LUCID_FIXTURE_ERROR: 'fixture.speed' }, { maxRounds: 2 })
    assert.equal(code, 3)
    assert.equal(report.verdict, 'error')
    assert.ok(report.errors.length >= 2 && report.errors.every((e) => e.side === 'head' && e.id === 'fixture.speed'))
    assert.equal(report.rounds.length, 2, 'nothing to decide on: it stops')
  })

  it('a tree whose lucid bench fails to run is LUCID_ERR_9014', async () => {
    await assert.rejects(
      fixtureCompare({ LUCID_FIXTURE_EXIT: '2' }, {}),
      (err: unknown) => isLucidError(err, 'LUCID_ERR_9014') && /base tree/.test(err.message)
    )
  })
})

describe('lucid compare --base (the real CLI)', () => {
  let cache = ''
  before(() => {
    cache = mkdtempSync(join(tmpdir(), 'lucid-compare-cache-'))
  })
  after(() => rmSync(cache, { recursive: true, force: true }))

  it('usage errors exit 2 with one line and a code', () => {
    const bad = (args: string[], pattern: RegExp): void => {
      const r = lucid(['compare', ...args], { LUCID_COMPARE_CACHE: cache })
      assert.equal(r.status, 2, r.stderr)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.match(r.stderr, pattern)
    }
    if (IN_GIT) bad(['--base', 'no-such-ref-anywhere', 'baseline.ed25519'], /no-such-ref-anywhere.*LUCID_ERR_9013/)
    bad(['--base', 'HEAD', 'nosuch'], /'nosuch'.*LUCID_ERR_9002/)
    bad(['--base', 'HEAD', '--budget', 'soon'], /--budget.*LUCID_ERR_9003/)
    bad(['--base', 'HEAD', '--min-effect', '0%'], /--min-effect.*LUCID_ERR_9003/)
    bad(['a.json', 'b.json', '--budget', '5m'], /--budget goes with --base.*LUCID_ERR_9001/)
  })

  it('checks HEAD out beside the tree, links its install and runs both trees alternately', { skip: IN_GIT ? false : 'not a git checkout' }, () => {
    const json = join(cache, 'cmp.json')
    const r = lucid(['compare', '--base', 'HEAD', 'baseline.ed25519', '--max-rounds', '2', '--json', json], { LUCID_COMPARE_CACHE: cache })
    assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`)
    assert.match(r.stdout, /One sitting: base HEAD/)
    const report = JSON.parse(readFileSync(json, 'utf8')) as CompareReport
    assert.equal(report.schema, 'lucid-compare/1')
    assert.equal(report.rounds.length, 2)
    assert.equal(report.base.install, 'linked', 'same lockfile: the install is shared')
    assert.ok(lstatSync(join(report.base.dir, 'node_modules')).isSymbolicLink())
    assert.ok(existsSync(join(report.base.dir, 'bin', 'lucid.js')))
    for (const round of report.rounds)
      for (const side of round.pairs.flatMap((p) => [p.base, p.head])) {
        assert.equal(side.results.find((c) => c.id === 'baseline.ed25519')?.status, 'completed')
        assert.ok((side.results[0]?.metrics.verify_per_s ?? 0) > 0)
      }
    assert.deepEqual(report.decisions.map((d) => d.metric).sort(), ['sign_per_s', 'verify_per_s'])
    // A second preparation reuses the checkout.
    const again = prepareBaseTree({ ref: 'HEAD', cacheDir: cache })
    assert.equal(again.reused, true)
    assert.equal(again.dir, report.base.dir)
  })

  it('two-file mode says it compares two sittings', () => {
    const r = lucid(['compare', '--help'])
    assert.equal(r.status, 0)
    assert.match(r.stdout, /--base REF/)
    assert.match(r.stdout, /two sittings/)
  })
})
