/**
 * A recording's metadata in the database layer (services/db): one `sessions` document per recording and
 * one `chunks` document per acknowledged chunk. The chunk bytes stay in the ChunkStore; the database holds
 * what must be queried across sessions (a user's sessions, their status, how many chunks they have) and
 * serves as a second, independent record of each chunk's hash that playback cross-checks.
 *
 * Write order (the recorder keeps it; docs/session.md "Storage and crash consistency"):
 *
 *   start   recording.json (store)  ->  session {status: recording, chunk_count: 0}
 *   append  chunk file (temp, fsync, rename)  ->  chunk document + chunk_count + 1, one transaction
 *   finish  manifest.json (store)  ->  session {status: finalised, merkle_root}
 *
 * Bytes are durable before the metadata that points at them, so a crash at any point leaves at worst a
 * file nothing points at (deleted on resume), never metadata pointing at a missing or torn chunk. The
 * metadata write is the acknowledgement: a chunk whose document exists is whole and playable.
 */
import { join } from 'node:path'
import { errors } from '../common/errors.ts'
import { type Chunk, type Database, type Session, openDatabase } from '../db/index.ts'

/** The session statuses the pipeline writes. */
export const SESSION_STATUS = {
  /** Started or resumed, not finished: chunks may still be added; not playable. */
  recording: 'recording',
  /** finish() completed: manifest.json written and merkle_root recorded; playable, immutable. */
  finalised: 'finalised'
} as const

/** Sub-directory of a recording directory holding its own metadata database (LevelDB). */
export const METADATA_DIR = 'meta'

/** Largest page the chunks repository returns; longer recordings are read page by page. */
const PAGE = 10_000

/**
 * Opens the LevelDB metadata database kept inside a recording directory (`DIR/meta`), as the CLI and the
 * benchmarks do; a service passes its own open Database instead. Commits are fsync'ed (`sync: true`) so an
 * acknowledged chunk survives a power cut like its fsync'ed bytes, not only a killed process.
 */
export async function openRecordingDatabase(recordingDir: string): Promise<Database> {
  return await openDatabase({ backend: 'level', path: join(recordingDir, METADATA_DIR), sync: true })
}

/** Every chunk document of a session, in index order (paged, so any length). */
export async function sessionChunkRows(db: Database, sessionId: string): Promise<Chunk[]> {
  const rows: Chunk[] = []
  for (let from = 0; ; ) {
    const page = await db.chunks.bySession(sessionId, { fromIdx: from, limit: PAGE })
    rows.push(...page)
    const last = page.at(-1)
    if (page.length < PAGE || last === undefined) return rows
    from = last.idx + 1
  }
}

/** The session document a new recording starts with. */
export function recordingSessionDoc(sessionId: string, userId: string, createdAt: number): Session {
  return { session_id: sessionId, user_id: userId, status: SESSION_STATUS.recording, chunk_count: 0, created_at: createdAt }
}

/**
 * Checks a chunk document against the envelope actually stored (its size and SHA-256, already verified
 * against the manifest). LUCID_ERR_2012 naming the chunk when the document is absent or differs: the
 * database and the store no longer describe the same recording (restored from different backups, edited).
 */
export function crossCheckChunk(row: Chunk | undefined, index: number, stored: { size: number; sha256: string }): void {
  const label = `chunk ${index}`
  if (row === undefined) throw new errors.RecordingMetadataMismatch(`${label}: the database has no metadata for it`)
  if (row.size_bytes !== stored.size || row.ciphertext_sha256 !== stored.sha256) {
    throw new errors.RecordingMetadataMismatch(
      `${label}: the database records ${row.size_bytes} bytes with SHA-256 ${row.ciphertext_sha256}, the stored envelope is ${stored.size} bytes with SHA-256 ${stored.sha256}`
    )
  }
}
