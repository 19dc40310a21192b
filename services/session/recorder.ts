/**
 * Recording a session: each chunk of capture is compressed (gzip 6), sealed (AES-256-GCM), hashed and
 * stored; finish() writes the Merkle manifest. A crashed recording is continued with resume().
 *
 * Storage is two-phase per chunk (metadata.ts has the full write order): the envelope goes to the
 * ChunkStore (durable, all or nothing), then its metadata document goes to the database; that second write
 * is the acknowledgement, and append() resolves only after it.
 *
 * Appends may overlap (the index is taken synchronously at call time), so a caller can compress chunk i+1
 * while chunk i is being stored; finish() waits for every append in flight. Acknowledgements are issued in
 * index order (chunk i's metadata is written only after chunk i-1's), so the acknowledged chunks are always
 * the prefix 0..k-1: a crash can never leave an acknowledged chunk behind a hole, which resume would have
 * to drop.
 */
import { randomUUID } from 'node:crypto'
import { errors } from '../common/errors.ts'
import { systemClock, type Clock } from '../common/clock.ts'
import { sha256, toHex } from '../common/hash.ts'
import type { Database } from '../db/index.ts'
import type { Codec } from './codec.ts'
import { createZlibCodec } from './codec-zlib.ts'
import { MAX_CHUNK_BYTES } from './envelope.ts'
import { importMasterKey, masterKeyId, type CryptoKey } from './keys.ts'
import { buildManifest, type Manifest, type ManifestChunk } from './manifest.ts'
import { manifestMac } from './manifest-mac.ts'
import { SESSION_STATUS, recordingSessionDoc, sessionChunkRows } from './metadata.ts'
import { RECORDING_FORMAT, readRecordingInfo, writeRecordingInfo, type RecordingInfo } from './recording-info.ts'
import { ChunkOpener, ChunkSealer } from './seal.ts'
import type { ChunkStore } from './store.ts'

/** Options of a new recording. */
export interface RecorderOptions {
  readonly store: ChunkStore
  /** Where the session and chunk metadata go (an open database; the recorder never closes it). */
  readonly db: Database
  /** 32 raw bytes. */
  readonly masterKey: Uint8Array
  /** Default: a random UUID. */
  readonly sessionId?: string
  /** The user the session belongs to (sessions.user_id). */
  readonly userId: string
  /** The owner's wallet address (default ''). */
  readonly ownerAddress?: string
  /** Default: node:zlib. The recorder does not close a codec it was given. */
  readonly codec?: Codec
  readonly clock?: Clock
}

/** Options of resume(): the recording's identity comes from recording.json. */
export type ResumeOptions = Omit<RecorderOptions, 'sessionId' | 'ownerAddress' | 'userId'>

/** Where one append spent its time, in ms, and what it produced. */
export interface ChunkReceipt extends ManifestChunk {
  readonly compressed_size: number
  readonly compress_ms: number
  readonly encrypt_ms: number
  readonly hash_ms: number
  /**
   * From the start of the chunk write to its acknowledgement: the fsync'ed file, any wait for the previous
   * chunk's acknowledgement (only when appends overlap), and the metadata transaction.
   */
  readonly store_ms: number
  /** The metadata transaction alone (part of store_ms). */
  readonly meta_ms: number
  readonly total_ms: number
}

/** A recording in progress. */
export class SessionRecorder {
  readonly sessionId: string
  readonly info: RecordingInfo
  readonly #store: ChunkStore
  readonly #db: Database
  readonly #codec: Codec
  readonly #ownCodec: boolean
  readonly #sealer: ChunkSealer
  /** The master key (not extractable): finish() authenticates the manifest under it. */
  readonly #master: CryptoKey
  readonly #clock: Clock
  readonly #chunks = new Map<number, ManifestChunk>()
  readonly #inFlight = new Set<Promise<unknown>>()
  // Settles when the latest append's metadata is written (rejects if that append failed): the next append
  // waits on it before writing its own, which keeps acknowledgements in index order.
  #acked: Promise<unknown> = Promise.resolve()
  #next: number
  #finished = false

  private constructor(
    info: RecordingInfo,
    store: ChunkStore,
    db: Database,
    codec: Codec | undefined,
    sealer: ChunkSealer,
    master: CryptoKey,
    clock: Clock,
    existing: readonly ManifestChunk[]
  ) {
    this.#master = master
    this.info = info
    this.sessionId = info.session_id
    this.#store = store
    this.#db = db
    this.#codec = codec ?? createZlibCodec()
    this.#ownCodec = codec === undefined
    this.#sealer = sealer
    this.#clock = clock
    for (const c of existing) this.#chunks.set(c.index, c)
    this.#next = existing.length
  }

  /**
   * Starts a new recording in an empty store: recording.json, then the session document (status
   * recording). LUCID_ERR_2011 if the store already holds a recording or the database already has the
   * session id; nothing is written then.
   */
  static async start(opts: RecorderOptions): Promise<SessionRecorder> {
    const sessionId = opts.sessionId ?? randomUUID()
    // These lookups also validate both ids as database keys (LUCID_ERR_4009) before anything is written, so
    // the session document written after recording.json cannot be refused for its ids.
    if ((await opts.db.sessions.get(sessionId)) !== undefined)
      throw new errors.RecordingWrongState(`session ${JSON.stringify(sessionId)} already exists in the database`)
    await opts.db.sessions.byUser(opts.userId, { limit: 1 })
    if ((await opts.store.getFile('recording.json')) !== undefined)
      throw new errors.RecordingWrongState(`${opts.store.location} already holds a recording (resume it or choose another directory)`)
    const clock = opts.clock ?? systemClock
    const master = await importMasterKey(opts.masterKey)
    const startedAt = clock.now()
    const info: RecordingInfo = {
      format: RECORDING_FORMAT,
      session_id: sessionId,
      user_id: opts.userId,
      owner_address: opts.ownerAddress ?? '',
      started_at: new Date(startedAt).toISOString(),
      key_id: await masterKeyId(master),
      codec: opts.codec?.name ?? 'zlib'
    }
    const sealer = await ChunkSealer.create(master, info.session_id)
    await writeRecordingInfo(opts.store, info)
    await opts.db.sessions.insert(recordingSessionDoc(sessionId, opts.userId, startedAt))
    return new SessionRecorder(info, opts.store, opts.db, opts.codec, sealer, master, clock, [])
  }

  /**
   * Continues a recording whose process died. The acknowledged chunks (those with metadata: always the
   * prefix 0..k-1) are kept; each one's stored envelope must match its metadata (LUCID_ERR_2007 missing,
   * 2008 different) and is authenticated, so a resumed manifest never vouches for a bad chunk. Chunk files
   * without metadata (written, never acknowledged) are deleted and their indices written again. A session
   * document missing because start() died before writing it is created. A manifest.json left by a finish()
   * that died before marking the session finalised is not acknowledged either: the next finish() replaces
   * it. The new segment encrypts under a fresh salt, hence a fresh key (nonce.ts).
   * LUCID_ERR_2011 if the session is finalised, 2010 for a different master key, 2012 if the chunk
   * documents are not the prefix their session's chunk_count says.
   */
  static async resume(opts: ResumeOptions): Promise<SessionRecorder> {
    const info = await readRecordingInfo(opts.store)
    const master = await importMasterKey(opts.masterKey)
    if ((await masterKeyId(master)) !== info.key_id) throw new errors.WrongMasterKey(`the recording in ${opts.store.location} was made with another master key`)
    const id = info.session_id
    const session = (await opts.db.sessions.get(id)) ?? (await opts.db.sessions.insert(recordingSessionDoc(id, info.user_id, Date.parse(info.started_at))))
    if (session.status !== SESSION_STATUS.recording)
      throw new errors.RecordingWrongState(`session ${JSON.stringify(id)} is ${session.status}, not ${SESSION_STATUS.recording}: it cannot be resumed`)
    const rows = await sessionChunkRows(opts.db, id)
    rows.forEach((r, i) => {
      if (r.idx !== i) throw new errors.RecordingMetadataMismatch(`chunk ${i}: no metadata, but chunk ${r.idx} has`)
    })
    if (rows.length !== session.chunk_count)
      throw new errors.RecordingMetadataMismatch(`session ${JSON.stringify(id)}: chunk_count ${session.chunk_count}, ${rows.length} chunk documents`)
    const opener = new ChunkOpener(master, id)
    const existing: ManifestChunk[] = []
    for (const row of rows) {
      const label = `chunk ${row.idx}`
      const bytes = await opts.store.getChunk(row.idx)
      if (bytes === undefined) throw new errors.ChunkMissing(`${label} was acknowledged but is not in ${opts.store.location}`)
      const digest = toHex(sha256(bytes))
      if (bytes.length !== row.size_bytes || digest !== row.ciphertext_sha256)
        throw new errors.ChunkHashMismatch(`${label}: the stored envelope (${bytes.length} bytes, SHA-256 ${digest}) is not the one acknowledged`)
      const { header } = await opener.open(bytes, row.idx)
      existing.push({ index: row.idx, size: bytes.length, ciphertext_sha256: digest, plaintext_size: header.plaintextSize })
    }
    for (const index of await opts.store.chunkIndices()) if (index >= rows.length) await opts.store.deleteChunk(index)
    const sealer = await ChunkSealer.create(master, id)
    const clock = opts.clock ?? systemClock
    return new SessionRecorder(info, opts.store, opts.db, opts.codec, sealer, master, clock, existing)
  }

  /** Index the next append will get. */
  get nextIndex(): number {
    return this.#next
  }

  /** The salt of this segment's key (public: it is in every envelope). */
  get segmentSalt(): Uint8Array {
    return this.#sealer.salt
  }

  /**
   * Compresses, seals, hashes and stores `data` as the next chunk, then writes its metadata. Resolves once
   * the chunk is acknowledged (durable and playable after finish, also across a crash and resume). If an
   * earlier append failed, this one fails too (LUCID_ERR_2007 naming the earlier chunk): a chunk is never
   * acknowledged behind a hole.
   */
  append(data: Uint8Array): Promise<ChunkReceipt> {
    if (this.#finished) return Promise.reject(new errors.RecordingWrongState('append after finish'))
    if (data.length > MAX_CHUNK_BYTES) return Promise.reject(new errors.ChunkTooLarge(`chunk ${this.#next}: ${data.length} bytes, limit ${MAX_CHUNK_BYTES}`))
    const p = this.#append(this.#next++, data, this.#acked)
    this.#acked = p
    this.#inFlight.add(p)
    const untrack = (): void => {
      this.#inFlight.delete(p)
    }
    p.then(untrack, untrack)
    return p
  }

  async #append(index: number, data: Uint8Array, previous: Promise<unknown>): Promise<ChunkReceipt> {
    const c = this.#clock
    const t0 = c.monotonic()
    const compressed = await this.#codec.compress(data)
    const t1 = c.monotonic()
    const sealed = await this.#sealer.seal(index, compressed, data.length)
    const t2 = c.monotonic()
    const digest = sha256(sealed.header, sealed.body)
    const t3 = c.monotonic()
    await this.#store.putChunk(index, [sealed.header, sealed.body])
    const entry: ManifestChunk = { index, size: sealed.size, ciphertext_sha256: toHex(digest), plaintext_size: data.length }
    try {
      await previous
    } catch (err) {
      // The file just written has no metadata, so nothing can see it; removing it keeps the store tidy
      // (resume would delete it anyway, hence a failure to remove is not this append's error).
      await this.#store.deleteChunk(index).catch(() => {})
      throw new errors.ChunkMissing(`chunk ${index - 1} was not stored, so chunk ${index} cannot be acknowledged`, { cause: err })
    }
    const t4 = c.monotonic()
    const row = { session_id: this.sessionId, idx: index, ciphertext_sha256: entry.ciphertext_sha256, size_bytes: entry.size, created_at: c.now() }
    // One transaction: the chunk document and the session's chunk_count change together, so the count is
    // always the number of acknowledged chunks. Appends of one session never conflict (they are ordered
    // above); other sessions touch other documents.
    await this.#db.transaction(async (t) => {
      await t.chunks.insert(row)
      await t.sessions.addChunks(this.sessionId, 1)
    })
    const t5 = c.monotonic()
    this.#chunks.set(index, entry)
    return {
      ...entry,
      compressed_size: compressed.length,
      compress_ms: t1 - t0,
      encrypt_ms: t2 - t1,
      hash_ms: t3 - t2,
      store_ms: t5 - t3,
      meta_ms: t5 - t4,
      total_ms: t5 - t0
    }
  }

  /**
   * Waits for appends in flight, writes manifest.json (authenticated: manifest_mac under the master key), then marks the session finalised with its
   * merkle_root (that update acknowledges the finish), and returns the manifest. A failed append fails
   * finish (LUCID_ERR_2007 names the missing chunk): a manifest never skips a chunk.
   */
  async finish(): Promise<Manifest> {
    if (this.#finished) throw new errors.RecordingWrongState('finish called twice')
    this.#finished = true
    try {
      await Promise.allSettled([...this.#inFlight])
      const unsigned = buildManifest(
        {
          session_id: this.info.session_id,
          owner_address: this.info.owner_address,
          started_at: this.info.started_at,
          ended_at: new Date(this.#clock.now()).toISOString(),
          key_id: this.info.key_id,
          codec: this.info.codec
        },
        [...this.#chunks.values()]
      )
      const manifest: Manifest = { ...unsigned, manifest_mac: await manifestMac(this.#master, unsigned.manifest_hash) }
      if (manifest.chunk_count !== this.#next) throw new errors.ChunkMissing(`chunk ${firstMissing(this.#chunks, this.#next)} was never stored`)
      await this.#store.putFile('manifest.json', new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'))
      await this.#db.sessions.update(this.sessionId, (s) => {
        if (s.status !== SESSION_STATUS.recording) throw new errors.RecordingWrongState(`session ${JSON.stringify(this.sessionId)} is ${s.status}`)
        if (s.chunk_count !== manifest.chunk_count)
          throw new errors.RecordingMetadataMismatch(
            `session ${JSON.stringify(this.sessionId)}: chunk_count ${s.chunk_count} in the database, ${manifest.chunk_count} chunks recorded`
          )
        return { status: SESSION_STATUS.finalised, merkle_root: manifest.merkle_root }
      })
      return manifest
    } finally {
      if (this.#ownCodec) await this.#codec.close()
    }
  }

  /** Stops without a manifest (the recording can be resumed); releases the codec if the recorder owns it. */
  async abandon(): Promise<void> {
    this.#finished = true
    await Promise.allSettled([...this.#inFlight])
    if (this.#ownCodec) await this.#codec.close()
  }
}

function firstMissing(chunks: ReadonlyMap<number, unknown>, count: number): number {
  for (let i = 0; i < count; i++) if (!chunks.has(i)) return i
  return count
}
