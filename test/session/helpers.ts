/**
 * Shared fixtures of the session tests: a small real recording on disk with its metadata database in
 * DIR/meta, and ways to open that database and to make it look like a crash interrupted a write.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Database } from '../../services/db/index.ts'
import type { CodecName } from '../../services/session/codec.ts'
import { createCodec } from '../../services/session/codecs.ts'
import { FsChunkStore } from '../../services/session/fs-store.ts'
import type { Manifest } from '../../services/session/manifest.ts'
import { openRecordingDatabase } from '../../services/session/metadata.ts'
import { SessionPlayer } from '../../services/session/player.ts'
import { SessionRecorder } from '../../services/session/recorder.ts'
import { desktopBytes } from '../../sim/frames/desktop.ts'

/** The user fixtures record as. */
export const TEST_USER = 'user_test'

/** A fresh temporary directory; remove it with `cleanup`. */
export async function tempDir(prefix = 'lucid-session-'): Promise<string> {
  return await mkdtemp(join(tmpdir(), prefix))
}

/** Removes a temporary directory. */
export async function cleanup(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

/** Runs `fn` with a fresh temporary directory, removed afterwards whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await tempDir()
  try {
    return await fn(dir)
  } finally {
    await cleanup(dir)
  }
}

/** Runs `fn` with the metadata database of the recording in `dir` (DIR/meta), closed afterwards. */
export async function withDb<T>(dir: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openRecordingDatabase(dir)
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

/** Plays the whole recording in `dir` (store and metadata), returning every chunk's plaintext. */
export async function playAll(dir: string, key: Uint8Array): Promise<Uint8Array[]> {
  return await withDb(dir, async (db) => {
    const player = await SessionPlayer.open({ store: new FsChunkStore(dir), db, masterKey: key })
    const out: Uint8Array[] = []
    for await (const c of player.chunks()) out.push(c)
    return out
  })
}

/**
 * Takes back the acknowledgement of chunks `fromIdx` onwards, leaving their files: the state a crash
 * between a chunk's file write and its metadata transaction leaves behind.
 */
export async function unacknowledge(db: Database, sessionId: string, fromIdx: number): Promise<void> {
  await db.transaction(async (t) => {
    const rows = await t.chunks.bySession(sessionId, { fromIdx })
    for (const r of rows) await t.chunks.delete(sessionId, r.idx)
    await t.sessions.addChunks(sessionId, -rows.length)
  })
}

/** A finished recording of `chunks` chunks of `chunkSize` bytes of desktop capture (the last one odd-sized). */
export interface Fixture {
  readonly dir: string
  readonly key: Uint8Array
  readonly manifest: Manifest
  /** The plaintext of each chunk. */
  readonly chunks: Uint8Array[]
}

/** Records a fixture into `dir`, with its metadata in DIR/meta (closed again when it returns). */
export async function recordFixture(
  dir: string,
  opts: { chunks?: number; chunkSize?: number; codec?: CodecName; sessionId?: string; key?: Uint8Array } = {}
): Promise<Fixture> {
  const n = opts.chunks ?? 4
  const size = opts.chunkSize ?? 48 * 1024
  const key = opts.key ?? new Uint8Array(randomBytes(32))
  const data = desktopBytes(n * size, { seed: 3 })
  const chunks = Array.from({ length: n }, (_, i) => data.subarray(i * size, i === n - 1 ? i * size + size - 13 : (i + 1) * size))
  const codec = createCodec(opts.codec ?? 'zlib')
  try {
    const manifest = await withDb(dir, async (db) => {
      const rec = await SessionRecorder.start({
        store: new FsChunkStore(dir),
        db,
        masterKey: key,
        codec,
        userId: TEST_USER,
        ...(opts.sessionId !== undefined ? { sessionId: opts.sessionId } : {}),
        ownerAddress: '0xowner'
      })
      for (const c of chunks) await rec.append(c)
      return await rec.finish()
    })
    return { dir, key, manifest, chunks }
  } finally {
    await codec.close()
  }
}
