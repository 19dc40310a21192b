/**
 * Playing a recording back with its integrity proven. Before a chunk's first byte is handed out:
 *
 * 1. recording.json and manifest.json agree on the session (LUCID_ERR_2009 for a foreign manifest), the
 *    manifest verifies (manifest_hash over its JCS encoding, numbering, Merkle root: 2005) and repeats
 *    recording.json's owner, start time, key id and codec (2005), and the master key matches the key id (2010);
 * 2. the manifest is authenticated: its manifest_mac verifies under the master key (2013), and when the caller
 *    gives the chain's anchor, its manifest_hash and merkle_root are the anchored ones (2014). A format-1
 *    manifest (no MAC) is played only with an anchor, or when the caller vouches for it otherwise (2013);
 * 3. the database agrees: the session is finalised (2011 otherwise: its finish was never acknowledged)
 *    with the manifest's merkle_root and chunk_count, and has no chunk documents past it (2012);
 * 4. the chunk file exists (2007), has the manifest's size and SHA-256 (2008: flipped bit, truncation,
 *    a chunk swapped or replayed from elsewhere), its chunk document records that same size and SHA-256
 *    (2012), and its leaf's inclusion proof verifies against the root (2005);
 * 5. the envelope parses (2001), names this session and index (2009, 2003) and its GCM tag verifies (2002);
 * 6. it decompresses to exactly the plaintext size the authenticated header states (2006).
 *
 * Step 4 alone catches most tampering of the bytes; the database is a second record kept apart from the
 * manifest (a service's database is not in the recording directory); step 5 is what holds when neither can
 * be trusted (an attacker who rewrites manifest and metadata still cannot forge a tag without the master
 * key). The file checks of step 4 run before the metadata check so that damaged bytes are reported as
 * such (2008), and 2012 means precisely that the metadata disagrees with bytes the manifest vouches for.
 */
import { errors } from '../common/errors.ts'
import { sha256, toHex } from '../common/hash.ts'
import type { Database } from '../db/index.ts'
import type { Codec } from './codec.ts'
import { createZlibCodec } from './codec-zlib.ts'
import { importMasterKey, masterKeyId } from './keys.ts'
import { LEGACY_MANIFEST_FORMAT, chunkProof, parseManifest, verifyChunkProof, verifyManifest, type Manifest } from './manifest.ts'
import { manifestMacValid } from './manifest-mac.ts'
import { SESSION_STATUS, crossCheckChunk } from './metadata.ts'
import { readRecordingInfo } from './recording-info.ts'
import { ChunkOpener } from './seal.ts'
import type { ChunkStore } from './store.ts'

/** Options of a player. */
export interface PlayerOptions {
  readonly store: ChunkStore
  /** The database holding the recording's metadata (not closed by the player). */
  readonly db: Database
  /** 32 raw bytes. */
  readonly masterKey: Uint8Array
  /** Decoder (default node:zlib; either codec decodes the other's chunks). Not closed by the player. */
  readonly codec?: Codec
  /**
   * The recording's anchor, already proven to be in a final block (the CLI's `--anchor`): playback refuses a
   * manifest whose hash or Merkle root differs (LUCID_ERR_2014), which no holder of the key can get past.
   */
  readonly anchor?: AnchoredManifest
  /**
   * Play a format-1 manifest (made before manifest_mac) without an anchor. Only for a caller whose own
   * records vouch for it: the gateway, whose database (chunk count, Merkle root, chunk hashes) is kept apart
   * from the recording directory. Default false: LUCID_ERR_2013.
   */
  readonly acceptUnauthenticated?: boolean
}

/** What a chain anchor commits a recording to. */
export interface AnchoredManifest {
  readonly manifest_hash: string
  readonly merkle_root: string
}

/** A verified recording, opened for playback. */
export class SessionPlayer {
  readonly manifest: Manifest
  readonly #store: ChunkStore
  readonly #db: Database
  readonly #opener: ChunkOpener
  readonly #codec: Codec

  private constructor(manifest: Manifest, store: ChunkStore, db: Database, opener: ChunkOpener, codec: Codec) {
    this.manifest = manifest
    this.#store = store
    this.#db = db
    this.#opener = opener
    this.#codec = codec
  }

  /** Reads and verifies recording.json, the manifest and the session's metadata (steps 1 to 3 of the module comment). */
  static async open(opts: PlayerOptions): Promise<SessionPlayer> {
    const info = await readRecordingInfo(opts.store)
    const raw = await opts.store.getFile('manifest.json')
    if (raw === undefined) throw new errors.RecordingWrongState(`the recording in ${opts.store.location} has no manifest (not finished: resume and finish it)`)
    const manifest = parseManifest(new TextDecoder().decode(raw))
    if (manifest.session_id !== info.session_id)
      throw new errors.WrongSession(`manifest of session ${JSON.stringify(manifest.session_id)} in the recording of ${JSON.stringify(info.session_id)}`)
    verifyManifest(manifest)
    for (const k of ['owner_address', 'started_at', 'key_id', 'codec'] as const) {
      if (manifest[k] !== info[k])
        throw new errors.ManifestIntegrityFailed(`the manifest's ${k} ${JSON.stringify(manifest[k])} is not recording.json's ${JSON.stringify(info[k])}`)
    }
    const master = await importMasterKey(opts.masterKey)
    const keyId = await masterKeyId(master)
    if (keyId !== manifest.key_id || keyId !== info.key_id)
      throw new errors.WrongMasterKey(`the recording was made with key ${manifest.key_id}, this key is ${keyId}`)
    await authenticate(manifest, master, opts)
    const id = JSON.stringify(manifest.session_id)
    const session = await opts.db.sessions.get(manifest.session_id)
    if (session === undefined) throw new errors.RecordingMetadataMismatch(`session ${id} has no document in the database`)
    if (session.status !== SESSION_STATUS.finalised)
      throw new errors.RecordingWrongState(`session ${id} is ${session.status} in the database (its finish was not acknowledged: resume and finish it)`)
    if (session.merkle_root !== manifest.merkle_root)
      throw new errors.RecordingMetadataMismatch(
        `session ${id}: merkle_root ${String(session.merkle_root)} in the database, ${manifest.merkle_root} in the manifest`
      )
    if (session.chunk_count !== manifest.chunk_count)
      throw new errors.RecordingMetadataMismatch(`session ${id}: chunk_count ${session.chunk_count} in the database, ${manifest.chunk_count} in the manifest`)
    const [extra] = await opts.db.chunks.bySession(manifest.session_id, { fromIdx: manifest.chunk_count, limit: 1 })
    if (extra !== undefined)
      throw new errors.RecordingMetadataMismatch(`chunk ${extra.idx}: the database has metadata for it, the manifest ends at ${manifest.chunk_count} chunks`)
    return new SessionPlayer(manifest, opts.store, opts.db, new ChunkOpener(master, info.session_id), opts.codec ?? createZlibCodec())
  }

  /** The verified plaintext of chunk `index` (steps 4 to 6). */
  async chunk(index: number): Promise<Uint8Array> {
    const entry = this.manifest.chunks[index]
    if (entry === undefined) throw new errors.ChunkMissing(`chunk ${index}: the manifest has ${this.manifest.chunk_count}`)
    const label = `chunk ${index}`
    const bytes = await this.#store.getChunk(index)
    if (bytes === undefined) throw new errors.ChunkMissing(`${label} (${this.#store.location})`)
    if (bytes.length !== entry.size)
      throw new errors.ChunkHashMismatch(
        `${label}: ${bytes.length} bytes stored, ${entry.size} in the manifest${bytes.length < entry.size ? ' (truncated)' : ''}`
      )
    const digest = toHex(sha256(bytes))
    if (digest !== entry.ciphertext_sha256)
      throw new errors.ChunkHashMismatch(`${label}: SHA-256 ${digest} differs from the manifest's ${entry.ciphertext_sha256}`)
    crossCheckChunk(await this.#db.chunks.get(this.manifest.session_id, index), index, { size: bytes.length, sha256: digest })
    if (
      !verifyChunkProof(
        this.manifest.merkle_root,
        this.manifest.chunk_count,
        { index, size: bytes.length, ciphertext_sha256: digest },
        chunkProof(this.manifest, index)
      )
    ) {
      throw new errors.ManifestIntegrityFailed(`${label}: inclusion proof does not verify against merkle_root`)
    }
    const { header, compressed } = await this.#opener.open(bytes, index)
    if (header.plaintextSize !== entry.plaintext_size)
      throw new errors.ManifestIntegrityFailed(`${label}: plaintext size ${header.plaintextSize} in the envelope, ${entry.plaintext_size} in the manifest`)
    return await this.#codec.decompress(compressed, header.plaintextSize)
  }

  /** Every chunk's verified plaintext, in order. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < this.manifest.chunk_count; i++) yield await this.chunk(i)
  }
}

/** Step 2 of the module comment: the manifest's MAC, the legacy rule and the anchor. */
async function authenticate(manifest: Manifest, master: Parameters<typeof manifestMacValid>[0], opts: PlayerOptions): Promise<void> {
  if (manifest.format === LEGACY_MANIFEST_FORMAT) {
    if (opts.anchor === undefined && opts.acceptUnauthenticated !== true)
      throw new errors.ManifestAuthenticationFailed(
        `the manifest is of ${LEGACY_MANIFEST_FORMAT}, made before manifests were authenticated: play it with its chain anchor (--anchor)`
      )
  } else if (manifest.manifest_mac === undefined || !(await manifestMacValid(master, manifest.manifest_hash, manifest.manifest_mac))) {
    throw new errors.ManifestAuthenticationFailed('manifest_mac does not verify under this master key (the manifest was edited after it was written)')
  }
  const a = opts.anchor
  if (a !== undefined && (a.manifest_hash !== manifest.manifest_hash || a.merkle_root !== manifest.merkle_root))
    throw new errors.AnchorMismatch(
      `the chain anchors manifest_hash ${a.manifest_hash} and merkle_root ${a.merkle_root}, the manifest has ${manifest.manifest_hash} and ${manifest.merkle_root}`
    )
}
