/**
 * Key files and a chain's genesis are created whole or not at all (services/common/atomic-file.ts):
 * regression test for a kill -9 between creating the file and writing it, which used to leave an empty key
 * file that every later `lucid serve` refused (LUCID_ERR_9003) until it was deleted by hand.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { writeFileAtomic } from '../../services/common/atomic-file.ts'
import { loadOrCreateKey } from '../../services/gateway/key-file.ts'

const FIXTURE = new URL('./fixtures/create-keys.ts', import.meta.url).pathname

test('a key file created while being killed with SIGKILL is whole or absent, never empty or partial', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-create-'))
  try {
    let files = 0
    for (let round = 0; round < 20; round++) {
      const sub = join(dir, String(round))
      await import('node:fs/promises').then(async (fs) => await fs.mkdir(sub))
      const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, sub], { stdio: ['ignore', 'pipe', 'inherit'] })
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
      await sleep(30 + round * 7)
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
      for (const name of await readdir(sub)) {
        if (name.endsWith('.tmp')) continue // an interrupted creation's scratch file, never read
        files++
        const text = await readFile(join(sub, name), 'utf8')
        if (name.endsWith('.key')) assert.match(text, /^[0-9a-f]{64}\n$/, `${round}/${name} is not a whole key`)
        else assert.doesNotThrow(() => JSON.parse(text), `${round}/${name} is not whole JSON`)
      }
      // The next start reads what is there, or creates what is missing.
      await loadOrCreateKey(join(sub, 'jwt-0.key'), 32)
    }
    assert.ok(files > 20, `only ${files} files were created`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('creating over an existing file fails with EEXIST and leaves it untouched', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-create-'))
  try {
    const p = join(dir, 'k')
    await writeFile(p, 'first\n')
    await assert.rejects(writeFileAtomic(p, 'second\n', { mode: 'create' }), (err: NodeJS.ErrnoException) => err.code === 'EEXIST')
    assert.equal(await readFile(p, 'utf8'), 'first\n')
    assert.deepEqual(await readdir(dir), ['k'], 'no scratch file left behind')
    // Two creations racing: exactly one wins, the file holds the winner's bytes whole.
    const r = await Promise.allSettled([
      writeFileAtomic(join(dir, 'r'), 'a'.repeat(10_000), { mode: 'create' }),
      writeFileAtomic(join(dir, 'r'), 'b'.repeat(10_000), { mode: 'create' })
    ])
    assert.equal(r.filter((x) => x.status === 'fulfilled').length, 1)
    assert.match(await readFile(join(dir, 'r'), 'utf8'), /^(a{10000}|b{10000})$/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('replace mode: a stream of parts takes the name whole, over the old file; a failing stream leaves the old file and no scratch', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-atomic-'))
  try {
    const p = join(dir, 'out')
    await writeFile(p, 'old')
    async function* ok(): AsyncIterable<Uint8Array> {
      yield Buffer.from('ab')
      yield Buffer.from('cd')
    }
    assert.equal(await writeFileAtomic(p, ok()), 4)
    assert.equal(await readFile(p, 'utf8'), 'abcd')
    async function* failing(): AsyncIterable<Uint8Array> {
      yield Buffer.from('xy')
      throw new Error('a chunk failed its check')
    }
    await assert.rejects(writeFileAtomic(p, failing()), /failed its check/)
    assert.equal(await readFile(p, 'utf8'), 'abcd')
    assert.deepEqual(await readdir(dir), ['out'])
    assert.equal(await writeFileAtomic(p, [Buffer.from('1'), Buffer.from('23')], { durable: false }), 3)
    assert.equal(await readFile(p, 'utf8'), '123')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
