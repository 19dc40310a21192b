/**
 * Users' own cases (issue 21): `lucid bench --cases FILE` runs a file of defineCase cases through the same
 * runner and report as the built-in ones, and the package entry (`lucid-perf`, built into dist/) exports
 * `bench` and `defineCase` to a project that imports it without tsx.
 *
 * The package test builds the entry itself, into a package of its own in a temporary node_modules, rather
 * than using this checkout's dist/: so it tests the tree as it is (no stale build) and needs no build step
 * before `npm test`, and it resolves `lucid-perf` as another project would (package.json "exports", plain
 * node, no tsconfig paths). The CLI test runs from the checkout, where tsconfig's paths map `lucid-perf` to
 * the source, as `npx lucid bench --cases examples/my-cases.ts` does for someone trying the example.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Report } from '../../harness/report/schema.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const LUCID = join(ROOT, 'bin', 'lucid.js')
const TSC = join(dirname(createRequire(join(ROOT, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc')

function run(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, LUCID_DEBUG: '' } })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('lucid bench --cases', () => {
  let dir = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lucid-own-'))
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('runs examples/my-cases.ts: the baseline first, the case judged by its own targets, with its ratio', () => {
    const json = join(dir, 'r.json')
    const r = run([LUCID, 'bench', '--cases', 'examples/my-cases.ts', '--profile', 'smoke', '--json', json], ROOT)
    assert.equal(r.status, 0, r.stderr)
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report
    assert.equal(report.verdict, 'pass')
    assert.deepEqual(
      report.results.map((e) => [e.id, e.component, e.status, e.verdict]),
      [
        ['example.json_stringify', 'example', 'completed', 'pass'],
        ['example.hand_serialise', 'example', 'completed', 'pass']
      ]
    )
    const own = report.results[1]!
    assert.deepEqual(
      own.targets.map((t) => [t.metric, t.op, t.value, t.verdict]),
      [
        ['mismatch_count', '<=', 0, 'pass'],
        ['ops_per_s', '>', 10_000, 'pass']
      ]
    )
    assert.equal(own.metrics.mismatch_count, 0)
    const base = report.results[0]!.metrics.ops_per_s!
    assert.ok(base > 0 && own.metrics.ops_per_s! > 0)
    assert.equal(own.metrics.ops_per_s_vs_json_stringify_x, own.metrics.ops_per_s! / base)
    assert.deepEqual(
      own.baselines.map((b) => b.id),
      ['example.json_stringify']
    )
    assert.deepEqual(
      own.goals.map((g) => g.metric),
      ['ops_per_s_vs_json_stringify_x']
    )
  })

  it("lists only the file's cases, and refuses a file without any or an id the tree already has", () => {
    const list = run([LUCID, 'bench', '--cases', 'examples/my-cases.ts', '--list'], ROOT)
    assert.equal(list.status, 0, list.stderr)
    assert.deepEqual(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[0]),
      ['example.json_stringify', 'example.hand_serialise']
    )
    const empty = join(dir, 'empty.ts')
    writeFileSync(empty, 'export const x = 1\n')
    const none = run([LUCID, 'bench', '--cases', empty], ROOT)
    assert.equal(none.status, 2)
    assert.match(none.stderr, /exports no case.*LUCID_ERR_9003/)
    const clash = join(dir, 'clash.ts')
    writeFileSync(
      clash,
      `import { defineCase } from 'lucid-perf'\nexport const c = defineCase({ id: 'baseline.http', description: '', run: async () => ({ status: 'skipped', reason: '' }) })\n`
    )
    const twice = run([LUCID, 'bench', '--cases', clash, '--list'], ROOT)
    assert.equal(twice.status, 2)
    assert.match(twice.stderr, /'baseline\.http': defined twice/)
  })
})

describe('the lucid-perf package entry', () => {
  let dir = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lucid-pkg-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('builds to JavaScript and .d.ts that a project imports with plain node, and bench() runs defineCase cases', () => {
    // node_modules/lucid-perf as an install would have it: package.json, dist/, its dependencies.
    const pkg = join(dir, 'node_modules', 'lucid-perf')
    mkdirSync(pkg, { recursive: true })
    copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'))
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir')
    const build = run([TSC, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], ROOT)
    assert.equal(build.status, 0, build.stdout + build.stderr)

    writeFileSync(
      join(dir, 'cases.mjs'),
      `import { defineCase } from 'lucid-perf'
export const base = defineCase({ id: 'user.base', description: 'baseline', run: async () => ({ status: 'completed', metrics: { ops_per_s: 100 } }) })
export const fast = defineCase({
  id: 'user.fast',
  description: 'twice the baseline',
  baselines: [{ id: 'user.base', metrics: { ops_per_s: 'ops_per_s' } }],
  targets: [{ metric: 'ops_per_s', op: '>', value: 150, source: 'test' }],
  run: async (ctx) => ({ status: 'completed', metrics: { ops_per_s: 200 }, conditions: { profile: ctx.profile } })
})
export const slow = defineCase({
  id: 'user.slow',
  description: 'misses its target',
  targets: [{ metric: 'ops_per_s', op: '>', value: 150, source: 'test' }],
  run: async () => ({ status: 'completed', metrics: { ops_per_s: 50 } })
})
`
    )
    writeFileSync(
      join(dir, 'run.mjs'),
      `import { bench } from 'lucid-perf'
import { base, fast, slow } from './cases.mjs'
const pass = await bench([fast, base], { profile: 'smoke' })
const fail = await bench([slow], { profile: 'quick' })
process.stdout.write(JSON.stringify({ pass: { verdict: pass.verdict, exitCode: pass.exitCode, cases: pass.cases }, fail: { verdict: fail.verdict, exitCode: fail.exitCode, missed: fail.missed } }))
`
    )
    const r = run([join(dir, 'run.mjs')], dir)
    assert.equal(r.status, 0, r.stderr)
    const out = JSON.parse(r.stdout) as {
      pass: { verdict: string; exitCode: number; cases: Array<{ id: string; status: string; verdict: string; metrics: Record<string, number> }> }
      fail: { verdict: string; exitCode: number; missed: Array<{ case: string; metric: string; measured: number }> }
    }
    assert.equal(out.pass.verdict, 'pass')
    assert.equal(out.pass.exitCode, 0)
    assert.deepEqual(
      out.pass.cases.map((c) => [c.id, c.status, c.verdict]),
      [
        ['user.base', 'completed', 'pass'],
        ['user.fast', 'completed', 'pass']
      ]
    )
    assert.equal(out.pass.cases[1]!.metrics.ops_per_s_vs_base_x, 2)
    assert.equal(out.fail.verdict, 'fail')
    assert.equal(out.fail.exitCode, 1)
    assert.deepEqual(out.fail.missed, [{ metric: 'ops_per_s', op: '>', value: 150, measured: 50, verdict: 'fail', source: 'test', case: 'user.slow' }])

    // A module that defines its case and calls bench() at its top level: the case's process refuses to start
    // a run of its own, and the case errors with the reason.
    writeFileSync(
      join(dir, 'self.mjs'),
      `import { bench, defineCase } from 'lucid-perf'
export const c = defineCase({ id: 'user.self', description: '', run: async () => ({ status: 'completed', metrics: {} }) })
const r = await bench([c], { profile: 'smoke' })
process.stdout.write(JSON.stringify(r.verdict === 'error' ? r.errors : r.verdict))
`
    )
    const self = run([join(dir, 'self.mjs')], dir)
    assert.equal(self.status, 0, self.stderr)
    const [err] = JSON.parse(self.stdout) as Array<{ id: string; status: string; reason: string }>
    assert.equal(err?.id, 'user.self')
    assert.match(err?.reason ?? '', /define the cases in a module of their own/)

    // The types: a project's TypeScript checks its cases against dist's .d.ts (a misspelt operator is an error,
    // the result narrows on its verdict).
    writeFileSync(
      join(dir, 'typed.ts'),
      `import { bench, defineCase, type BenchResult } from 'lucid-perf'
export const c = defineCase({ id: 'user.typed', description: '', run: async () => ({ status: 'completed', metrics: { x_ms: 1 } }) })
export async function main(): Promise<number> {
  const r: BenchResult = await bench([c])
  if (r.verdict === 'fail') return r.missed.length
  // @ts-expect-error: only a failed run has missed targets
  return r.missed.length
}
// @ts-expect-error: '=<' is no operator
defineCase({ id: 'user.bad', description: '', targets: [{ metric: 'x_ms', op: '=<', value: 1, source: '' }], run: async () => ({ status: 'skipped', reason: '' }) })
`
    )
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')]
        },
        files: ['typed.ts']
      })
    )
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
    const tsc = run([TSC, '-p', join(dir, 'tsconfig.json')], dir)
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr)
  })
})
