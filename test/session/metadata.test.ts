/**
 * The recording's metadata in the database layer: what the recorder writes (session and chunk documents),
 * the order that keeps it crash consistent (a child process killed with SIGKILL mid-stream), resume's
 * repairs, and playback's cross-check of metadata against the stored envelopes (LUCID_ERR_2012).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cp, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { isLucidError, type LucidErrorCode } from '../../services/common/errors.ts'
import { sha256, toHex } from '../../services/common/hash.ts'
import type { Codec } from '../../services/session/codec.ts'
import { createZlibCodec } from '../../services/session/codec-zlib.ts'
import { FsChunkStore } from '../../services/session/fs-store.ts'
import { importMasterKey } from '../../services/session/keys.ts'
import { SESSION_STATUS } from '../../services/session/metadata.ts'
import { SessionRecorder } from '../../services/session/recorder.ts'
import { ChunkOpener } from '../../services/session/seal.ts'
import { CRASH_DEPTH, CRASH_KEY, CRASH_SESSION, CRASH_USER, crashChunk } from './fixtures/crash-data.ts'
import { TEST_USER, playAll, recordFixture, withDb, withTempDir } from './helpers.ts'

const chunk = (i: number): Uint8Array => new TextEncoder().encode(`metadata chunk ${i} `.repeat(300 + i))
const is =
  (code: LucidErrorCode, chunkIndex?: number) =>
  (e: unknown): boolean => {
    assert.ok(isLucidError(e, code), `expected ${code}, got ${String(e)}`)
    if (chunkIndex !== undefined) assert.match((e as Error).message, new RegExp(`chunk ${chunkIndex}\\b`))
    return true
  }

test('the recorder writes the session and every chunk through the repositories, and they read back', async () => {
  await withTempDir(async (dir) => {
    const key = new Uint8Array(randomBytes(32))
    await withDb(dir, async (db) => {
      const rec = await SessionRecorder.start({ store: new FsChunkStore(dir), db, masterKey: key, userId: TEST_USER, sessionId: 'meta-1' })
      const started = await db.sessions.require('meta-1')
      assert.deepEqual(started, {
        session_id: 'meta-1',
        user_id: TEST_USER,
        status: SESSION_STATUS.recording,
        chunk_count: 0,
        created_at: Date.parse(rec.info.started_at)
      })
      for (let i = 0; i < 3; i++) {
        const r = await rec.append(chunk(i))
        // Acknowledged means written: the chunk document and the count are there when append resolves.
        const { created_at: createdAt, ...row } = (await db.chunks.get('meta-1', i)) ?? { created_at: -1 }
        assert.deepEqual(row, { session_id: 'meta-1', idx: i, ciphertext_sha256: r.ciphertext_sha256, size_bytes: r.size })
        assert.ok(createdAt >= started.created_at)
        assert.equal((await db.sessions.require('meta-1')).chunk_count, i + 1)
        assert.ok(r.store_ms >= r.meta_ms, 'store_ms includes the metadata write')
      }
      assert.deepEqual(await db.sessions.countByStatusForUser(TEST_USER), { recording: 1 })
      const manifest = await rec.finish()
      const done = await db.sessions.require('meta-1')
      assert.equal(done.status, SESSION_STATUS.finalised)
      assert.equal(done.chunk_count, 3)
      assert.equal(done.merkle_root, manifest.merkle_root)
      assert.deepEqual(
        (await db.sessions.byUser(TEST_USER)).map((s) => s.session_id),
        ['meta-1']
      )
      const rows = await db.chunks.bySession('meta-1')
      assert.deepEqual(
        rows.map((r) => [r.idx, r.size_bytes, r.ciphertext_sha256]),
        manifest.chunks.map((c) => [c.index, c.size, c.ciphertext_sha256])
      )
      // The documents describe the bytes actually stored.
      for (const r of rows) {
        const bytes = (await new FsChunkStore(dir).getChunk(r.idx)) as Uint8Array
        assert.equal(toHex(sha256(bytes)), r.ciphertext_sha256)
        assert.equal(bytes.length, r.size_bytes)
      }
    })
    assert.deepEqual(await playAll(dir, key), [chunk(0), chunk(1), chunk(2)])
  })
})

test('start refuses a session id the database already has, or ids it cannot store, before writing anything', async () => {
  await withTempDir(async (dir) => {
    await withDb(dir, async (db) => {
      await db.sessions.insert({ session_id: 'taken', user_id: 'someone', status: 'finalised', chunk_count: 0, created_at: 1 })
      const store = new FsChunkStore(join(dir, 'rec'))
      await assert.rejects(SessionRecorder.start({ store, db, masterKey: new Uint8Array(32), userId: TEST_USER, sessionId: 'taken' }), is('LUCID_ERR_2011'))
      await assert.rejects(SessionRecorder.start({ store, db, masterKey: new Uint8Array(32), userId: '' }), is('LUCID_ERR_4009'))
      await assert.rejects(
        SessionRecorder.start({ store, db, masterKey: new Uint8Array(32), userId: TEST_USER, sessionId: 'bad\u0001id' }),
        is('LUCID_ERR_4009')
      )
      assert.equal(await store.getFile('recording.json'), undefined)
    })
  })
})

/** A codec that fails to compress its `failAt`-th input (0-based), to make one append fail. */
function failingCodec(failAt: number): Codec {
  const inner = createZlibCodec()
  let calls = 0
  return {
    name: inner.name,
    compress: async (data) => {
      if (calls++ === failAt) throw new Error('compression failed on purpose')
      return await inner.compress(data)
    },
    decompress: async (data, size) => await inner.decompress(data, size),
    close: async () => {
      await inner.close()
    }
  }
}

test('overlapping appends are acknowledged in index order, and never behind a failed one', async () => {
  await withTempDir(async (dir) => {
    const store = new FsChunkStore(dir)
    await withDb(dir, async (db) => {
      const codec = failingCodec(3)
      const rec = await SessionRecorder.start({ store, db, masterKey: new Uint8Array(32).fill(3), userId: TEST_USER, codec })
      const order: number[] = []
      // Chunk 0 is large, chunk 1 tiny: 1 would finish its file first, but must not be acknowledged first.
      const big = new Uint8Array(3 * 1024 * 1024).fill(7)
      const results = await Promise.allSettled(
        [big, chunk(1), chunk(2), chunk(3), chunk(4), chunk(5)].map(async (data, i) => {
          const r = await rec.append(data)
          order.push(r.index)
          assert.equal(r.index, i)
        })
      )
      assert.deepEqual(order, [0, 1, 2])
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected']
      )
      const [, , , third, fourth] = results
      assert.match(String((third as PromiseRejectedResult).reason), /on purpose/)
      assert.ok(is('LUCID_ERR_2007', 3)((fourth as PromiseRejectedResult).reason))
      // Only the acknowledged prefix has metadata, and no file is left without it.
      assert.deepEqual(
        (await db.chunks.bySession(rec.sessionId)).map((r) => r.idx),
        [0, 1, 2]
      )
      assert.equal((await db.sessions.require(rec.sessionId)).chunk_count, 3)
      assert.deepEqual(await store.chunkIndices(), [0, 1, 2])
      await assert.rejects(rec.finish(), is('LUCID_ERR_2007', 3))
      await codec.close()
    })
  })
})

test('resume recreates a session document a crash prevented, and refuses acknowledged chunks that are gone or changed', async () => {
  await withTempDir(async (dir) => {
    const key = new Uint8Array(randomBytes(32))
    const store = new FsChunkStore(dir)
    await withDb(dir, async (db) => {
      // A crash between recording.json and the session document: resume writes the document.
      const r1 = await SessionRecorder.start({ store, db, masterKey: key, userId: TEST_USER, sessionId: 'repair' })
      await r1.abandon()
      await db.sessions.delete('repair')
      const r2 = await SessionRecorder.resume({ store, db, masterKey: key })
      assert.deepEqual(await db.sessions.require('repair'), {
        session_id: 'repair',
        user_id: TEST_USER,
        status: SESSION_STATUS.recording,
        chunk_count: 0,
        created_at: Date.parse(r1.info.started_at)
      })
      for (let i = 0; i < 3; i++) await r2.append(chunk(i))
      await r2.abandon()

      const saved = (await store.getChunk(1)) as Uint8Array
      await store.deleteChunk(1)
      await assert.rejects(SessionRecorder.resume({ store, db, masterKey: key }), is('LUCID_ERR_2007', 1))
      await store.putChunk(1, [saved.subarray(0, saved.length - 1)])
      await assert.rejects(SessionRecorder.resume({ store, db, masterKey: key }), is('LUCID_ERR_2008', 1))
      await store.putChunk(1, [saved])

      // Metadata that is not a prefix cannot come from this recorder: refused rather than guessed at.
      const row = await db.chunks.get('repair', 1)
      assert.ok(row !== undefined)
      await db.chunks.delete('repair', 1)
      await assert.rejects(SessionRecorder.resume({ store, db, masterKey: key }), is('LUCID_ERR_2012', 1))
      await db.chunks.insert(row)

      const r3 = await SessionRecorder.resume({ store, db, masterKey: key })
      assert.equal(r3.nextIndex, 3)
      await r3.append(chunk(3))
      await r3.finish()
    })
    assert.deepEqual(await playAll(dir, key), [0, 1, 2, 3].map(chunk))
  })
})

test('a finish cut short after its manifest is not acknowledged: playback refuses, resume and finish complete it', async () => {
  await withTempDir(async (dir) => {
    const fx = await recordFixture(dir, { chunks: 3 })
    // The state a crash between writing manifest.json and marking the session finalised leaves.
    await withDb(dir, async (db) => {
      await db.sessions.update(fx.manifest.session_id, { status: SESSION_STATUS.recording })
    })
    await assert.rejects(playAll(dir, fx.key), is('LUCID_ERR_2011'))
    await withDb(dir, async (db) => {
      const rec = await SessionRecorder.resume({ store: new FsChunkStore(dir), db, masterKey: fx.key })
      assert.equal(rec.nextIndex, 3)
      const manifest = await rec.finish()
      assert.equal(manifest.merkle_root, fx.manifest.merkle_root, 'same chunks, same root')
    })
    assert.deepEqual(await playAll(dir, fx.key), fx.chunks)
  })
})

test('playback cross-checks the metadata against the stored envelopes: a disagreement is LUCID_ERR_2012 naming the chunk', async () => {
  await withTempDir(async (root) => {
    const fx = await recordFixture(join(root, 'good'), { chunks: 4 })
    const id = fx.manifest.session_id
    const entry = (i: number): { ciphertext_sha256: string; size: number } => fx.manifest.chunks[i] as { ciphertext_sha256: string; size: number }
    const expect = async (name: string, code: LucidErrorCode, chunkIndex: number | undefined, edit: Parameters<typeof withDb>[1]): Promise<void> => {
      const dir = join(root, name)
      await cp(fx.dir, dir, { recursive: true })
      await withDb(dir, edit)
      await assert.rejects(playAll(dir, fx.key), is(code, chunkIndex), name)
    }
    await expect('other-hash', 'LUCID_ERR_2012', 2, async (db) => {
      await db.chunks.delete(id, 2)
      await db.chunks.insert({ session_id: id, idx: 2, ciphertext_sha256: entry(1).ciphertext_sha256, size_bytes: entry(2).size, created_at: 0 })
    })
    await expect('other-size', 'LUCID_ERR_2012', 1, async (db) => {
      await db.chunks.delete(id, 1)
      await db.chunks.insert({ session_id: id, idx: 1, ciphertext_sha256: entry(1).ciphertext_sha256, size_bytes: entry(1).size + 1, created_at: 0 })
    })
    await expect('no-row', 'LUCID_ERR_2012', 3, async (db) => {
      await db.chunks.delete(id, 3)
    })
    await expect('extra-row', 'LUCID_ERR_2012', 4, async (db) => {
      await db.chunks.insert({ session_id: id, idx: 4, ciphertext_sha256: entry(0).ciphertext_sha256, size_bytes: entry(0).size, created_at: 0 })
    })
    await expect('other-root', 'LUCID_ERR_2012', undefined, async (db) => {
      await db.sessions.update(id, { merkle_root: 'ab'.repeat(32) })
    })
    await expect('other-count', 'LUCID_ERR_2012', undefined, async (db) => {
      await db.sessions.addChunks(id, 1)
    })
    await expect('no-session', 'LUCID_ERR_2012', undefined, async (db) => {
      await db.sessions.delete(id)
    })
    // Damaged bytes are reported as such, not as a metadata disagreement.
    const dir = join(root, 'bitflip')
    await cp(fx.dir, dir, { recursive: true })
    const store = new FsChunkStore(dir)
    const b = (await store.getChunk(0)) as Uint8Array
    b[100] = (b[100] as number) ^ 1
    await store.putChunk(0, [b])
    await assert.rejects(playAll(dir, fx.key), is('LUCID_ERR_2008', 0))
  })
})

/** Runs the recorder fixture in a child process until it printed `acks` acknowledgements, then SIGKILLs it. */
async function recordUntilKilled(dir: string, acks: number): Promise<number[]> {
  const script = fileURLToPath(new URL('./fixtures/recorder.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  const acked: number[] = []
  let partial = ''
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve()
    })
  )
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n')
      partial = lines.pop() ?? ''
      for (const l of lines) if (l.startsWith('ack ')) acked.push(Number(l.slice(4)))
      if (acked.length >= acks) resolve()
    })
    child.once('exit', (code, signal) => {
      reject(new Error(`the recorder exited (${code ?? signal}) after ${acked.length} acks: ${stderr}`))
    })
  })
  // Killed wherever it is: compressing, in the middle of a chunk file, or inside a LevelDB commit.
  child.kill('SIGKILL')
  await exited
  return acked
}

test('SIGKILL mid-stream: every acknowledged chunk plays after reopening, nothing half-written is visible', async () => {
  await withTempDir(async (dir) => {
    const acked = await recordUntilKilled(dir, 25)
    const last = Math.max(...acked)
    assert.deepEqual(
      acked,
      Array.from({ length: last + 1 }, (_, i) => i),
      'acknowledgements come in index order'
    )

    const store = new FsChunkStore(dir)
    await withDb(dir, async (db) => {
      const session = await db.sessions.require(CRASH_SESSION)
      assert.equal(session.status, SESSION_STATUS.recording)
      assert.equal(session.user_id, CRASH_USER)
      const rows = await db.chunks.bySession(CRASH_SESSION, { limit: 10_000 })
      // Everything acknowledged is there; beyond it at most the appends that were in flight, and the
      // count moved with the documents (one atomic batch).
      assert.deepEqual(
        rows.map((r) => r.idx),
        Array.from({ length: rows.length }, (_, i) => i)
      )
      assert.ok(rows.length >= last + 1 && rows.length <= last + 1 + CRASH_DEPTH, `${rows.length} chunk documents, last ack ${last}`)
      assert.equal(session.chunk_count, rows.length)
      // Every chunk file under its final name is whole and authentic, with or without metadata; a write
      // cut short can only have left a temporary file, which no reader lists.
      const opener = new ChunkOpener(await importMasterKey(CRASH_KEY), CRASH_SESSION)
      const indices = await store.chunkIndices()
      assert.ok(indices.length >= rows.length)
      for (const i of indices) {
        const bytes = (await store.getChunk(i)) as Uint8Array
        const { header } = await opener.open(bytes, i)
        assert.equal(header.plaintextSize, crashChunk(i).length)
        const row = rows[i]
        if (row !== undefined) assert.deepEqual([row.size_bytes, row.ciphertext_sha256], [bytes.length, toHex(sha256(bytes))])
      }

      await store.removeStrayTemps()
      const rec = await SessionRecorder.resume({ store, db, masterKey: CRASH_KEY })
      assert.equal(rec.nextIndex, rows.length)
      assert.deepEqual(
        await store.chunkIndices(),
        rows.map((r) => r.idx),
        'files nothing acknowledged are gone'
      )
      assert.equal((await rec.finish()).chunk_count, rows.length)
    })
    const played = await playAll(dir, CRASH_KEY)
    assert.ok(played.length >= last + 1)
    played.forEach((c, i) => {
      assert.deepEqual(c, crashChunk(i), `chunk ${i}`)
    })
    assert.deepEqual(
      (await readdir(join(dir, 'chunks'))).filter((n) => n.endsWith('.tmp')),
      []
    )
  })
})
