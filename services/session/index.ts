/**
 * The session chunk pipeline, its one public entry: record a session (gzip 6, AES-256-GCM, SHA-256 and
 * Merkle manifest; chunk bytes in a ChunkStore, metadata through the database layer) and play it back with
 * its integrity proven. docs/session.md explains the pipeline and its crash consistency, docs/envelope.md
 * the byte format. Code outside services/session imports from here only.
 *
 * ```ts
 * const db = await openRecordingDatabase(dir)          // or a service's own open Database
 * const rec = await SessionRecorder.start({ store: new FsChunkStore(dir), db, masterKey, userId: 'u1' })
 * await rec.append(chunk)                              // resolves once the chunk is acknowledged
 * const manifest = await rec.finish()
 * const player = await SessionPlayer.open({ store: new FsChunkStore(dir), db, masterKey })
 * for await (const plaintext of player.chunks()) use(plaintext)
 * await db.close()
 * ```
 */

/** Records a session chunk by chunk (start, resume, append, finish, abandon). */
export { SessionRecorder } from './recorder.ts'
/** Options of SessionRecorder.start and .resume; the timings and result of one append. */
export type { RecorderOptions, ResumeOptions, ChunkReceipt } from './recorder.ts'

/** Plays a finished recording, verifying manifest, metadata, hash, proof and tag before returning a byte. */
export { SessionPlayer } from './player.ts'
/** Options of SessionPlayer.open, and what a chain anchor commits a recording to. */
export type { PlayerOptions, AnchoredManifest } from './player.ts'

/** Session statuses, the metadata directory of a recording, and opening the database kept there. */
export { SESSION_STATUS, METADATA_DIR, openRecordingDatabase } from './metadata.ts'

/** The ChunkStore contract (where chunk bytes live) and the names of a recording's small files. */
export type { ChunkStore, RecordingFile } from './store.ts'
/** The default ChunkStore: a directory, every write temp file, fsync, rename, directory fsync. */
export { FsChunkStore } from './fs-store.ts'
/** Options of FsChunkStore. */
export type { FsStoreOptions } from './fs-store.ts'

/** recording.json: the identity of a recording (session, user, owner, key id, codec), and reading it. */
export { readRecordingInfo } from './recording-info.ts'
/** The contents of recording.json. */
export type { RecordingInfo } from './recording-info.ts'

/** The gzip-6 codec interface, the codec names, the gzip member size, and making a codec by name. */
export { CODEC_NAMES, DEFAULT_MEMBER_SIZE } from './codec.ts'
/** A gzip-6 codec and the name of one. */
export type { Codec, CodecName, CodecOptions } from './codec.ts'
/** A codec by name (node:zlib or pako). */
export { createCodec } from './codecs.ts'
/** The node:zlib codec (the default). */
export { createZlibCodec } from './codec-zlib.ts'

/** The largest chunk plaintext accepted (64 MiB). */
export { MAX_CHUNK_BYTES } from './envelope.ts'
/** Largest gzip stream sealed synchronously by node:crypto; larger ones go through WebCrypto (seal.ts). */
export { INLINE_SEAL_MAX_BYTES } from './seal.ts'

/** The manifest: building, parsing and verifying it, and per-chunk Merkle inclusion proofs. */
export { buildManifest, parseManifest, verifyManifest, chunkProof, verifyChunkProof, MANIFEST_FORMAT, LEGACY_MANIFEST_FORMAT } from './manifest.ts'
/** The manifest's authentication under the master key (HMAC of manifest_hash) and its check. */
export { manifestMac, manifestMacValid } from './manifest-mac.ts'
/** A manifest and one chunk's entry in it. */
export type { Manifest, ManifestChunk } from './manifest.ts'

/** The master key of the CLI: from LUCID_MASTER_KEY or a key file; its size. */
export { loadMasterKey, parseMasterKey, MASTER_KEY_ENV } from './master-key.ts'
/** Where a loaded master key came from. */
export type { KeySource } from './master-key.ts'
/** Bytes of a master key (32). */
export { MASTER_KEY_BYTES } from './keys.ts'
