/**
 * Finding and proving a recording's anchor in final blocks (docs/session.md, "Playback against the anchor").
 *
 * A recording's anchor is the **earliest** anchor of its session id in the chain, in block order and, within a
 * block, in Merkle leaf order: a `session_anchor` with that `session_id` (its manifest_hash and merkle_root on
 * chain), or a public `data_anchor` labelled with it whose `data_hash_sha256` is SHA-256 of the UTF-8 text
 * `<manifest_hash>:<merkle_root>` (what `lucid session record --anchor URL` submits through POST /chain/anchor,
 * which needs no account). Earliest, because anyone may add data anchors under any label later: a holder of the
 * key who cuts a recording and anchors the result afterwards does not displace the original.
 *
 * The proof is the anchor's Merkle leaf and its inclusion proof against the block header's merkle_root; the
 * caller must have verified the blocks themselves (replayed with every signature and certificate).
 */
import { fromHex, merkleLeafHash, merkleProof, sha256, toHex, verifyMerkleProof } from '../common/hash.ts'
import { anchorLeaf, dataAnchorLeaf, txId, txLeaf } from './encoding.ts'
import type { FinalBlock } from './ledger.ts'
import { blockAnchors } from './rules.ts'
import type { Anchor, DataAnchor } from './types.ts'

/** A recording's anchor with its inclusion proof. */
export interface RecordingAnchor {
  readonly kind: 'session' | 'data'
  readonly height: number
  readonly block_hash: string
  /** The block header's Merkle root the proof leads to. */
  readonly block_merkle_root: string
  /** Leaf bytes (tag byte and hash), hex. */
  readonly leaf: string
  readonly leaf_index: number
  readonly leaf_count: number
  /** Sibling hashes, bottom up, hex. */
  readonly proof: readonly string[]
  readonly anchor: Anchor | DataAnchor
}

/** The data_hash_sha256 of a data anchor of a recording: SHA-256 of UTF-8 `<manifest_hash>:<merkle_root>`, hex. */
export function recordingDigest(manifestHash: string, merkleRoot: string): string {
  return toHex(sha256(new TextEncoder().encode(recordingAnchorText(manifestHash, merkleRoot))))
}

/** The text a recording's data anchor hashes (the `data_hash` POST /chain/anchor takes). */
export function recordingAnchorText(manifestHash: string, merkleRoot: string): string {
  return `${manifestHash}:${merkleRoot}`
}

/** The earliest anchor of `sessionId` in `blocks` (in order from height 1), with its proof; undefined when none. */
export function findRecordingAnchor(blocks: readonly FinalBlock[], sessionId: string): RecordingAnchor | undefined {
  for (const f of blocks) {
    const txs = f.block.transactions
    const { anchors, dataAnchors } = blockAnchors(txs)
    const leaves = [...txs.map((t) => txLeaf(txId(t))), ...anchors.map(anchorLeaf), ...dataAnchors.map(dataAnchorLeaf)]
    const hashes = leaves.map(merkleLeafHash)
    const at = (index: number, kind: 'session' | 'data', anchor: Anchor | DataAnchor): RecordingAnchor => ({
      kind,
      height: f.block.header.height,
      block_hash: f.hash,
      block_merkle_root: f.block.header.merkle_root,
      leaf: toHex(leaves[index] as Uint8Array),
      leaf_index: index,
      leaf_count: leaves.length,
      proof: merkleProof(hashes, index).map(toHex),
      anchor
    })
    // Leaf order is block order within each kind, session anchors before data anchors; a block holding both for
    // one session is taken at its session anchor, which the chain makes unique.
    const s = anchors.findIndex((a) => a.session_id === sessionId)
    if (s >= 0) return at(txs.length + s, 'session', anchors[s] as Anchor)
    const d = dataAnchors.findIndex((a) => a.label === sessionId)
    if (d >= 0) return at(txs.length + anchors.length + d, 'data', dataAnchors[d] as DataAnchor)
  }
  return undefined
}

/**
 * True when `a` proves that a recording with this manifest_hash and merkle_root is anchored: its leaf is the
 * anchor's, the anchor commits to these two values, and the inclusion proof leads to the block's Merkle root.
 */
export function proveRecordingAnchor(a: RecordingAnchor, manifestHash: string, merkleRoot: string): boolean {
  const leaf =
    a.kind === 'session'
      ? anchorLeaf({ session_id: (a.anchor as Anchor).session_id, manifest_hash: manifestHash, merkle_root: merkleRoot })
      : dataAnchorLeaf({ ...(a.anchor as DataAnchor), data_hash_sha256: recordingDigest(manifestHash, merkleRoot) })
  if (toHex(leaf) !== a.leaf) return false
  return verifyMerkleProof(merkleLeafHash(leaf), a.leaf_index, a.leaf_count, a.proof.map(fromHex), fromHex(a.block_merkle_root))
}
