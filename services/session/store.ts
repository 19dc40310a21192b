/**
 * Where chunk bytes and a recording's small files live. One ChunkStore holds one recording. The interface
 * is small on purpose so that a filesystem (fs-store.ts, the default), an object store or a database can
 * sit behind it; metadata that must be queried (chunk lists across sessions) belongs to the DB layer.
 *
 * Contract every implementation keeps: a write is all or nothing (a reader sees the old state or the whole
 * new bytes, never a torn chunk, also after a crash), and a completed write survives a crash.
 */

/** The small files of a recording. */
export type RecordingFile = 'recording.json' | 'manifest.json'

/** Storage of one recording. */
export interface ChunkStore {
  /** Stores the envelope of chunk `index`, given as parts written back to back (replaces an old one atomically). */
  putChunk(index: number, parts: readonly Uint8Array[]): Promise<void>
  /** The envelope of chunk `index`, or undefined when there is none. */
  getChunk(index: number): Promise<Uint8Array | undefined>
  /** Removes chunk `index` if present. */
  deleteChunk(index: number): Promise<void>
  /** Indices of the chunks present, ascending. */
  chunkIndices(): Promise<number[]>
  /** Writes a recording file atomically. */
  putFile(name: RecordingFile, data: Uint8Array): Promise<void>
  /** A recording file's bytes, or undefined when absent. */
  getFile(name: RecordingFile): Promise<Uint8Array | undefined>
  /** A human-readable location (a directory path), for messages. */
  readonly location: string
}
