/**
 * A ChunkStore in a directory:
 *
 *   DIR/recording.json            written when the recording starts
 *   DIR/chunks/000000000007.lsc   one envelope per chunk (12-digit index, sorts as it counts)
 *   DIR/manifest.json             written when the recording is finished
 *
 * Every write goes through writeFileAtomic (services/common/atomic-file.ts): a temporary file in the same
 * directory, fsync'ed, renamed over the final name, and the directory fsync'ed so the rename itself is durable.
 * A crash leaves either no chunk or the whole chunk, plus at most a stray *.tmp file that
 * removeStrayTemps() clears on resume.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises'
import { writeFileAtomic } from '../common/atomic-file.ts'
import { join } from 'node:path'
import type { ChunkStore, RecordingFile } from './store.ts'

const CHUNK_DIR = 'chunks'
const CHUNK_RE = /^(\d{12})\.lsc$/

/** Options of a directory store. */
export interface FsStoreOptions {
  /**
   * fsync files and directories (default true). Off only where durability is not the point, e.g. to show
   * what fsync costs in a benchmark; a recording written without it may lose chunks on power loss.
   */
  durable?: boolean
}

/** A ChunkStore rooted at a directory (created if missing). */
export class FsChunkStore implements ChunkStore {
  readonly location: string
  readonly #chunks: string
  readonly #durable: boolean
  #ready: Promise<void> | undefined

  constructor(dir: string, opts: FsStoreOptions = {}) {
    this.location = dir
    this.#chunks = join(dir, CHUNK_DIR)
    this.#durable = opts.durable ?? true
  }

  /** Path of chunk `index`'s file. */
  chunkPath(index: number): string {
    if (!Number.isSafeInteger(index) || index < 0 || index > 999_999_999_999) throw new RangeError(`bad chunk index ${index}`)
    return join(this.#chunks, `${String(index).padStart(12, '0')}.lsc`)
  }

  async putChunk(index: number, parts: readonly Uint8Array[]): Promise<void> {
    await this.#mkdirs()
    await this.#atomicWrite(this.chunkPath(index), parts)
  }

  async getChunk(index: number): Promise<Uint8Array | undefined> {
    return await readIfExists(this.chunkPath(index))
  }

  async deleteChunk(index: number): Promise<void> {
    await rm(this.chunkPath(index), { force: true })
  }

  async chunkIndices(): Promise<number[]> {
    let names: string[]
    try {
      names = await readdir(this.#chunks)
    } catch (err) {
      if (isNotFound(err)) return []
      throw err
    }
    const out: number[] = []
    for (const n of names) {
      const m = CHUNK_RE.exec(n)
      if (m?.[1] !== undefined) out.push(Number(m[1]))
    }
    return out.sort((a, b) => a - b)
  }

  async putFile(name: RecordingFile, data: Uint8Array): Promise<void> {
    await this.#mkdirs()
    await this.#atomicWrite(join(this.location, name), [data])
  }

  async getFile(name: RecordingFile): Promise<Uint8Array | undefined> {
    return await readIfExists(join(this.location, name))
  }

  /** Deletes temporary files a crashed writer left behind. */
  async removeStrayTemps(): Promise<void> {
    for (const dir of [this.location, this.#chunks]) {
      let names: string[]
      try {
        names = await readdir(dir)
      } catch (err) {
        if (isNotFound(err)) continue
        throw err
      }
      await Promise.all(names.filter((n) => n.endsWith('.tmp')).map((n) => rm(join(dir, n), { force: true })))
    }
  }

  #mkdirs(): Promise<void> {
    this.#ready ??= mkdir(this.#chunks, { recursive: true }).then(() => undefined)
    return this.#ready
  }

  async #atomicWrite(path: string, parts: readonly Uint8Array[]): Promise<void> {
    await writeFileAtomic(path, parts, { durable: this.#durable })
  }
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    const b = await readFile(path)
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}
