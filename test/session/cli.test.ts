import { test } from 'node:test'
import assert from 'node:assert/strict'
import { access, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { PassThrough } from 'node:stream'
import { isLucidError } from '../../services/common/errors.ts'
import { METADATA_DIR, SESSION_STATUS } from '../../services/session/index.ts'
import { sessionCommand, parseSize, type SessionIo } from '../../cli/commands/product/session.ts'
import { cleanup, tempDir, withDb, withTempDir } from './helpers.ts'

const run = promisify(execFile)

function io(env: NodeJS.ProcessEnv = {}): SessionIo & { text: () => string; errText: () => string } {
  const out = new PassThrough()
  const err = new PassThrough()
  let o = ''
  let e = ''
  out.on('data', (d: Buffer) => {
    o += d.toString()
  })
  err.on('data', (d: Buffer) => {
    e += d.toString()
  })
  return { out, err, env, text: () => o, errText: () => e }
}

test('record then play in a fresh process round-trips the capture; the key file is 0600 and never printed', async () => {
  const dir = await tempDir()
  try {
    const rec = join(dir, 'rec')
    const io1 = io()
    assert.equal(await sessionCommand(['record', '--frames', '2', '--out', rec, '--chunk-size', '1m', '--codec', 'pako', '--keep-plaintext'], io1), 0)
    const key = (await readFile(join(rec, 'master.key'), 'utf8')).trim()
    assert.equal((await stat(join(rec, 'master.key'))).mode & 0o777, 0o600)
    assert.ok(!io1.text().includes(key), 'the key is not printed')
    assert.match(io1.text(), /compression_ratio 0\.\d+/)
    assert.equal((await readdir(join(rec, 'chunks'))).length, 8) // 2 frames, 7 372 800 bytes, in 1 MiB chunks: 7 full and one short

    // "After a restart": a separate Node process plays and verifies the recording.
    const out = join(dir, 'played.raw')
    const script = `import { sessionCommand } from ${JSON.stringify(new URL('../../cli/commands/product/session.ts', import.meta.url).href)}; process.exitCode = await sessionCommand(['play', ${JSON.stringify(rec)}, '--out', ${JSON.stringify(out)}])`
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, LUCID_MASTER_KEY: '' } })
    assert.match(stdout, /8 chunks verified/)
    assert.deepEqual(await readFile(out), await readFile(join(rec, 'plaintext.raw')))
  } finally {
    await cleanup(dir)
  }
})

test('LUCID_MASTER_KEY is used when set; a tampered recording fails with its code and writes no output', async () => {
  const dir = await tempDir()
  try {
    const rec = join(dir, 'rec')
    const env = { LUCID_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') }
    assert.equal(await sessionCommand(['record', '--frames', '1', '--out', rec, '--chunk-size', '512k'], io(env)), 0)
    await assert.rejects(stat(join(rec, 'master.key')), 'no key file when the key comes from the environment')
    const chunk = join(rec, 'chunks', '000000000003.lsc')
    const b = await readFile(chunk)
    b[200] = (b[200] as number) ^ 1
    await writeFile(chunk, b)
    const io2 = io(env)
    assert.equal(await sessionCommand(['play', rec, '--out', join(dir, 'out.raw')], io2), 1)
    assert.match(io2.errText(), /LUCID_ERR_2008 .*chunk 3/)
    assert.deepEqual((await readdir(dir)).sort(), ['rec'], 'nothing written, not even a temporary file')
    const wrongKey = io({ LUCID_MASTER_KEY: 'ab'.repeat(32) })
    assert.equal(await sessionCommand(['play', rec, '--out', join(dir, 'out.raw')], wrongKey), 1)
    assert.match(wrongKey.errText(), /LUCID_ERR_2010/)
  } finally {
    await cleanup(dir)
  }
})

test('record keeps the metadata in DIR/meta; play without it fails with LUCID_ERR_2012 and creates nothing', async () => {
  await withTempDir(async (dir) => {
    const rec = join(dir, 'rec')
    const env = { LUCID_MASTER_KEY: Buffer.alloc(32, 9).toString('hex') }
    assert.equal(await sessionCommand(['record', '--frames', '1', '--out', rec, '--chunk-size', '1m'], io(env)), 0)
    await access(join(rec, METADATA_DIR, 'CURRENT')) // a LevelDB lives there
    await withDb(rec, async (db) => {
      const [session] = await db.sessions.byUser('local')
      assert.equal(session?.status, SESSION_STATUS.finalised)
      assert.equal((await db.chunks.bySession(session.session_id)).length, session.chunk_count)
    })
    await rm(join(rec, METADATA_DIR), { recursive: true })
    const failed = io(env)
    assert.equal(await sessionCommand(['play', rec, '--out', join(dir, 'out.raw')], failed), 1)
    assert.match(failed.errText(), /LUCID_ERR_2012 .*meta/)
    assert.equal((await readdir(rec)).includes(METADATA_DIR), false, 'play did not create an empty database')
  })
})

test('bad flags throw LUCID_ERR_9001 or 9003', async () => {
  const is = (code: 'LUCID_ERR_9001' | 'LUCID_ERR_9003') => (e: unknown) => isLucidError(e, code)
  await assert.rejects(sessionCommand([], io()), is('LUCID_ERR_9001'))
  await assert.rejects(sessionCommand(['record', '--bogus'], io()), is('LUCID_ERR_9001'))
  await assert.rejects(sessionCommand(['record', '--frames', '2'], io()), is('LUCID_ERR_9001'))
  await assert.rejects(sessionCommand(['record', '--frames', 'x', '--out', '/tmp/never'], io()), is('LUCID_ERR_9003'))
  await assert.rejects(sessionCommand(['record', '--frames', '1', '--out', '/tmp/never', '--codec', 'lz4'], io()), is('LUCID_ERR_9003'))
  await assert.rejects(sessionCommand(['record', '--frames', '1', '--out', '/tmp/never', '--chunk-size', '65m'], io()), is('LUCID_ERR_9003'))
  await assert.rejects(sessionCommand(['play', '/tmp/never-there', '--out', '/tmp/x'], io({ LUCID_MASTER_KEY: 'short' })), is('LUCID_ERR_9003'))
  await assert.rejects(sessionCommand(['play', '--out', '/tmp/x'], io()), is('LUCID_ERR_9001'))
  assert.equal(parseSize('10m'), 10 * 1024 * 1024)
  assert.equal(parseSize('512KiB'), 512 * 1024)
  assert.equal(parseSize('4096'), 4096)
})
