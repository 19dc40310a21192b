/**
 * Playing a recording back with its integrity proven. Before a chunk's first byte is handed out:
 *
 * 1. recording.json and manifest.json agree on the session (LUCID_ERR_2009 for a foreign manifest) and the
 *    master key matches the recording's key id (2010);
 * 2. the manifest verifies: manifest_hash over its JCS encoding, numbering, Merkle root (2005);
 * 3. the chunk file exists (2007), has the manifest's size and SHA-256 (2008: flipped bit, truncation,
 *    a chunk swapped or replayed from elsewhere) and its leaf's inclusion proof verifies against the root;
 * 4. the envelope parses (2001), names this session and index (2009, 2003) and its GCM tag verifies (2002);
 * 5. it decompresses to exactly the plaintext size the authenticated header states (2006).
 *
 * Step 3 alone catches most tampering; step 4 is what holds when the manifest itself cannot be trusted
 * (an attacker who rewrites the manifest still cannot forge a tag without the master key).
 */
import { errors } from '../common/errors.ts'
import { sha256, toHex } from '../common/hash.ts'
import type { Codec } from './codec.ts'
import { createZlibCodec } from './codec-zlib.ts'
import { importMasterKey, masterKeyId } from './keys.ts'
import { chunkProof, parseManifest, verifyChunkProof, verifyManifest, type Manifest } from './manifest.ts'
import { readRecordingInfo } from './recording-info.ts'
import { ChunkOpener } from './seal.ts'
import type { ChunkStore } from './store.ts'

/** Options of a player. */
export interface PlayerOptions {
  readonly store: ChunkStore
  /** 32 raw bytes. */
  readonly masterKey: Uint8Array
  /** Decoder (default node:zlib; either codec decodes the other's chunks). Not closed by the player. */
  readonly codec?: Codec
}

/** A verified recording, opened for playback. */
export class SessionPlayer {
  readonly manifest: Manifest
  readonly #store: ChunkStore
  readonly #opener: ChunkOpener
  readonly #codec: Codec

  private constructor (manifest: Manifest, store: ChunkStore, opener: ChunkOpener, codec: Codec) {
    this.manifest = manifest
    this.#store = store
    this.#opener = opener
    this.#codec = codec
  }

  /** Reads and verifies recording.json and the manifest (steps 1 and 2 of the module comment). */
  static async open (opts: PlayerOptions): Promise<SessionPlayer> {
    const info = await readRecordingInfo(opts.store)
    const raw = await opts.store.getFile('manifest.json')
    if (raw === undefined) throw new errors.LUCID_ERR_2011(`the recording in ${opts.store.location} has no manifest (not finished: resume and finish it)`)
    const manifest = parseManifest(new TextDecoder().decode(raw))
    if (manifest.session_id !== info.session_id) throw new errors.LUCID_ERR_2009(`manifest of session ${JSON.stringify(manifest.session_id)} in the recording of ${JSON.stringify(info.session_id)}`)
    verifyManifest(manifest)
    const master = await importMasterKey(opts.masterKey)
    const keyId = await masterKeyId(master)
    if (keyId !== manifest.key_id || keyId !== info.key_id) throw new errors.LUCID_ERR_2010(`the recording was made with key ${manifest.key_id}, this key is ${keyId}`)
    return new SessionPlayer(manifest, opts.store, new ChunkOpener(master, info.session_id), opts.codec ?? createZlibCodec())
  }

  /** The verified plaintext of chunk `index` (steps 3 to 5). */
  async chunk (index: number): Promise<Uint8Array> {
    const entry = this.manifest.chunks[index]
    if (entry === undefined) throw new errors.LUCID_ERR_2007(`chunk ${index}: the manifest has ${this.manifest.chunk_count}`)
    const label = `chunk ${index}`
    const bytes = await this.#store.getChunk(index)
    if (bytes === undefined) throw new errors.LUCID_ERR_2007(`${label} (${this.#store.location})`)
    if (bytes.length !== entry.size) throw new errors.LUCID_ERR_2008(`${label}: ${bytes.length} bytes stored, ${entry.size} in the manifest${bytes.length < entry.size ? ' (truncated)' : ''}`)
    const digest = toHex(sha256(bytes))
    if (digest !== entry.ciphertext_sha256) throw new errors.LUCID_ERR_2008(`${label}: SHA-256 ${digest} differs from the manifest's ${entry.ciphertext_sha256}`)
    if (!verifyChunkProof(this.manifest.merkle_root, this.manifest.chunk_count, { index, size: bytes.length, ciphertext_sha256: digest }, chunkProof(this.manifest, index))) {
      throw new errors.LUCID_ERR_2005(`${label}: inclusion proof does not verify against merkle_root`)
    }
    const { header, compressed } = await this.#opener.open(bytes, index)
    if (header.plaintextSize !== entry.plaintext_size) throw new errors.LUCID_ERR_2005(`${label}: plaintext size ${header.plaintextSize} in the envelope, ${entry.plaintext_size} in the manifest`)
    return await this.#codec.decompress(compressed, header.plaintextSize)
  }

  /** Every chunk's verified plaintext, in order. */
  async * chunks (): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < this.manifest.chunk_count; i++) yield await this.chunk(i)
  }
}
