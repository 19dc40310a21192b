/**
 * Recording a session: each chunk of capture is compressed (gzip 6), sealed (AES-256-GCM), hashed and
 * stored; finish() writes the Merkle manifest. A crashed recording is continued with resume().
 *
 * Appends may overlap (the index is taken synchronously at call time), so a caller can compress chunk i+1
 * while chunk i is being stored; finish() waits for every append in flight.
 */
import { randomUUID } from 'node:crypto'
import { errors } from '../common/errors.ts'
import { systemClock, type Clock } from '../common/clock.ts'
import { sha256, toHex } from '../common/hash.ts'
import type { Codec } from './codec.ts'
import { createZlibCodec } from './codec-zlib.ts'
import { MAX_CHUNK_BYTES } from './envelope.ts'
import { importMasterKey, masterKeyId } from './keys.ts'
import { buildManifest, type Manifest, type ManifestChunk } from './manifest.ts'
import { RECORDING_FORMAT, readRecordingInfo, writeRecordingInfo, type RecordingInfo } from './recording-info.ts'
import { ChunkOpener, ChunkSealer } from './seal.ts'
import type { ChunkStore } from './store.ts'

/** Options of a new recording. */
export interface RecorderOptions {
  readonly store: ChunkStore
  /** 32 raw bytes. */
  readonly masterKey: Uint8Array
  /** Default: a random UUID. */
  readonly sessionId?: string
  /** The owner's wallet address (default ''). */
  readonly ownerAddress?: string
  /** Default: node:zlib. The recorder does not close a codec it was given. */
  readonly codec?: Codec
  readonly clock?: Clock
}

/** Where one append spent its time, in ms, and what it produced. */
export interface ChunkReceipt extends ManifestChunk {
  readonly compressed_size: number
  readonly compress_ms: number
  readonly encrypt_ms: number
  readonly hash_ms: number
  readonly store_ms: number
  readonly total_ms: number
}

/** A recording in progress. */
export class SessionRecorder {
  readonly sessionId: string
  readonly info: RecordingInfo
  readonly #store: ChunkStore
  readonly #codec: Codec
  readonly #ownCodec: boolean
  readonly #sealer: ChunkSealer
  readonly #clock: Clock
  readonly #chunks = new Map<number, ManifestChunk>()
  readonly #inFlight = new Set<Promise<unknown>>()
  #next: number
  #finished = false

  private constructor (info: RecordingInfo, store: ChunkStore, codec: Codec | undefined, sealer: ChunkSealer, clock: Clock, existing: readonly ManifestChunk[]) {
    this.info = info
    this.sessionId = info.session_id
    this.#store = store
    this.#codec = codec ?? createZlibCodec()
    this.#ownCodec = codec === undefined
    this.#sealer = sealer
    this.#clock = clock
    for (const c of existing) this.#chunks.set(c.index, c)
    this.#next = existing.length
  }

  /** Starts a new recording in an empty store (LUCID_ERR_2011 if the store already holds one). */
  static async start (opts: RecorderOptions): Promise<SessionRecorder> {
    if (await opts.store.getFile('recording.json') !== undefined) throw new errors.LUCID_ERR_2011(`${opts.store.location} already holds a recording (resume it or choose another directory)`)
    const clock = opts.clock ?? systemClock
    const master = await importMasterKey(opts.masterKey)
    const info: RecordingInfo = {
      format: RECORDING_FORMAT,
      session_id: opts.sessionId ?? randomUUID(),
      owner_address: opts.ownerAddress ?? '',
      started_at: new Date(clock.now()).toISOString(),
      key_id: await masterKeyId(master),
      codec: opts.codec?.name ?? 'zlib'
    }
    const sealer = await ChunkSealer.create(master, info.session_id)
    await writeRecordingInfo(opts.store, info)
    return new SessionRecorder(info, opts.store, opts.codec, sealer, clock, [])
  }

  /**
   * Continues a recording whose process died. Every stored chunk of the contiguous prefix 0..k-1 is
   * authenticated (so a resumed manifest never vouches for a bad chunk); chunks after a gap (overlapping
   * appends cut short by the crash) are deleted and their indices written again. The new segment
   * encrypts under a fresh salt, hence a fresh key (nonce.ts). LUCID_ERR_2011 if the recording was
   * finished, 2010 for a different master key.
   */
  static async resume (opts: Omit<RecorderOptions, 'sessionId' | 'ownerAddress'>): Promise<SessionRecorder> {
    const info = await readRecordingInfo(opts.store)
    if (await opts.store.getFile('manifest.json') !== undefined) throw new errors.LUCID_ERR_2011(`the recording in ${opts.store.location} is finished`)
    const master = await importMasterKey(opts.masterKey)
    if (await masterKeyId(master) !== info.key_id) throw new errors.LUCID_ERR_2010(`the recording in ${opts.store.location} was made with another master key`)
    const opener = new ChunkOpener(master, info.session_id)
    const indices = await opts.store.chunkIndices()
    const existing: ManifestChunk[] = []
    for (const index of indices) {
      if (index !== existing.length) { await opts.store.deleteChunk(index); continue }
      const bytes = await opts.store.getChunk(index)
      if (bytes === undefined) throw new errors.LUCID_ERR_2007(`chunk ${index} vanished during resume`)
      const { header } = await opener.open(bytes, index)
      existing.push({ index, size: bytes.length, ciphertext_sha256: toHex(sha256(bytes)), plaintext_size: header.plaintextSize })
    }
    const sealer = await ChunkSealer.create(master, info.session_id)
    const clock = opts.clock ?? systemClock
    return new SessionRecorder(info, opts.store, opts.codec, sealer, clock, existing)
  }

  /** Index the next append will get. */
  get nextIndex (): number { return this.#next }

  /** The salt of this segment's key (public: it is in every envelope). */
  get segmentSalt (): Uint8Array { return this.#sealer.salt }

  /** Compresses, seals, hashes and stores `data` as the next chunk. */
  append (data: Uint8Array): Promise<ChunkReceipt> {
    if (this.#finished) return Promise.reject(new errors.LUCID_ERR_2011('append after finish'))
    if (data.length > MAX_CHUNK_BYTES) return Promise.reject(new errors.LUCID_ERR_2004(`chunk ${this.#next}: ${data.length} bytes, limit ${MAX_CHUNK_BYTES}`))
    const p = this.#append(this.#next++, data)
    this.#inFlight.add(p)
    const untrack = (): void => { this.#inFlight.delete(p) }
    p.then(untrack, untrack)
    return p
  }

  async #append (index: number, data: Uint8Array): Promise<ChunkReceipt> {
    const c = this.#clock
    const t0 = c.monotonic()
    const compressed = await this.#codec.compress(data)
    const t1 = c.monotonic()
    const sealed = await this.#sealer.seal(index, compressed, data.length)
    const t2 = c.monotonic()
    const digest = sha256(sealed.header, sealed.body)
    const t3 = c.monotonic()
    await this.#store.putChunk(index, [sealed.header, sealed.body])
    const t4 = c.monotonic()
    const entry: ManifestChunk = { index, size: sealed.size, ciphertext_sha256: toHex(digest), plaintext_size: data.length }
    this.#chunks.set(index, entry)
    return { ...entry, compressed_size: compressed.length, compress_ms: t1 - t0, encrypt_ms: t2 - t1, hash_ms: t3 - t2, store_ms: t4 - t3, total_ms: t4 - t0 }
  }

  /**
   * Waits for appends in flight, writes manifest.json and returns the manifest. A failed append fails
   * finish (LUCID_ERR_2007 names the missing chunk): a manifest never skips a chunk.
   */
  async finish (): Promise<Manifest> {
    if (this.#finished) throw new errors.LUCID_ERR_2011('finish called twice')
    this.#finished = true
    try {
      await Promise.allSettled([...this.#inFlight])
      const manifest = buildManifest({
        session_id: this.info.session_id,
        owner_address: this.info.owner_address,
        started_at: this.info.started_at,
        ended_at: new Date(this.#clock.now()).toISOString(),
        key_id: this.info.key_id,
        codec: this.info.codec
      }, [...this.#chunks.values()])
      if (manifest.chunk_count !== this.#next) throw new errors.LUCID_ERR_2007(`chunk ${firstMissing(this.#chunks, this.#next)} was never stored`)
      await this.#store.putFile('manifest.json', new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'))
      return manifest
    } finally {
      if (this.#ownCodec) await this.#codec.close()
    }
  }

  /** Stops without a manifest (the recording can be resumed); releases the codec if the recorder owns it. */
  async abandon (): Promise<void> {
    this.#finished = true
    await Promise.allSettled([...this.#inFlight])
    if (this.#ownCodec) await this.#codec.close()
  }
}

function firstMissing (chunks: ReadonlyMap<number, unknown>, count: number): number {
  for (let i = 0; i < count; i++) if (!chunks.has(i)) return i
  return count
}
