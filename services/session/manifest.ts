/**
 * The manifest of a finished recording: what the chain anchors and playback checks everything against.
 *
 *   { format, session_id, owner_address, started_at, ended_at, key_id, codec, chunk_count, merkle_root,
 *     chunks: [{ index, size, ciphertext_sha256, plaintext_size }], manifest_hash }
 *
 * Per docs/interfaces.md section 5: the Merkle leaf of chunk i is u64(i) ‖ ciphertext_sha256 ‖ u64(size), where
 * "ciphertext" is the whole stored envelope (header, ciphertext and tag: a flipped bit anywhere in the stored
 * bytes changes the hash), and manifest_hash = SHA-256 of the RFC 8785 (JCS) encoding of the manifest without
 * its manifest_hash field. Hashes are lower-case hex; times ISO-8601 UTC.
 */
import { errors } from '../common/errors.ts'
import { fromHex, hashCanonical, merkleLeafHash, merkleProof, merkleRootOfHashes, toHex, u64be, verifyMerkleProof } from '../common/hash.ts'
import { CODEC_NAMES, type CodecName } from './codec.ts'

/** The manifest format tag. */
export const MANIFEST_FORMAT = 'lucid-session-manifest/1'

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
  readonly format: typeof MANIFEST_FORMAT
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

/** Builds a manifest: chunks sorted by index (must be 0..n-1), root and hash computed. */
export function buildManifest(fields: ManifestFields, chunks: readonly ManifestChunk[]): Manifest {
  const sorted = [...chunks].sort((a, b) => a.index - b.index)
  sorted.forEach((c, i) => {
    if (c.index !== i) throw new errors.LUCID_ERR_2007(`chunk ${i} of ${sorted.length}`)
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

/** The hash a manifest should carry: JCS of everything but manifest_hash. */
export function computeManifestHash(m: Manifest): string {
  const { manifest_hash: _ignored, ...body } = m
  return toHex(hashCanonical(body))
}

/**
 * Checks a manifest's internal consistency: manifest_hash, chunk numbering and count, Merkle root.
 * Returns the leaf hashes (for proofs). Throws LUCID_ERR_2005 naming what is wrong.
 */
export function verifyManifest(m: Manifest): Uint8Array[] {
  const fail = (why: string): Error => new errors.LUCID_ERR_2005(why)
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

/** Parses and shape-checks manifest JSON (LUCID_ERR_2005 on anything unexpected); does not verify hashes. */
export function parseManifest(text: string): Manifest {
  const fail = (why: string): Error => new errors.LUCID_ERR_2005(`malformed manifest: ${why}`)
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw fail('not JSON')
  }
  if (!isRecord(v)) throw fail('not an object')
  if (v.format !== MANIFEST_FORMAT) throw fail(`format ${JSON.stringify(v.format)}`)
  for (const k of ['session_id', 'owner_address', 'started_at', 'ended_at', 'key_id', 'merkle_root', 'manifest_hash'] as const) {
    if (typeof v[k] !== 'string') throw fail(`${k} is not a string`)
  }
  if (!CODEC_NAMES.includes(v.codec as CodecName)) throw fail('unknown codec')
  if (!isUint(v.chunk_count)) throw fail('chunk_count')
  if (!Array.isArray(v.chunks)) throw fail('chunks is not an array')
  for (const [i, c] of v.chunks.entries()) {
    if (
      !isRecord(c) ||
      !isUint(c.index) ||
      !isUint(c.size) ||
      !isUint(c.plaintext_size) ||
      typeof c.ciphertext_sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(c.ciphertext_sha256)
    )
      throw fail(`chunks[${i}]`)
  }
  return v as unknown as Manifest
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isUint(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0
}
