/**
 * Shared set-up of the session cases: the capture data, a recorder writing into the case's scratch
 * directory with its metadata in a LevelDB there, and the bounded scratch disk.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { availableParallelism } from 'node:os'
import type { CaseContext, Conditions } from '../../harness/case.ts'
import type { Database } from '../../services/db/index.ts'
import { DEFAULT_MEMBER_SIZE, FsChunkStore, SessionRecorder, openRecordingDatabase, type ChunkReceipt, type Codec } from '../../services/session/index.ts'
import { DESKTOP_DATA, desktopBytes } from '../../sim/frames/desktop.ts'

/** The real chunk size (10 MiB) of the sustained and concurrent cases. */
export const REAL_CHUNK = 10 * 1024 * 1024

/**
 * Chunk files kept on disk per recording; older ones are deleted (untimed) so long runs fit the scratch disk.
 * Their metadata documents (about 150 bytes each) stay: these recordings are never played back.
 */
const KEEP_CHUNKS = 8

/**
 * A pool of desktop capture to cut chunks from: enough for `distinct` different chunks of `chunkSize` (at
 * least 8 MiB, so small chunks are drawn from all over several frames rather than one flat corner).
 */
export function capturePool(chunkSize: number, distinct: number): Uint8Array {
  return desktopBytes(Math.max(8 * 1024 * 1024, chunkSize * distinct), { seed: 42 })
}

/** A pool of distinct 10 MiB chunks (2 in smoke, 4 otherwise), announced as progress since it takes a moment. */
export function realChunkPool(ctx: CaseContext): Uint8Array {
  ctx.progress('generating desktop capture')
  return capturePool(REAL_CHUNK, distinctRealChunks(ctx))
}

/** How many distinct 10 MiB chunks realChunkPool holds. */
export function distinctRealChunks(ctx: CaseContext): number {
  return ctx.profile === 'smoke' ? 2 : 4
}

/** A chunk of `size` bytes at a random 64-byte-aligned offset of `pool`. */
export function pickChunk(ctx: CaseContext, pool: Uint8Array, size: number): Uint8Array {
  const slots = Math.floor((pool.length - size) / 64)
  const off = slots > 0 ? ctx.rng.int(0, slots) * 64 : 0
  return pool.subarray(off, off + size)
}

/**
 * Runs `fn` with the case's metadata database, closed afterwards: one LevelDB with fsync'ed commits in the
 * case's tmpdir, shared by every recording of the case as a service shares its database between sessions.
 */
export async function withScratchDatabase<T>(ctx: CaseContext, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openRecordingDatabase(ctx.tmpdir)
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

/** A recorder into a fresh directory under the case's tmpdir, with a random master key and metadata in `db`. */
export async function scratchRecorder(ctx: CaseContext, name: string, codec: Codec, db: Database): Promise<{ recorder: SessionRecorder; store: FsChunkStore }> {
  const store = new FsChunkStore(join(ctx.tmpdir, name))
  const recorder = await SessionRecorder.start({ store, db, masterKey: new Uint8Array(randomBytes(32)), codec, userId: 'bench', sessionId: `bench-${name}` })
  return { recorder, store }
}

/** Appends a chunk and deletes the chunk KEEP_CHUNKS before it (after the timing: not part of any figure). */
export async function appendBounded(recorder: SessionRecorder, store: FsChunkStore, chunk: Uint8Array): Promise<ChunkReceipt> {
  const r = await recorder.append(chunk)
  if (r.index >= KEEP_CHUNKS) await store.deleteChunk(r.index - KEEP_CHUNKS)
  return r
}

/** The conditions every session case reports. */
export function baseConditions(codec: Codec, chunkSize: number, db: Database): Conditions {
  return {
    data: DESKTOP_DATA,
    codec: `${codec.name} gzip level 6`,
    chunk_bytes: chunkSize,
    gzip_members: Math.max(1, Math.ceil(chunkSize / DEFAULT_MEMBER_SIZE)),
    member_bytes: DEFAULT_MEMBER_SIZE,
    encryption: 'AES-256-GCM (WebCrypto), HKDF-SHA256 key per recording segment',
    storage:
      "chunk bytes: file in the case tmpdir (temp file, fsync, rename, directory fsync); then metadata: one LevelDB transaction (chunk document + session chunk_count, one atomic batch, fsync'ed commit); store_ms covers both, up to the acknowledgement",
    metadata_engine: db.engine.description,
    cores: availableParallelism()
  }
}

/** Runs `step` until `seconds` have passed (and at least `minIterations` times). */
export async function runFor(seconds: number, minIterations: number, step: (i: number) => Promise<void>): Promise<number> {
  const end = performance.now() + seconds * 1000
  let i = 0
  while (i < minIterations || performance.now() < end) await step(i++)
  return i
}
