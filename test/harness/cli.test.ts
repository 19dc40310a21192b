import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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
  it('rejects a non-http target', () => assertUsageError(lucid('bench', '--target', 'ftp://x'), /--target.*LUCID_ERR_9003/))

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
    assertUsageError(lucid('bench', '--targets', notJson), /Malformed targets file .*bad\.json.*LUCID_ERR_9005/)
    const badOp = join(dir, 'op.json')
    writeFileSync(badOp, JSON.stringify([{ case: 'gateway.health', metric: 'p95_ms', op: '~', value: 1 }]))
    assertUsageError(lucid('bench', '--targets', badOp), /entry 0: "op".*LUCID_ERR_9005/)
    assertUsageError(lucid('bench', '--targets', join(dir, 'missing.json')), /no such file.*LUCID_ERR_9005/)
  })
})
