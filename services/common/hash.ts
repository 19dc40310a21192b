/**
 * Hashes, Merkle trees and canonical encoding, as docs/interfaces.md section 5 fixes them. The session pipeline
 * and the chain share this one module so that a manifest root computed by a recorder is the root a block
 * anchors, byte for byte.
 *
 * - SHA-256 throughout (node:crypto: native, ~1.8 GB/s here, where pure-JS hashes are ~11x slower on bulk data).
 * - Integers as unsigned 64-bit big-endian.
 * - Merkle tree in the style of RFC 6962: leaf = H(0x00 ‖ leaf bytes), node = H(0x01 ‖ left ‖ right). The
 *   domain-separation prefixes stop an inner node from being passed off as a leaf (second-preimage attack).
 *   Levels are paired left to right; an odd last node is promoted unchanged to the next level, never
 *   duplicated (Bitcoin-style duplication gives the lists [a, b, c] and [a, b, c, c] one root). The root of
 *   no leaves is H(empty).
 * - JSON objects that are hashed are encoded per RFC 8785 (JCS) first.
 */
import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'

/** Length of a SHA-256 digest in bytes. */
export const HASH_BYTES = 32

const LEAF_PREFIX = Uint8Array.of(0x00)
const NODE_PREFIX = Uint8Array.of(0x01)

/** SHA-256 of the concatenation of `parts` (hashed incrementally: no copy of the concatenation is made). */
export function sha256(...parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  // A plain Uint8Array, not a Buffer: callers compare and serialise digests as Uint8Array.
  return new Uint8Array(h.digest())
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Bytes of a hex string; throws RangeError on odd length or a non-hex character. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError('not a hex string')
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** `n` as 8 bytes, unsigned big-endian. Throws RangeError unless n is a safe non-negative integer. */
export function u64be(n: number | bigint): Uint8Array {
  const v = typeof n === 'bigint' ? n : BigInt(checkSafeUint(n))
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`u64 out of range: ${v}`)
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, v, false)
  return out
}

function checkSafeUint(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative safe integer: ${n}`)
  return n
}

/** The Merkle hash of one leaf: H(0x00 ‖ leaf bytes). */
export function merkleLeafHash(leafBytes: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, leafBytes)
}

/** The Merkle hash of an inner node: H(0x01 ‖ left ‖ right). */
export function merkleNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right)
}

/** The next level up: pairs hashed left to right, an odd last node promoted unchanged. */
function parentLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const up: Uint8Array[] = []
  for (let i = 0; i + 1 < level.length; i += 2) up.push(merkleNodeHash(level[i] as Uint8Array, level[i + 1] as Uint8Array))
  if (level.length % 2 === 1) up.push(level[level.length - 1] as Uint8Array)
  return up
}

/** The Merkle root over already-hashed leaves (see merkleLeafHash). No leaves: H(empty). */
export function merkleRootOfHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return sha256()
  let level: readonly Uint8Array[] = leafHashes
  while (level.length > 1) level = parentLevel(level)
  return level[0] as Uint8Array
}

/** The Merkle root over raw leaf byte strings. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  return merkleRootOfHashes(leaves.map(merkleLeafHash))
}

/**
 * The inclusion proof of leaf `index` among `leafHashes`: the sibling hashes from the bottom level up.
 * A level where the node is the promoted odd one contributes no sibling, so the verifier needs the leaf
 * count to know which levels those are.
 */
export function merkleProof(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leafHashes.length) throw new RangeError(`leaf ${index} not in a tree of ${leafHashes.length}`)
  const proof: Uint8Array[] = []
  let level: readonly Uint8Array[] = leafHashes
  let i = index
  while (level.length > 1) {
    const sibling = i % 2 === 1 ? i - 1 : i + 1
    if (sibling < level.length) proof.push(level[sibling] as Uint8Array)
    level = parentLevel(level)
    i = Math.floor(i / 2)
  }
  return proof
}

/**
 * Recomputes the root from a leaf hash, its index, the leaf count and the proof, and compares it with
 * `root`. False on any mismatch, including a proof with too few or too many hashes.
 */
export function verifyMerkleProof(leafHash: Uint8Array, index: number, count: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) return false
  let h = leafHash
  let i = index
  let size = count
  let used = 0
  while (size > 1) {
    const isRight = i % 2 === 1
    const hasSibling = isRight || i + 1 < size
    if (hasSibling) {
      const s = proof[used++]
      if (s === undefined) return false
      h = isRight ? merkleNodeHash(s, h) : merkleNodeHash(h, s)
    }
    i = Math.floor(i / 2)
    size = Math.ceil(size / 2)
  }
  return used === proof.length && bytesEqual(h, root)
}

/** Constant-length comparison of two byte strings (not secret-dependent here, but there is no reason to leak). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number)
  return d === 0
}

/**
 * RFC 8785 (JCS) canonical JSON of `value`. Throws TypeError for values JSON cannot represent
 * (undefined, functions, symbols at the top level), so nothing unhashable is hashed silently.
 */
export function canonicalJson(value: unknown): string {
  const s = canonicalize(value)
  if (s === undefined) throw new TypeError('value has no JSON representation')
  return s
}

/** SHA-256 of the JCS encoding of `value` (UTF-8). */
export function hashCanonical(value: unknown): Uint8Array {
  return sha256(new TextEncoder().encode(canonicalJson(value)))
}
