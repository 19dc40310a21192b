/**
 * The manifest of a finished recording: what the chain anchors and playback checks everything against.
 *
 *   { format, session_id, owner_address, started_at, ended_at, key_id, codec, chunk_count, merkle_root,
 *     chunks: [{ index, size, ciphertext_sha256, plaintext_size }], manifest_hash, manifest_mac }
 *
 * Per docs/interfaces.md section 5: the Merkle leaf of chunk i is u64(i) ‖ ciphertext_sha256 ‖ u64(size), where
 * "ciphertext" is the whole stored envelope (header, ciphertext and tag: a flipped bit anywhere in the stored
 * bytes changes the hash), and manifest_hash = SHA-256 of the RFC 8785 (JCS) encoding of the manifest without
 * its manifest_hash and manifest_mac fields. Hashes are lower-case hex; times ISO-8601 UTC.
 *
 * Format 2 adds `manifest_mac` (manifest-mac.ts), the manifest's authentication under the master key; format 1
 * (recordings made before it) has none and is played only on other evidence (docs/session.md, "Authenticated
 * manifest"). The JSON is read strictly (common/strict-json.ts): a duplicate key, a number that is not an
 * integer or a field the format does not have is LUCID_ERR_2005.
 */
import { errors } from '../common/errors.ts'
import { parseStrictJson } from '../common/strict-json.ts'
import { fromHex, hashCanonical, merkleLeafHash, merkleProof, merkleRootOfHashes, toHex, u64be, verifyMerkleProof } from '../common/hash.ts'
import { CODEC_NAMES, type CodecName } from './codec.ts'

/** The manifest format tag this code writes: with `manifest_mac`. */
export const MANIFEST_FORMAT = 'lucid-session-manifest/2'
/** The format of manifests written before manifest_mac (read, never written). */
export const LEGACY_MANIFEST_FORMAT = 'lucid-session-manifest/1'

/** One chunk's entry in the manifest. */
export interface ManifestChunk {
  readonly index: number
  /** Envelope bytes as stored. */
  readonly size: number
  /** SHA-256 of the stored envelope, hex. */
  readonly ciphertext_sha256: string
  /** Bytes of the chunk after decryption and decompression. */
  readonly plaintext_size: number
}

/** A recording's manifest. */
export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT | typeof LEGACY_MANIFEST_FORMAT
  readonly session_id: string
  readonly owner_address: string
  readonly started_at: string
  readonly ended_at: string
  /** Fingerprint of the master key (keys.ts masterKeyId). */
  readonly key_id: string
  /** The codec that compressed the chunks (informational: both decode either). */
  readonly codec: CodecName
  readonly chunk_count: number
  readonly merkle_root: string
  readonly chunks: readonly ManifestChunk[]
  readonly manifest_hash: string
  /** HMAC of manifest_hash under the master key (manifest-mac.ts); absent in format 1, and until finish() adds it. */
  readonly manifest_mac?: string
}

/** The fields of a manifest that are not derived from its chunks. */
export type ManifestFields = Pick<Manifest, 'session_id' | 'owner_address' | 'started_at' | 'ended_at' | 'key_id' | 'codec'>

/** Leaf bytes of a chunk: u64(index) ‖ SHA-256 of the envelope ‖ u64(envelope size). */
export function chunkLeaf(c: Pick<ManifestChunk, 'index' | 'size' | 'ciphertext_sha256'>): Uint8Array {
  const sha = fromHex(c.ciphertext_sha256)
  if (sha.length !== 32) throw new RangeError('ciphertext_sha256 must be 32 bytes')
  const out = new Uint8Array(48)
  out.set(u64be(c.index), 0)
  out.set(sha, 8)
  out.set(u64be(c.size), 40)
  return out
}

/** Merkle leaf hashes of the chunks, in order. */
export function leafHashes(chunks: readonly ManifestChunk[]): Uint8Array[] {
  return chunks.map((c) => merkleLeafHash(chunkLeaf(c)))
}

/** Builds a manifest: chunks sorted by index (must be 0..n-1), root and hash computed; the MAC is added by the caller, who holds the key. */
export function buildManifest(fields: ManifestFields, chunks: readonly ManifestChunk[]): Manifest {
  const sorted = [...chunks].sort((a, b) => a.index - b.index)
  sorted.forEach((c, i) => {
    if (c.index !== i) throw new errors.ChunkMissing(`chunk ${i} of ${sorted.length}`)
  })
  const body = {
    format: MANIFEST_FORMAT as typeof MANIFEST_FORMAT,
    ...fields,
    chunk_count: sorted.length,
    merkle_root: toHex(merkleRootOfHashes(leafHashes(sorted))),
    chunks: sorted.map((c) => ({ index: c.index, size: c.size, ciphertext_sha256: c.ciphertext_sha256, plaintext_size: c.plaintext_size }))
  }
  return { ...body, manifest_hash: toHex(hashCanonical(body)) }
}

/** The hash a manifest should carry: JCS of everything but manifest_hash and manifest_mac. */
export function computeManifestHash(m: Manifest): string {
  const { manifest_hash: _hash, manifest_mac: _mac, ...body } = m
  return toHex(hashCanonical(body))
}

/**
 * Checks a manifest's internal consistency: manifest_hash, chunk numbering and count, Merkle root.
 * Returns the leaf hashes (for proofs). Throws LUCID_ERR_2005 naming what is wrong.
 */
export function verifyManifest(m: Manifest): Uint8Array[] {
  const fail = (why: string): Error => new errors.ManifestIntegrityFailed(why)
  if (computeManifestHash(m) !== m.manifest_hash) throw fail('manifest_hash does not match the manifest')
  if (m.chunk_count !== m.chunks.length) throw fail(`chunk_count ${m.chunk_count} but ${m.chunks.length} chunks listed`)
  m.chunks.forEach((c, i) => {
    if (c.index !== i) throw fail(`chunks[${i}] has index ${c.index}`)
  })
  const leaves = leafHashes(m.chunks)
  if (toHex(merkleRootOfHashes(leaves)) !== m.merkle_root) throw fail('merkle_root does not match the chunk list')
  return leaves
}

/** The inclusion proof of chunk `index` (sibling hashes, hex, bottom up). */
export function chunkProof(m: Manifest, index: number): string[] {
  return merkleProof(leafHashes(m.chunks), index).map(toHex)
}

/**
 * Verifies that a stored envelope (its SHA-256 and size) is chunk `index` under `merkleRoot` of a tree of
 * `count` chunks, given the proof. Needs nothing else from the manifest: a light client holding only an
 * anchored root can check one chunk.
 */
export function verifyChunkProof(
  merkleRoot: string,
  count: number,
  entry: Pick<ManifestChunk, 'index' | 'size' | 'ciphertext_sha256'>,
  proof: readonly string[]
): boolean {
  return verifyMerkleProof(merkleLeafHash(chunkLeaf(entry)), entry.index, count, proof.map(fromHex), fromHex(merkleRoot))
}

/** The fields of a manifest of each format, exactly (a field more or less is malformed). */
const FIELDS_V1 = [
  'format',
  'session_id',
  'owner_address',
  'started_at',
  'ended_at',
  'key_id',
  'codec',
  'chunk_count',
  'merkle_root',
  'chunks',
  'manifest_hash'
]
const FIELDS_V2 = [...FIELDS_V1, 'manifest_mac']
const CHUNK_FIELDS = ['index', 'size', 'ciphertext_sha256', 'plaintext_size']
const HEX64 = /^[0-9a-f]{64}$/

/**
 * Parses and shape-checks manifest JSON (LUCID_ERR_2005 on anything unexpected: not strict JSON, a field more or
 * less than its format has, a wrong type); does not verify hashes or the MAC.
 */
export function parseManifest(text: string): Manifest {
  const fail = (why: string): Error => new errors.ManifestIntegrityFailed(`malformed manifest: ${why}`)
  let v: unknown
  try {
    v = parseStrictJson(text)
  } catch (err) {
    throw fail(`not strict JSON (${(err as Error).message})`)
  }
  if (!isRecord(v)) throw fail('not an object')
  if (v.format !== MANIFEST_FORMAT && v.format !== LEGACY_MANIFEST_FORMAT) throw fail(`format ${JSON.stringify(v.format)}`)
  exactFields(v, v.format === MANIFEST_FORMAT ? FIELDS_V2 : FIELDS_V1, 'the manifest', fail)
  for (const k of ['session_id', 'owner_address', 'started_at', 'ended_at', 'key_id', 'merkle_root', 'manifest_hash'] as const) {
    if (typeof v[k] !== 'string') throw fail(`${k} is not a string`)
  }
  for (const k of ['merkle_root', 'manifest_hash', ...(v.format === MANIFEST_FORMAT ? ['manifest_mac'] : [])]) {
    if (!HEX64.test(v[k] as string)) throw fail(`${k} is not 64 lower-case hex digits`)
  }
  if (!CODEC_NAMES.includes(v.codec as CodecName)) throw fail('unknown codec')
  if (!isUint(v.chunk_count)) throw fail('chunk_count')
  if (!Array.isArray(v.chunks)) throw fail('chunks is not an array')
  for (const [i, c] of v.chunks.entries()) {
    if (!isRecord(c)) throw fail(`chunks[${i}]`)
    exactFields(c, CHUNK_FIELDS, `chunks[${i}]`, fail)
    if (!isUint(c.index) || !isUint(c.size) || !isUint(c.plaintext_size) || typeof c.ciphertext_sha256 !== 'string' || !HEX64.test(c.ciphertext_sha256))
      throw fail(`chunks[${i}]`)
  }
  return v as unknown as Manifest
}

function exactFields(o: Record<string, unknown>, fields: readonly string[], what: string, fail: (why: string) => Error): void {
  for (const k of Object.keys(o)) if (!fields.includes(k)) throw fail(`${what} has a field ${JSON.stringify(k)} its format does not`)
  for (const k of fields) if (!(k in o)) throw fail(`${what} lacks ${k}`)
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isUint(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0
}
