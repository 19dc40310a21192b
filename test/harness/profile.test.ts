import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const LUCID = fileURLToPath(new URL('../../bin/lucid.js', import.meta.url))

test('lucid profile doctor runs clinic offline on a server under load and prints the HTML report path last', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lucid-profile-'))
  try {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [LUCID, 'profile', 'doctor', '--server', 'raw', '--duration', '3s', '--dest', dir],
        { timeout: 240_000 },
        (err, stdout, stderr) => {
          resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr })
        }
      )
    })
    assert.equal(r.code, 0, r.stderr)
    const last = r.stdout.trim().split('\n').at(-1) ?? ''
    assert.match(last, /\.clinic-doctor\.html$/)
    assert.ok(last.startsWith(dir), `${last} is in ${dir}`)
    assert.ok(existsSync(last))
    assert.match(readFileSync(last, 'utf8').slice(0, 2000), /<html|<!DOCTYPE/i)
    // The load really ran against the profiled server (a few errors on a loaded machine are not this test's concern).
    const load = /load: (\d+) requests, (\d+) errors/.exec(r.stderr)
    assert.ok(load !== null, r.stderr.slice(-500))
    assert.ok(Number(load[1]) > 0 && Number(load[2]) < Number(load[1]) / 10, load[0])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('lucid profile refuses an unknown tool or scenario with exit 2', async () => {
  for (const args of [['profile', 'strace'], ['profile', 'doctor', '--scenario', 'nope'], ['profile']]) {
    const code = await new Promise<number>((resolve) =>
      execFile(process.execPath, [LUCID, ...args], { timeout: 30_000 }, (err) => resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : -1))
    )
    assert.equal(code, 2, args.join(' '))
  }
})
