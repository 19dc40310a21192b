/**
 * Sessions through the gateway: creation and listing in the shared database, chunk upload into the
 * session pipeline (gzip 6, AES-256-GCM, Merkle manifest: services/session), verified playback,
 * finalisation and the chain anchor of the manifest.
 *
 * Ownership: a session belongs to the authenticated subject that created it (the database's `user_id`).
 * A `user_id` in the request body is kept as a label and grants nothing. Another user's session answers
 * 404, exactly like a missing one, so ids cannot be probed; an Admin may read (not write) any session.
 *
 * A recording lives in `DATA/sessions/<session_id>/` (fs-store layout); the session pipeline writes its
 * metadata (the `sessions` document, one `chunks` document per acknowledged chunk) into the gateway's
 * database. Creating a session starts its recording (SessionRecorder.start writes recording.json and the
 * session document) and closes it again; the first upload opens it (SessionRecorder.resume). Recorders
 * opened by uploads are kept in a bounded most-recently-used map, and an idle recorder evicted from the map
 * is simply abandoned (nothing is lost: the next upload resumes it, authenticating every stored chunk again).
 *
 * Playback reads through SessionPlayer, which verifies manifest, Merkle proof, size, SHA-256 and GCM tag
 * of each chunk before any byte leaves; so it needs the manifest, i.e. a finalised session.
 */
import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { errors } from '../common/errors.ts'
import type { Clock } from '../common/clock.ts'
import type { Database, Session } from '../db/index.ts'
import { FsChunkStore, SESSION_STATUS, SessionPlayer, SessionRecorder, parseManifest, type Codec, type Manifest } from '../session/index.ts'
import { hasRole, type Principal } from './auth/roles.ts'
import type { ChainPort } from './chain-port.ts'
import type { SessionCounters } from './session-counters.ts'
import { isoTime } from './iso-time.ts'
import type { AnchorView, FinalizeView, SessionView } from './schemas/sessions.ts'
import type { ChunkUploadView } from './schemas/chunks.ts'
import type { GatewayStore, SessionAnchorRecord, SessionAttributes } from './store.ts'

/** The session statuses the API shows: the pipeline's own (recording, finalised). */
export const RECORDING = SESSION_STATUS.recording
export const FINALISED = SESSION_STATUS.finalised

// The views are the route schemas' types (schemas/sessions.ts, schemas/chunks.ts): one source for both.
export type { AnchorView, ChunkUploadView, FinalizeView, SessionView }

/** What a client may set when creating a session. */
export interface NewSession {
  readonly label: string | null
  readonly session_type: string
  readonly duration_minutes: number | null
  readonly quality: string | null
}

/** Per-session state while a recording is open. */
interface Live {
  recorder: Promise<SessionRecorder>
  readonly inFlight: Set<Promise<unknown>>
  closing: boolean
}

const PLAYER_CACHE = 64
/** Open recorders kept before idle ones are abandoned (each holds a derived key and little else). */
const MAX_OPEN_RECORDERS = 1024

/** Session operations of the gateway. */
export class SessionService {
  readonly #db: Database
  readonly #store: GatewayStore
  readonly #root: string
  readonly #masterKey: Uint8Array
  readonly #codec: Codec
  readonly #chain: ChainPort | undefined
  readonly #clock: Clock
  readonly #counters: SessionCounters
  /** fsync chunk files and recording files (false only in a benchmark of what it costs). */
  readonly #durable: boolean
  readonly #live = new Map<string, Live>()
  /** Verified players of finalised sessions, most recently used last. */
  readonly #players = new Map<string, Promise<SessionPlayer>>()

  /**
   * @param deps.root directory holding one recording directory per session
   * @param deps.durable fsync recording files before acknowledging (default true)
   * @param deps.counters the pipeline's stage counts (GET /metrics): the codec and the recorders' stores are
   *   wrapped to count, and every acknowledged chunk is counted here
   */
  constructor(deps: {
    db: Database
    store: GatewayStore
    root: string
    masterKey: Uint8Array
    codec: Codec
    chain: ChainPort | undefined
    clock: Clock
    counters: SessionCounters
    durable?: boolean
  }) {
    this.#durable = deps.durable ?? true
    this.#db = deps.db
    this.#store = deps.store
    this.#root = deps.root
    this.#masterKey = deps.masterKey
    this.#counters = deps.counters
    this.#codec = deps.counters.codec(deps.codec)
    this.#chain = deps.chain
    this.#clock = deps.clock
  }

  /** Recordings open for upload now. */
  get openRecordings(): number {
    return this.#live.size
  }

  /** Creates a session owned by `owner`. */
  async create(owner: Principal, s: NewSession): Promise<SessionView> {
    const id = randomUUID()
    const attrs: SessionAttributes = { label: s.label, session_type: s.session_type, duration_minutes: s.duration_minutes, quality: s.quality }
    // Attributes first: a session document is never visible without them.
    await this.#store.setSession(id, attrs)
    const recorder = SessionRecorder.start({
      store: this.#counters.store(new FsChunkStore(this.#dir(id), { durable: this.#durable })),
      db: this.#db,
      masterKey: this.#masterKey,
      sessionId: id,
      userId: owner.sub,
      codec: this.#codec,
      clock: this.#clock
    })
    try {
      // Not kept open: many sessions are created and never uploaded to (the load contract's users are), and
      // an open recorder per created session filled the map to its bound, which the soak measured as
      // growth. The first upload opens it again (resume: a fresh key, nothing stored to authenticate).
      await (await recorder).abandon()
    } catch (err) {
      await this.#store.deleteSession(id)
      throw err
    }
    return view(await this.#db.sessions.require(id), attrs)
  }

  /** The caller's sessions, newest first. */
  async list(owner: Principal, limit: number): Promise<SessionView[]> {
    const docs = await this.#db.sessions.byUser(owner.sub, { limit })
    // One read for every row's attributes: a get per row cost more than the query itself (docs/gateway.md).
    const attrs = await this.#store.sessions(docs.map((d) => d.session_id))
    return docs.map((d, i) => view(d, attrs[i]))
  }

  /**
   * One session the caller may read. A finalised session whose anchor is not yet recorded as final asks
   * the chain, so GET /sessions/{id} and /status show the block as soon as it is final.
   */
  async get(p: Principal, id: string): Promise<SessionView> {
    const doc = await this.#readable(p, id)
    const attrs = await this.#store.session(id)
    if (doc.status === FINALISED && doc.blockchain_anchor === undefined && attrs?.anchor !== undefined && this.#chain !== undefined) {
      const v = await this.#anchorView(id, attrs.anchor)
      const recorded = await this.#recordFinal(doc, attrs.anchor, v)
      if (recorded !== undefined) return view(recorded, attrs)
    }
    return view(doc, attrs)
  }

  /** Deletes a session of the caller with its recording (an anchor already on chain stays there). */
  async delete(p: Principal, id: string): Promise<void> {
    await this.#owned(p, id)
    const live = this.#live.get(id)
    if (live !== undefined) {
      live.closing = true
      this.#live.delete(id)
      await Promise.allSettled([...live.inFlight])
      await (await live.recorder.catch(() => undefined))?.abandon()
    }
    this.#players.delete(id)
    // Chunk documents first, page by page, the session document last: a crash midway leaves a session
    // with fewer chunk documents, which DELETE removes when retried.
    for (let page = await this.#db.chunks.bySession(id, { limit: 1000 }); page.length > 0; page = await this.#db.chunks.bySession(id, { limit: 1000 })) {
      await this.#db.transaction(async (t) => {
        for (const c of page) await t.chunks.delete(id, c.idx)
      })
    }
    await this.#db.sessions.delete(id)
    await this.#store.deleteSession(id)
    await rm(this.#dir(id), { recursive: true, force: true })
  }

  /**
   * Appends `data` as the next chunk of the caller's active session. `expectedIndex`, when given, must
   * be the index the chunk will get (LUCID_ERR_2003 otherwise): a client resending after a lost answer
   * learns that the chunk was already stored instead of storing it twice.
   */
  async appendChunk(p: Principal, id: string, data: Uint8Array, expectedIndex?: number): Promise<ChunkUploadView> {
    const doc = await this.#owned(p, id)
    if (doc.status !== RECORDING) throw new errors.RecordingWrongState(`session ${id} is ${doc.status}`)
    const live = this.#open(id)
    if (live.closing) throw new errors.RecordingWrongState(`session ${id} is being finalised`)
    const work = (async () => {
      const rec = await live.recorder
      if (expectedIndex !== undefined && expectedIndex !== rec.nextIndex)
        throw new errors.ChunkOutOfOrder(`chunk_index ${expectedIndex}, the next chunk of session ${id} is ${rec.nextIndex}`)
      const r = await rec.append(data)
      this.#counters.acknowledged()
      // Acknowledgements come in index order, so after chunk i the session holds i + 1 chunks.
      return {
        session_id: id,
        chunk_index: r.index,
        plaintext_bytes: r.plaintext_size,
        compressed_bytes: r.compressed_size,
        stored_bytes: r.size,
        ciphertext_sha256: r.ciphertext_sha256,
        chunk_count: r.index + 1
      }
    })()
    live.inFlight.add(work)
    try {
      return await work
    } finally {
      live.inFlight.delete(work)
    }
  }

  /** The verified plaintext of chunk `index` of a finalised session the caller may read. */
  async playChunk(p: Principal, id: string, index: number): Promise<Uint8Array> {
    const doc = await this.#readable(p, id)
    if (doc.status !== FINALISED) throw new errors.RecordingWrongState(`session ${id} is ${doc.status}: playback needs its manifest (finalise it first)`)
    return await (await this.#player(id)).chunk(index)
  }

  /** The manifest of a finalised session the caller may read. */
  async manifest(p: Principal, id: string): Promise<Manifest> {
    const doc = await this.#readable(p, id)
    if (doc.status !== FINALISED) throw new errors.RecordingWrongState(`session ${id} is ${doc.status}: it has no manifest before finalisation`)
    return await this.#readManifest(id)
  }

  /**
   * Finishes the caller's recording: waits for uploads in flight, writes the manifest, marks the session
   * finalised and anchors the manifest on the chain. Without a chain (or if it refuses) the session is
   * still finalised; `anchor_error` says why there is no anchor and POST /anchoring/session retries.
   */
  async finalize(p: Principal, id: string): Promise<FinalizeView> {
    const doc = await this.#owned(p, id)
    if (doc.status !== RECORDING) throw new errors.RecordingWrongState(`session ${id} is already ${doc.status}`)
    const live = this.#open(id)
    if (live.closing) throw new errors.RecordingWrongState(`session ${id} is being finalised`)
    live.closing = true
    let manifest: Manifest
    try {
      await Promise.allSettled([...live.inFlight])
      manifest = await (await live.recorder).finish()
    } finally {
      this.#live.delete(id)
    }
    // finish() marked the session finalised with its merkle_root (the pipeline's acknowledgement).
    let anchor: AnchorView | null = null
    let anchorError = ''
    try {
      anchor = await this.#submitAnchor(doc.user_id, manifest)
    } catch (err) {
      anchorError = err instanceof Error ? err.message : String(err)
    }
    return {
      session_id: id,
      status: FINALISED,
      chunk_count: manifest.chunk_count,
      merkle_root: manifest.merkle_root,
      manifest_hash: manifest.manifest_hash,
      anchor,
      anchor_error: anchorError
    }
  }

  /**
   * POST /anchoring/session: the owner (re)submits the anchor of a finalised session. The given Merkle
   * root (and chunk hashes, when listed) must be the manifest's (LUCID_ERR_2005); an anchor already
   * submitted is returned as it is, so the call is idempotent.
   */
  async anchorSession(p: Principal, id: string, merkleRoot: string, chunkHashes: readonly string[]): Promise<AnchorView> {
    const doc = await this.#owned(p, id)
    if (doc.status !== FINALISED) throw new errors.RecordingWrongState(`session ${id} is ${doc.status}: finalise it before anchoring`)
    const manifest = await this.#readManifest(id)
    if (merkleRoot.toLowerCase() !== manifest.merkle_root)
      throw new errors.ManifestIntegrityFailed(`merkle_root ${merkleRoot} is not the manifest's ${manifest.merkle_root}`)
    if (chunkHashes.length > 0) {
      const mine = manifest.chunks.map((c) => c.ciphertext_sha256)
      if (chunkHashes.length !== mine.length || chunkHashes.some((h, i) => h.toLowerCase() !== mine[i]))
        throw new errors.ManifestIntegrityFailed(`the chunk hashes are not the manifest's ${mine.length}`)
    }
    const existing = (await this.#store.session(id))?.anchor
    if (existing !== undefined) {
      const v = await this.#anchorView(id, existing)
      // An anchor the chain no longer has (pending when the server stopped: the pool is not kept, or
      // dropped) is submitted again; any other is answered as it stands.
      if (v.status !== 'rejected') return v
    }
    return await this.#submitAnchor(doc.user_id, manifest)
  }

  /**
   * Where the session's anchor stands on the chain. Once its block is final, the session document
   * records the block (`blockchain_anchor`), which GET /sessions/{id} then shows without asking the chain.
   */
  async anchorStatus(p: Principal, id: string): Promise<AnchorView> {
    const doc = await this.#readable(p, id)
    const rec = (await this.#store.session(id))?.anchor
    if (rec === undefined) throw new errors.NotFound(`an anchor of session ${id} (finalise it, or retry POST /anchoring/session)`)
    const v = await this.#anchorView(id, rec)
    await this.#recordFinal(doc, rec, v)
    return v
  }

  /** Records a final anchor's block on the session document (once); returns the updated document. */
  async #recordFinal(doc: Session, rec: SessionAnchorRecord, v: AnchorView): Promise<Session | undefined> {
    if (v.status !== 'final' || doc.blockchain_anchor !== undefined || v.block_height === null || v.block_hash === null) return undefined
    return await this.#db.sessions.anchor(doc.session_id, rec.merkle_root, { block_height: v.block_height, hash: v.block_hash })
  }

  /** Stops accepting uploads and leaves open recordings resumable (no manifest is written). */
  async close(): Promise<void> {
    const lives = [...this.#live.values()]
    this.#live.clear()
    await Promise.allSettled(
      lives.map(async (l) => {
        l.closing = true
        await Promise.allSettled([...l.inFlight])
        await (await l.recorder).abandon()
      })
    )
  }

  async #submitAnchor(owner: string, m: Manifest): Promise<AnchorView> {
    const chain = requireChain(this.#chain)
    const receipt = await chain.anchorSession({
      session_id: m.session_id,
      owner,
      manifest_hash: m.manifest_hash,
      merkle_root: m.merkle_root,
      chunk_count: m.chunk_count
    })
    const rec: SessionAnchorRecord = { tx_id: receipt.tx_id, manifest_hash: m.manifest_hash, merkle_root: m.merkle_root, submitted_at: receipt.accepted_at }
    const attrs = await this.#store.session(m.session_id)
    await this.#store.setSession(m.session_id, { ...(attrs ?? { label: null, session_type: 'rdp', duration_minutes: null, quality: null }), anchor: rec })
    return {
      session_id: m.session_id,
      tx_id: rec.tx_id,
      status: 'pending',
      block_height: null,
      block_hash: null,
      manifest_hash: rec.manifest_hash,
      merkle_root: rec.merkle_root
    }
  }

  async #anchorView(id: string, rec: SessionAnchorRecord): Promise<AnchorView> {
    const s = await requireChain(this.#chain).transactionStatus(rec.tx_id)
    return {
      session_id: id,
      tx_id: rec.tx_id,
      // A receipt the chain does not know: it was pending when the server stopped (the pool is not kept
      // across a restart) or it was dropped. Never "pending": it will not be included by waiting.
      status: s?.status ?? 'rejected',
      block_height: s?.block_height ?? null,
      block_hash: s?.block_hash ?? null,
      manifest_hash: rec.manifest_hash,
      merkle_root: rec.merkle_root
    }
  }

  /** The open recording of a session, resuming it if it is not open (after a restart or an eviction). */
  #open(id: string): Live {
    const live = this.#live.get(id)
    if (live !== undefined) {
      // Most recently used last: eviction takes the first idle entry.
      this.#live.delete(id)
      this.#live.set(id, live)
      return live
    }
    const l: Live = {
      recorder: SessionRecorder.resume({
        store: this.#counters.store(new FsChunkStore(this.#dir(id), { durable: this.#durable })),
        db: this.#db,
        masterKey: this.#masterKey,
        codec: this.#codec,
        clock: this.#clock
      }),
      inFlight: new Set(),
      closing: false
    }
    this.#remember(id, l)
    return l
  }

  /** Keeps `l` open, abandoning the least recently used idle recorder beyond MAX_OPEN_RECORDERS. */
  #remember(id: string, l: Live): void {
    // A failed open is not kept: the next upload tries again.
    l.recorder.catch(() => {
      if (this.#live.get(id) === l) this.#live.delete(id)
    })
    this.#live.set(id, l)
    if (this.#live.size <= MAX_OPEN_RECORDERS) return
    for (const [otherId, other] of this.#live) {
      if (otherId === id || other.inFlight.size > 0 || other.closing) continue
      this.#live.delete(otherId)
      other.closing = true
      other.recorder.then(
        async (r) => {
          await r.abandon()
        },
        () => {}
      )
      return
    }
  }

  async #player(id: string): Promise<SessionPlayer> {
    let p = this.#players.get(id)
    if (p === undefined) {
      p = SessionPlayer.open({
        store: new FsChunkStore(this.#dir(id), { durable: this.#durable }),
        db: this.#db,
        masterKey: this.#masterKey,
        codec: this.#codec,
        // Recordings made before manifest MACs: this database, kept apart from the recording directories,
        // holds their chunk count, Merkle root and chunk hashes, which an edit of the files cannot change.
        acceptUnauthenticated: true
      })
      p.catch(() => this.#players.delete(id))
      if (this.#players.size >= PLAYER_CACHE) this.#players.delete(this.#players.keys().next().value as string)
    } else {
      this.#players.delete(id)
    }
    this.#players.set(id, p)
    return await p
  }

  async #readManifest(id: string): Promise<Manifest> {
    const raw = await new FsChunkStore(this.#dir(id), { durable: this.#durable }).getFile('manifest.json')
    if (raw === undefined) throw new errors.ChunkMissing(`the manifest of session ${id}`)
    return parseManifest(new TextDecoder().decode(raw))
  }

  /** The session if the caller owns it or is an Admin; 404 otherwise. */
  async #readable(p: Principal, id: string): Promise<Session> {
    const doc = await this.#db.sessions.get(id)
    if (doc === undefined || (doc.user_id !== p.sub && !hasRole(p.roles, 'Admin'))) throw new errors.NotFound(`session ${id}`)
    return doc
  }

  /** The session if the caller owns it; 404 otherwise (admins read, they do not write others' sessions). */
  async #owned(p: Principal, id: string): Promise<Session> {
    const doc = await this.#db.sessions.get(id)
    if (doc === undefined || doc.user_id !== p.sub) throw new errors.NotFound(`session ${id}`)
    return doc
  }

  #dir(id: string): string {
    return join(this.#root, id)
  }
}

/** The chain, or LUCID_ERR_5004 when none is wired into this gateway. */
export function requireChain(chain: ChainPort | undefined): ChainPort {
  if (chain === undefined) throw new errors.ChainUnavailable('no chain is wired into this gateway')
  return chain
}

function view(d: Session, a: SessionAttributes | undefined): SessionView {
  const anchor = d.blockchain_anchor
  return {
    session_id: d.session_id,
    owner: d.user_id,
    label: a?.label ?? null,
    session_type: a?.session_type ?? 'rdp',
    duration_minutes: a?.duration_minutes ?? null,
    quality: a?.quality ?? null,
    // The pipeline writes only SESSION_STATUS's values (session/metadata.ts), the schema's enum.
    status: d.status as SessionView['status'],
    chunk_count: d.chunk_count,
    created_at: isoTime(d.created_at),
    merkle_root: d.merkle_root ?? null,
    blockchain_anchor: anchor === undefined ? null : { block_height: anchor.block_height, hash: anchor.hash }
  }
}
