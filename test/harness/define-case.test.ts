import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { REGISTRY } from '../../cases/index.ts'
import { casesOf, defineCase, isCaseDefinition, target, targetsOf } from '../../harness/define-case.ts'
import { findCases, loadCaseFile } from '../../harness/registry.ts'
import { runBench } from '../../harness/runner.ts'
import { selectCases } from '../../harness/select.ts'
import { isLucidError } from '../../services/common/errors.ts'

const DEFINE_CASE = new URL('../../harness/define-case.ts', import.meta.url).href

/** A component folder with one case file: two cases, the second divided by the first. */
const CASE_FILE = `import { defineCase } from '${DEFINE_CASE}'
export const fast = defineCase({
  id: 'mine.fast',
  description: 'the baseline',
  run: async () => ({ status: 'completed', metrics: { ops_per_s: 1000 } })
})
export const all = [
  defineCase({
    id: 'mine.slow',
    description: 'divided by mine.fast',
    baselines: [{ id: 'mine.fast', metrics: { ops_per_s: 'ops_per_s' } }],
    targets: [{ metric: 'ops_per_s', op: '>', value: 100, source: 'test budget' }],
    goals: [{ metric: 'ops_per_s_vs_fast_x', op: '>=', value: 0.9, source: 'test goal' }],
    run: async (ctx) => ({ status: 'completed', metrics: { ops_per_s: 250 }, conditions: { profile: ctx.profile } })
  })
]
`

describe('defineCase', () => {
  it('records the defining module and turns targets and goals into table rows', () => {
    const c = defineCase({
      id: 'mine.one',
      description: 'x',
      targets: [target('p95_ms', '<', 10, 'budget'), target('p99_ms', '<', 20, 'family', { case: 'mine.*' })],
      goals: [target('p95_ms', '<=', 2, 'goal', { profiles: ['full'] })],
      run: async () => ({ status: 'skipped', reason: 'not run' })
    })
    assert.equal(c.module, import.meta.url)
    assert.equal(c.component, 'mine')
    assert.ok(isCaseDefinition(c))
    assert.deepEqual(
      targetsOf([c]).map((t) => [t.case, t.metric, t.kind, t.profiles]),
      [
        ['mine.one', 'p95_ms', 'target', undefined],
        ['mine.*', 'p99_ms', 'target', undefined],
        ['mine.one', 'p95_ms', 'goal', ['full']]
      ]
    )
    assert.throws(
      () => defineCase({ id: 'nodot', description: '', run: async () => ({ status: 'skipped', reason: '' }) }),
      (e) => isLucidError(e, 'LUCID_ERR_9003')
    )
  })

  it('finds exported definitions, in arrays and objects too, once each, in the order they were written', () => {
    const a = defineCase({ id: 'm.a', description: '', run: async () => ({ status: 'skipped', reason: '' }) })
    const b = defineCase({ id: 'm.b', description: '', run: async () => ({ status: 'skipped', reason: '' }) })
    const found = casesOf({ z: a, y: [b, 1], x: { a }, w: 'text' })
    assert.deepEqual(
      found.map((c) => c.id),
      ['m.a', 'm.b']
    )
    assert.equal(casesOf({ a }, 'file:///elsewhere.ts')[0]?.module, 'file:///elsewhere.ts')
  })

  it('registers every built-in case from the *.case.ts files, with its module and no export name', () => {
    assert.ok(REGISTRY.length > 40)
    for (const c of REGISTRY) {
      assert.match(c.module, /^file:.*\/cases\/[a-z]+\/[a-z]+\.case\.ts$/, c.id)
      assert.equal(c.component, c.id.split('.')[0])
    }
  })

  it('a new case is one file: found in its folder, run in its own process, judged by its own targets', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lucid-defcase-'))
    try {
      mkdirSync(join(root, 'mine'))
      writeFileSync(join(root, 'mine', 'one.case.ts'), CASE_FILE)
      writeFileSync(join(root, 'mine', 'helper.ts'), 'throw new Error("a helper is never imported by the listing")\n')
      const found = await findCases(pathToFileURL(`${root}/`))
      assert.deepEqual(
        found.map((c) => c.id),
        ['mine.fast', 'mine.slow']
      )
      assert.deepEqual(
        (await loadCaseFile(join(root, 'mine', 'one.case.ts'))).map((c) => c.id),
        ['mine.fast', 'mine.slow']
      )
      const report = await runBench({ cases: selectCases(['mine.slow'], found), profile: 'smoke', targets: targetsOf(found) })
      assert.deepEqual(
        report.results.map((r) => [r.id, r.status, r.verdict]),
        [
          ['mine.fast', 'completed', 'pass'],
          ['mine.slow', 'completed', 'pass']
        ]
      )
      const slow = report.results[1]!
      assert.equal(slow.metrics.ops_per_s_vs_fast_x, 0.25)
      assert.deepEqual(
        slow.targets.map((t) => [t.metric, t.verdict, t.source]),
        [['ops_per_s', 'pass', 'test budget']]
      )
      assert.deepEqual(
        slow.goals.map((t) => [t.metric, t.verdict]),
        [['ops_per_s_vs_fast_x', 'fail']]
      )
      writeFileSync(join(root, 'mine', 'two.case.ts'), CASE_FILE)
      await assert.rejects(findCases(pathToFileURL(`${root}/`)), (e) => isLucidError(e, 'LUCID_ERR_9003') && /defined twice/.test((e as Error).message))
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
