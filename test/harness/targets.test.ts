import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadTargetsFile, mergeTargets } from '../../harness/targets-file.ts'
import { idMatches, judge, specsFor } from '../../harness/verdict.ts'
import { REGISTRY, TARGETS } from '../../cases/index.ts'
import { selectCases } from '../../harness/select.ts'
import { isLucidError } from '../../services/common/errors.ts'

describe('target table', () => {
  it('holds every seed target with its source, with metric names ending in a unit', () => {
    assert.ok(TARGETS.length > 60)
    for (const t of TARGETS) {
      assert.ok(t.source.length > 0, `${t.case} ${t.metric} has a source`)
      assert.match(t.metric, /(_ms|_s|_per_s|_bytes|_ratio|_count|_x)$/, `${t.metric} ends in its unit`)
    }
    const health = specsFor('gateway.health', TARGETS).targets.map((t) => `${t.metric}${t.op}${t.value}`)
    assert.deepEqual(health.sort(), ['error_ratio<0.05', 'p95_ms<50', 'p99_ms<100', 'requests_per_s>1000'])
    assert.equal(specsFor('session.chunk_10m', TARGETS).targets.length, 6)
    assert.equal(specsFor('db.query_complex', TARGETS).targets.length, 2)
  })

  it('judges each operator, and fails closed on an absent or non-finite metric', () => {
    const spec = { case: 'x.y', metric: 'p95_ms', op: '<' as const, value: 10, source: 's', kind: 'target' as const }
    assert.equal(judge(spec, { p95_ms: 9.99 }).verdict, 'pass')
    assert.equal(judge(spec, { p95_ms: 10 }).verdict, 'fail')
    assert.equal(judge({ ...spec, op: '<=' }, { p95_ms: 10 }).verdict, 'pass')
    assert.equal(judge({ ...spec, op: '>' }, { p95_ms: 10 }).verdict, 'fail')
    assert.equal(judge({ ...spec, op: '>=' }, { p95_ms: 10 }).verdict, 'pass')
    assert.deepEqual([judge(spec, {}).verdict, judge(spec, {}).measured], ['error', null])
    assert.equal(judge(spec, { p95_ms: Number.NaN }).verdict, 'error')
  })

  it('matches globs on case ids', () => {
    assert.ok(idMatches('session.chunk_*', 'session.chunk_10m'))
    assert.ok(!idMatches('session.chunk_*', 'session.sustained'))
    assert.ok(idMatches('db.query_by_user', 'db.query_by_user'))
    assert.ok(!idMatches('db.query', 'db.query_by_user'))
  })

  it('lets a targets file override and add entries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lucid-targets-'))
    try {
      const f = join(dir, 'pi.json')
      writeFileSync(
        f,
        JSON.stringify({
          targets: [
            { case: 'gateway.health', metric: 'requests_per_s', op: '>', value: 200, source: 'a Raspberry Pi 4' },
            { case: 'session.chunk_*', metric: 'p99_ms', op: '<', value: 300, kind: 'goal' }
          ]
        })
      )
      const merged = mergeTargets(TARGETS, loadTargetsFile(f))
      const rps = merged.filter((t) => t.case === 'gateway.health' && t.metric === 'requests_per_s')
      assert.equal(rps.length, 1)
      assert.equal(rps[0]?.value, 200)
      assert.equal(rps[0]?.source, 'a Raspberry Pi 4')
      assert.equal(specsFor('session.chunk_1k', merged).goals.filter((g) => g.metric === 'p99_ms').length, 1)
      assert.equal(merged.length, TARGETS.length + 1)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('selects components, ids and globs, with the baselines they need first', () => {
    assert.deepEqual(
      selectCases(['baseline.zlib'], REGISTRY).map((c) => c.id),
      ['baseline.zlib']
    )
    assert.ok(selectCases([], REGISTRY).length === REGISTRY.length)
    assert.throws(
      () => selectCases(['nope'], REGISTRY),
      (e) => isLucidError(e, 'LUCID_ERR_9002')
    )
    const withLink = [...REGISTRY, { id: 'x.y', component: 'x', description: '', module: '', baselines: [{ id: 'baseline.http', metrics: {} }] }]
    assert.deepEqual(
      selectCases(['x'], withLink).map((c) => c.id),
      ['baseline.http', 'x.y']
    )
    // Baselines of baselines come too, each case after what it divides by, whatever the registry order.
    const chain = [
      { id: 'x.top', component: 'x', description: '', module: '', baselines: [{ id: 'x.mid', metrics: {} }] },
      {
        id: 'x.mid',
        component: 'x',
        description: '',
        module: '',
        baselines: [
          { id: 'baseline.http', metrics: {} },
          { id: 'gone.case', metrics: {} }
        ]
      },
      ...REGISTRY
    ]
    assert.deepEqual(
      selectCases(['x.top'], chain).map((c) => c.id),
      ['baseline.http', 'x.mid', 'x.top']
    )
    const loop = [
      { id: 'x.a', component: 'x', description: '', module: '', baselines: [{ id: 'x.b', metrics: {} }] },
      { id: 'x.b', component: 'x', description: '', module: '', baselines: [{ id: 'x.a', metrics: {} }] }
    ]
    assert.throws(
      () => selectCases(['x.a'], loop),
      (e) => isLucidError(e, 'LUCID_ERR_9002')
    )
  })
})
