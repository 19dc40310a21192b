import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { toHex } from '../../services/common/hash.ts'
import { isLucidError } from '../../services/common/errors.ts'
import { parseEnvelope } from '../../services/session/envelope.ts'
import { FsChunkStore } from '../../services/session/fs-store.ts'
import { importMasterKey } from '../../services/session/keys.ts'
import { NonceSequence } from '../../services/session/nonce.ts'
import { SessionRecorder } from '../../services/session/recorder.ts'
import { ChunkSealer } from '../../services/session/seal.ts'
import { TEST_USER, playAll, unacknowledge, withDb, withTempDir } from './helpers.ts'

const chunk = (i: number): Uint8Array => new TextEncoder().encode(`chunk ${i} `.repeat(200 + i))

test('a nonce sequence counts up from zero behind a zero fixed field', () => {
  const s = new NonceSequence()
  assert.equal(toHex(s.next()), '000000000000000000000000')
  assert.equal(toHex(s.next()), '000000000000000000000001')
  assert.equal(s.issued, 2)
})

test('re-sealing the same index under one key takes a new nonce', async () => {
  const sealer = await ChunkSealer.create(await importMasterKey(new Uint8Array(32).fill(1)), 's')
  const a = parseEnvelope(new Uint8Array([...(await sealer.seal(0, chunk(0), 1)).header, ...new Uint8Array(16)]), 'a')
  const b = parseEnvelope(new Uint8Array([...(await sealer.seal(0, chunk(0), 1)).header, ...new Uint8Array(16)]), 'b')
  assert.deepEqual(a.header.salt, b.header.salt)
  assert.notDeepEqual(a.header.nonce, b.header.nonce)
})

test('no (key, nonce) pair repeats across crashes, resumes and re-encrypted chunks', async () => {
  await withTempDir(async (dir) => {
    const key = new Uint8Array(randomBytes(32))
    const store = new FsChunkStore(dir)
    await withDb(dir, async (db) => {
      const written: Array<{ index: number; salt: string; nonce: string }> = []
      const collect = async (): Promise<void> => {
        for (const i of await store.chunkIndices()) {
          const { header } = parseEnvelope((await store.getChunk(i)) as Uint8Array, `chunk ${i}`)
          written.push({ index: i, salt: toHex(header.salt), nonce: toHex(header.nonce) })
        }
      }
      // Segment 1: chunks 0..2, then the process "dies" (no finish) leaving a temp file behind.
      const r1 = await SessionRecorder.start({ store, db, masterKey: key, sessionId: 'resume-me', userId: TEST_USER })
      for (let i = 0; i < 3; i++) await r1.append(chunk(i))
      await r1.abandon()
      await writeFile(join(dir, 'chunks', '000000000003.lsc.abc.tmp'), 'torn')
      await collect()

      // Segment 2: resume continues at 3 under a fresh salt; appends 3 and 4, dies again.
      await store.removeStrayTemps()
      assert.deepEqual(await store.chunkIndices(), [0, 1, 2])
      const r2 = await SessionRecorder.resume({ store, db, masterKey: key })
      assert.equal(r2.nextIndex, 3)
      await r2.append(chunk(3))
      await r2.append(chunk(4))
      await r2.abandon()
      await collect()

      // Chunk 4's file was written but its metadata never acknowledged (a crash in between); segment 3
      // drops that file, re-encrypts index 4 and adds 5, then finishes.
      await unacknowledge(db, 'resume-me', 4)
      const r3 = await SessionRecorder.resume({ store, db, masterKey: key })
      assert.equal(r3.nextIndex, 4)
      await r3.append(chunk(4))
      await r3.append(chunk(5))
      const manifest = await r3.finish()
      await collect()

      const pairs = new Set(written.map((w) => `${w.salt}/${w.nonce}`))
      const versions = new Set(written.map((w) => `${w.index}/${w.salt}/${w.nonce}`))
      assert.equal(pairs.size, versions.size, 'every distinct envelope ever written has its own (salt, nonce)')
      assert.equal(new Set(written.map((w) => w.salt)).size, 3, 'three segments, three salts, three keys')
      const idx4 = new Set(written.filter((w) => w.index === 4).map((w) => `${w.salt}/${w.nonce}`))
      assert.equal(idx4.size, 2, 'the re-encrypted chunk 4 got another key and nonce')

      assert.equal(manifest.chunk_count, 6)
      await assert.rejects(
        SessionRecorder.resume({ store, db, masterKey: key }),
        (e) => isLucidError(e, 'LUCID_ERR_2011'),
        'a finished recording is not resumed'
      )
    })
    assert.deepEqual(
      await playAll(dir, key),
      Array.from({ length: 6 }, (_, i) => chunk(i))
    )
  })
})

test('resume deletes chunk files that were never acknowledged and refuses another master key', async () => {
  await withTempDir(async (dir) => {
    const key = new Uint8Array(randomBytes(32))
    const store = new FsChunkStore(dir)
    await withDb(dir, async (db) => {
      const r = await SessionRecorder.start({ store, db, masterKey: key, userId: TEST_USER })
      for (let i = 0; i < 4; i++) await r.append(chunk(i))
      await r.abandon()
      await unacknowledge(db, r.sessionId, 1)
      await assert.rejects(SessionRecorder.resume({ store, db, masterKey: new Uint8Array(32) }), (e) => isLucidError(e, 'LUCID_ERR_2010'))
      const again = await SessionRecorder.resume({ store, db, masterKey: key })
      assert.equal(again.nextIndex, 1)
      assert.deepEqual(await store.chunkIndices(), [0])
      await again.append(chunk(1))
      assert.equal((await again.finish()).chunk_count, 2)
    })
  })
})
