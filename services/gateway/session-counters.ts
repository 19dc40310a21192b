/**
 * Counts of the session pipeline's stages as the gateway drives it, behind `session_chunks_compressed_total`,
 * `session_chunks_encrypted_total` and `session_chunks_processed_total`.
 *
 * The stages run inside SessionRecorder (services/session), which the gateway does not change; each count is
 * taken at the seam where that stage's output leaves for the next one, so the three counts differ exactly
 * when a chunk stopped between stages:
 *
 * - compressed: the gateway's codec returned a gzip of a chunk (a decorator of the shared codec; playback's
 *   decompression is not counted);
 * - encrypted: a sealed AES-256-GCM envelope was written to the chunk store (a decorator of the recorders'
 *   ChunkStore: the recorder hands only sealed envelopes to it);
 * - processed: the chunk was acknowledged (its metadata written; the upload answers 201).
 *
 * So compressed >= encrypted >= processed, and a gap says where chunks were lost (a full disk shows as
 * compressed but not encrypted, a database failure as encrypted but not processed).
 */
import type { ChunkStore, Codec, RecordingFile } from '../session/index.ts'

/** The pipeline's stage counts since the gateway started. */
export class SessionCounters {
  #compressed = 0
  #encrypted = 0
  #processed = 0

  /** Chunks the codec compressed. */
  get compressed(): number {
    return this.#compressed
  }
  /** Sealed chunk envelopes stored. */
  get encrypted(): number {
    return this.#encrypted
  }
  /** Chunks acknowledged. */
  get processed(): number {
    return this.#processed
  }

  /** Counts one acknowledged chunk. */
  acknowledged(): void {
    this.#processed++
  }

  /** `codec`, counting each compression that succeeds (closing it closes `codec`). */
  codec(codec: Codec): Codec {
    return {
      name: codec.name,
      compress: async (data) => {
        const out = await codec.compress(data)
        this.#compressed++
        return out
      },
      decompress: async (gz, expectedSize) => await codec.decompress(gz, expectedSize),
      close: async () => {
        await codec.close()
      }
    }
  }

  /** `store`, counting each chunk envelope it stores. */
  store(store: ChunkStore): ChunkStore {
    return new CountingStore(store, () => {
      this.#encrypted++
    })
  }
}

/** A ChunkStore that reports every chunk written through it. */
class CountingStore implements ChunkStore {
  readonly #inner: ChunkStore
  readonly #onPut: () => void

  constructor(inner: ChunkStore, onPut: () => void) {
    this.#inner = inner
    this.#onPut = onPut
  }

  get location(): string {
    return this.#inner.location
  }

  async putChunk(index: number, parts: readonly Uint8Array[]): Promise<void> {
    await this.#inner.putChunk(index, parts)
    this.#onPut()
  }

  async getChunk(index: number): Promise<Uint8Array | undefined> {
    return await this.#inner.getChunk(index)
  }
  async deleteChunk(index: number): Promise<void> {
    await this.#inner.deleteChunk(index)
  }
  async chunkIndices(): Promise<number[]> {
    return await this.#inner.chunkIndices()
  }
  async putFile(name: RecordingFile, data: Uint8Array): Promise<void> {
    await this.#inner.putFile(name, data)
  }
  async getFile(name: RecordingFile): Promise<Uint8Array | undefined> {
    return await this.#inner.getFile(name)
  }
}
