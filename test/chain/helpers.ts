/** Shared test fixtures for the chain: a small generated chain and ways to re-sign mutated blocks. */
import { fromHex, toHex } from '../../services/common/hash.ts'
import {
  blockHash,
  blockMerkleRoot,
  ed25519Signer,
  generateChain,
  keySeeds,
  signingMessage,
  txId,
  blockAnchors,
  type Block,
  type BlockHeader,
  type Signer,
  type GeneratedChain
} from '../../services/chain/index.ts'

/** Validators of generateChain with seed 1 (the first `n` key seeds), by public key. */
export function generatedSigners(n = 20, seed = 1): Map<string, Signer> {
  return new Map(
    keySeeds(seed, n)
      .map(ed25519Signer)
      .map((s) => [s.publicKey, s])
  )
}

/** A generated chain of `slots` blocks with small limits, so limit tests stay small. */
export function smallChain(slots = 4): GeneratedChain {
  return generateChain({ slots, validators: 20, txPerS: 0.5, clients: 8, params: { max_block_txs: 10, max_block_bytes: 12_000 } })
}

/** Recomputes the block's commitments (counts, anchors, Merkle root) and signs it as `signer`. */
export function reseal(block: Block, signer: Signer, header: Partial<BlockHeader> = {}): Block {
  const { anchors, dataAnchors } = blockAnchors(block.transactions)
  const h: BlockHeader = {
    ...block.header,
    tx_count: block.transactions.length,
    anchor_count: anchors.length,
    merkle_root: blockMerkleRoot(block.transactions.map(txId), anchors, dataAnchors),
    producer: signer.publicKey,
    ...header
  }
  return { ...block, header: h, anchors, signature: resign(h, signer) }
}

/** Signs a header as is (commitments untouched). */
export function resign(h: BlockHeader, signer: Signer): string {
  return toHex(signer.sign(signingMessage('LUCID-BLOCK-V1', fromHex(blockHash(h)))))
}
