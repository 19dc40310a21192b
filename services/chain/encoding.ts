/**
 * How chain objects become bytes and hashes (docs/chain.md, "Hashing"). Everything goes through
 * services/common/hash.ts: SHA-256, RFC 8785 canonical JSON, the RFC 6962-style Merkle tree.
 *
 * - tx id       = SHA-256(JCS(transaction without `signature`))
 * - block hash  = SHA-256(JCS(header))
 * - genesis hash (the previous_hash of block 1) = SHA-256(JCS(genesis))
 * - Merkle leaves: 0x54 'T' ‖ tx id for each transaction, then 0x41 'A' ‖ SHA-256(JCS(anchor)) for each
 *   session anchor, then 0x44 'D' ‖ SHA-256(JCS(data anchor)) for each data anchor; the tag byte keeps a
 *   transaction leaf, a session anchor leaf and a data anchor leaf from ever equalling one another, so a
 *   proof of a data anchor can never pass as a proof of a session's anchor.
 * - A signature covers a 48-byte message: a 16-byte domain tag (ASCII, zero-padded) ‖ the 32-byte hash.
 *   The tag stops a signature over a block hash from being replayed as a vote or a transaction, and a fixed
 *   length lets the sync workers receive messages as one flat array.
 */
import { createHash } from 'node:crypto'
import { memoShared } from '../common/frozen.ts'
import { fromHex, hashCanonical, merkleRoot, sha256, toHex, u64be } from '../common/hash.ts'
import type { Anchor, Block, BlockHeader, DataAnchor, Genesis, Transaction, TxBody } from './types.ts'

/** Byte length of every signed message. */
export const SIGNED_MESSAGE_BYTES = 48

/**
 * The domains a signature can belong to. LUCID-VOTE-V1 is the single-phase vote of the first chain format
 * (the block hash alone), still read in archived certificates; the voting rounds sign prevotes
 * (LUCID-PREVOTE-V1) and precommits (LUCID-VOTE-V2, what certificates hold) over roundVoteHash, and a
 * round's proposal (LUCID-PROPOSE-V1) over proposalHash; a session owner receipts a node's service work with
 * LUCID-RECEIPT-V1 (credits.ts receiptMessage). Every tag is at most 16 bytes.
 */
export type SignDomain = 'LUCID-TX-V1' | 'LUCID-BLOCK-V1' | 'LUCID-VOTE-V1' | 'LUCID-PREVOTE-V1' | 'LUCID-VOTE-V2' | 'LUCID-PROPOSE-V1' | 'LUCID-RECEIPT-V1'

const TX_LEAF_TAG = 0x54
const ANCHOR_LEAF_TAG = 0x41
const DATA_ANCHOR_LEAF_TAG = 0x44

/** The 48-byte message signed for `hash` in `domain`. */
export function signingMessage(domain: SignDomain, hash: Uint8Array): Uint8Array {
  if (hash.length !== 32) throw new RangeError('a signed hash is 32 bytes')
  const m = new Uint8Array(SIGNED_MESSAGE_BYTES)
  for (let i = 0; i < domain.length; i++) m[i] = domain.charCodeAt(i)
  m.set(hash, 16)
  return m
}

/** The body of a transaction: all its fields but the signature. */
export function txBody(tx: Transaction): TxBody {
  return { type: tx.type, from: tx.from, nonce: tx.nonce, timestamp: tx.timestamp, payload: tx.payload }
}

/** A transaction's id (hex). */
export function txId(tx: TxBody): string {
  return memoShared(TX_IDS, tx, (t) => toHex(hashCanonical(txBody(t as Transaction))))
}

// Hashes and sizes of shared (deep-frozen, services/common/frozen.ts) objects, by identity: the receivers of
// one broadcast block compute each once.
const TX_IDS = new WeakMap<TxBody, string>()
const BLOCK_HASHES = new WeakMap<BlockHeader, string>()
const BLOCK_BYTES = new WeakMap<Block, number>()

/** A block's hash (hex): the hash of its header. */
export function blockHash(header: BlockHeader): string {
  return memoShared(BLOCK_HASHES, header, (h) => toHex(hashCanonical(h)))
}

/** The genesis hash (hex), which block 1 names as its previous hash. */
export function genesisHash(genesis: Genesis): string {
  return toHex(hashCanonical(genesis))
}

/** The Merkle leaf bytes of a transaction, given its id. */
export function txLeaf(id: string): Uint8Array {
  const leaf = new Uint8Array(33)
  leaf[0] = TX_LEAF_TAG
  leaf.set(fromHex(id), 1)
  return leaf
}

/** The Merkle leaf bytes of a session anchor. */
export function anchorLeaf(anchor: Anchor): Uint8Array {
  const leaf = new Uint8Array(33)
  leaf[0] = ANCHOR_LEAF_TAG
  leaf.set(hashCanonical({ session_id: anchor.session_id, manifest_hash: anchor.manifest_hash, merkle_root: anchor.merkle_root }), 1)
  return leaf
}

/** The Merkle leaf bytes of a data anchor (tag 'D', never equal to a session anchor's leaf). */
export function dataAnchorLeaf(d: DataAnchor): Uint8Array {
  const leaf = new Uint8Array(33)
  leaf[0] = DATA_ANCHOR_LEAF_TAG
  leaf.set(hashCanonical({ label: d.label, data_hash_sha256: d.data_hash_sha256, submitted_at: d.submitted_at }), 1)
  return leaf
}

/** The Merkle root (hex) a block header must carry, from the transaction ids, the session anchors and the data anchors. */
export function blockMerkleRoot(txIds: readonly string[], anchors: readonly Anchor[], dataAnchors: readonly DataAnchor[]): string {
  return toHex(merkleRoot([...txIds.map(txLeaf), ...anchors.map(anchorLeaf), ...dataAnchors.map(dataAnchorLeaf)]))
}

/** The hash a first-format (LUCID-VOTE-V1) vote signs: the block hash itself. */
export function voteHash(blockHashHex: string): Uint8Array {
  return fromHex(blockHashHex)
}

/**
 * The hash a round vote (prevote or precommit) signs: SHA-256(u64(height) ‖ u64(round) ‖ block hash). Height
 * and round are bound into the hashed part so that the signed message stays 48 bytes (the sync workers take
 * messages as one flat array) while a vote of one round can never count in another.
 */
export function roundVoteHash(height: number, round: number, blockHashHex: string): Uint8Array {
  return sha256(u64be(height), u64be(round), fromHex(blockHashHex))
}

/**
 * The hash a round's proposal signs: SHA-256(u64(height) ‖ u64(round) ‖ u64(pol_round + 1) ‖ block hash)
 * (pol_round -1, a new block, is encoded as 0).
 */
export function proposalHash(height: number, round: number, polRound: number, blockHashHex: string): Uint8Array {
  return sha256(u64be(height), u64be(round), u64be(polRound + 1), fromHex(blockHashHex))
}

/**
 * The size of a block as the limit counts it: the UTF-8 length of its canonical (JCS) encoding. For chain
 * objects (integers only, strings serialised as ECMAScript's JSON.stringify does, which JCS adopts) the JCS
 * encoding differs from JSON.stringify only in key order, never in length, so the cheaper one is measured.
 */
export function blockBytes(block: Block): number {
  return memoShared(BLOCK_BYTES, block, (b) => Buffer.byteLength(JSON.stringify(b)))
}

/** The tie-break key of a candidate in a slot: SHA-256(u64(slot) ‖ epoch seed ‖ node id), hex. */
export function tieBreakKey(slot: number, seed: string, nodeId: string): string {
  return toHex(sha256(u64be(slot), fromHex(seed), fromHex(nodeId)))
}

/**
 * tieBreakKey(slot, seed, id) for each of `nodeIds`, the same bytes hashed, with the slot and seed encoded once
 * (a slot's order hashes every tied node of a hundred).
 */
export function tieBreakKeys(slot: number, seed: string, nodeIds: readonly string[]): string[] {
  const prefix = [u64be(slot), fromHex(seed)]
  // One hash object per key and the digest straight to hex: the same bytes as tieBreakKey (it showed in profiles).
  return nodeIds.map((id) => {
    const h = createHash('sha256')
    for (const p of prefix) h.update(p)
    return h.update(fromHex(id)).digest('hex')
  })
}
