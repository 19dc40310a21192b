import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const LUCID = fileURLToPath(new URL('../../bin/lucid.js', import.meta.url))

function lucid(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [LUCID, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LUCID_DEBUG: '' } })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Bad input: one line naming the problem, exit 2, never a stack trace. */
function assertUsageError(r: ReturnType<typeof lucid>, pattern: RegExp): void {
  assert.equal(r.status, 2, `exit code (stderr: ${r.stderr})`)
  const lines = r.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `one line, got: ${r.stderr}`)
  assert.match(lines[0]!, pattern)
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace')
}

describe('lucid CLI', () => {
  let dir = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lucid-cli-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('prints help and exits 0', () => {
    const r = lucid('--help')
    assert.equal(r.status, 0)
    assert.match(r.stdout, /lucid bench/)
    const b = lucid('bench', '--help')
    assert.equal(b.status, 0)
    assert.match(b.stdout, /--profile smoke\|quick\|full/)
  })

  it('lists the registered cases', () => {
    const r = lucid('bench', '--list')
    assert.equal(r.status, 0)
    for (const id of ['baseline.http', 'baseline.zlib', 'baseline.level', 'baseline.ed25519'])
      assert.match(r.stdout, new RegExp(`^${id.replace('.', '\\.')}\\s`, 'm'))
  })

  it('rejects an unknown command', () => assertUsageError(lucid('frobnicate'), /unknown command 'frobnicate'.*LUCID_ERR_9001/))
  it('rejects a subcommand of sim it does not know', () => assertUsageError(lucid('sim', 'weather'), /LUCID_ERR_900[13]/))
  it('rejects an unknown component or case', () => assertUsageError(lucid('bench', 'nosuch'), /'nosuch'.*LUCID_ERR_9002/))
  it('rejects an unknown glob', () => assertUsageError(lucid('bench', 'baseline.zz*'), /baseline\.zz\*.*LUCID_ERR_9002/))
  it('rejects a bad profile', () => assertUsageError(lucid('bench', '--profile', 'fast'), /--profile: 'fast'.*LUCID_ERR_9003/))
  it('rejects a bad repeat count', () => assertUsageError(lucid('bench', '--repeat', '0'), /--repeat: '0'.*LUCID_ERR_9003/))
  it('rejects an unknown flag', () => assertUsageError(lucid('bench', '--frobnicate'), /--frobnicate.*LUCID_ERR_9001/))
  it('rejects a non-http target', () => assertUsageError(lucid('bench', '--host', 'ftp://x'), /--host.*LUCID_ERR_9003/))

  it('rejects an unwritable output path before running anything', () => {
    assertUsageError(lucid('bench', 'baseline.ed25519', '--json', '/nonexistent-dir/r.json'), /--json .*does not exist.*LUCID_ERR_9004/)
    const ro = join(dir, 'ro')
    writeFileSync(ro, '{}')
    chmodSync(ro, 0o444)
    if (process.getuid?.() !== 0) assertUsageError(lucid('bench', 'baseline.ed25519', '--json', ro), /EACCES.*LUCID_ERR_9004/)
    assertUsageError(lucid('bench', 'baseline.ed25519', '--json', dir), /is a directory.*LUCID_ERR_9004/)
  })

  it('rejects a malformed targets file', () => {
    const notJson = join(dir, 'bad.json')
    writeFileSync(notJson, '{ nope')
    assertUsageError(lucid('bench', '--targets-file', notJson), /Malformed targets file .*bad\.json.*LUCID_ERR_9005/)
    const badOp = join(dir, 'op.json')
    writeFileSync(badOp, JSON.stringify([{ case: 'gateway.health', metric: 'p95_ms', op: '~', value: 1 }]))
    assertUsageError(lucid('bench', '--targets-file', badOp), /entry 0: "op".*LUCID_ERR_9005/)
    assertUsageError(lucid('bench', '--targets-file', join(dir, 'missing.json')), /no such file.*LUCID_ERR_9005/)
  })

  it('refuses a targets file naming a case that does not exist, with the cases it may have meant', () => {
    const typo = join(dir, 'typo.json')
    writeFileSync(typo, JSON.stringify([{ case: 'gateway.helth', metric: 'p95_ms', op: '<', value: 80 }]))
    assertUsageError(
      lucid('bench', 'baseline.ed25519', '--targets-file', typo),
      /entry 0: case 'gateway\.helth' is no case here \(known: gateway\.health, .*LUCID_ERR_9005/
    )
    assertUsageError(lucid('load', '--scenario', 'light', '--targets-file', typo), /case 'gateway\.helth' is no case here.*LUCID_ERR_9005/)
  })

  it('a misspelt metric in a targets file: the case is an error naming the metrics it measured', () => {
    const typo = join(dir, 'metric.json')
    writeFileSync(typo, JSON.stringify([{ case: 'baseline.ed25519', metric: 'sign_per_sec', op: '>', value: 1 }]))
    const json = join(dir, 'metric-report.json')
    const r = lucid('bench', 'baseline.ed25519', '--profile', 'smoke', '--targets-file', typo, '--json', json, '--quiet')
    assert.equal(r.status, 3, r.stderr)
    assert.equal(r.stdout, '', '--quiet prints nothing')
    const report = JSON.parse(readFileSync(json, 'utf8')) as { results: Array<{ verdict: string; reason?: string }> }
    assert.equal(report.results[0]?.verdict, 'error')
    assert.match(report.results[0]?.reason ?? '', /no metric 'sign_per_sec' measured .*the case measured: .*sign_per_s/)
  })

  it('--json - writes only the JSON report to stdout, the table to stderr', () => {
    const r = lucid('bench', 'baseline.ed25519', '--profile', 'smoke', '--json', '-')
    assert.equal(r.status, 0, r.stderr)
    const report = JSON.parse(r.stdout) as { schema: string; results: unknown[] }
    assert.equal(report.schema, 'lucid-bench/1')
    assert.equal(report.results.length, 1)
    assert.match(r.stderr, /verdict: PASS/)
  })

  it('refuses the renamed flags, naming the new ones', () => {
    for (const [cmd, flag] of [
      ['bench', '--target'],
      ['bench', '--targets'],
      ['load', '--target'],
      ['chaos', '--target']
    ] as const)
      assertUsageError(lucid(cmd, flag, 'x'), /--target URL is now --host URL .* --targets FILE is now --targets-file FILE.*LUCID_ERR_9001/)
  })

  it("has --help for every command and subcommand, and clear parse errors (never Node's)", () => {
    for (const args of [
      ['bench'],
      ['compare'],
      ['serve'],
      ['node'],
      ['devnet'],
      ['load'],
      ['merge'],
      ['profile'],
      ['chaos'],
      ['sim'],
      ['session'],
      ['session', 'record'],
      ['session', 'play'],
      ['chain'],
      ['chain', 'export'],
      ['db'],
      ['db', 'stats'],
      ['db', 'seed']
    ]) {
      const r = lucid(...args, '--help')
      assert.equal(r.status, 0, `${args.join(' ')} --help: ${r.stderr}`)
      assert.match(r.stdout, new RegExp(`lucid ${args[0]}`))
    }
    for (const args of [
      ['session', 'record', '--frobnicate'],
      ['chain', 'export', '--out'],
      ['load', '-u'],
      ['sim', 'chain', '--nodes']
    ]) {
      const r = lucid(...args)
      assertUsageError(r, /LUCID_ERR_900[13]/)
      assert.doesNotMatch(r.stderr, /To specify a positional argument/)
    }
  })

  it('db stats never creates a database; serve and db share DIR/db', () => {
    const empty = join(dir, 'no-db')
    assertUsageError(lucid('db', 'stats', '--data', empty), /no database in .*no-db\/db.*LUCID_ERR_9003/)
    assert.equal(existsSync(empty), false, 'nothing created')
    const data = join(dir, 'data')
    const seeded = lucid('db', 'seed', '--docs', '5', '--data', data)
    assert.equal(seeded.status, 0, seeded.stderr)
    assert.ok(existsSync(join(data, 'db', 'CURRENT')), 'seed writes DIR/db, where serve keeps its database')
    const stats = lucid('db', 'stats', '--data', data)
    assert.equal(stats.status, 0, stats.stderr)
    assert.match(stats.stdout, /activity\s+5/)
  })

  it('a database another process holds: exit 2 naming its pid', async () => {
    const { openDatabase } = await import('../../services/db/index.ts')
    const data = join(dir, 'held')
    const db = await openDatabase({ backend: 'level', path: join(data, 'db') })
    try {
      assertUsageError(lucid('db', 'stats', '--data', data), new RegExp(`held by process ${process.pid} .*LUCID_ERR_4007`))
    } finally {
      await db.close()
    }
  })
})
