/**
 * Building a block: take candidate transactions in order, keep those that still apply (skipping any a
 * transaction before them invalidated), stop at the count and size limits, commit with the Merkle root and
 * sign. Shared by the node and the fixture generator, so a generated chain is built by the producer's code.
 */
import { fromHex, toHex } from '../common/hash.ts'
import { blockBytes, blockHash, blockMerkleRoot, signingMessage } from './encoding.ts'
import { applyTx, blockAnchors, type BlockContext } from './rules.ts'
import type { Signer } from './signer.ts'
import type { SignatureSink } from './sink.ts'
import { StateDelta, type ChainState } from './state.ts'
import type { Anchor, Block, BlockHeader, Certificate, DataAnchor, Transaction } from './types.ts'

/** Builds and signs a block on `state`'s head at `ctx` from `candidates`. */
export function buildBlock(
  state: ChainState,
  signer: Signer,
  ctx: BlockContext,
  parentCertificate: Certificate | null,
  candidates: Iterable<Transaction>,
  sigs: SignatureSink
): Block {
  const { params, chain_id: chainId } = state.genesis
  const previous = state.head().hash
  const header = (ids: readonly string[], anchors: readonly Anchor[], dataAnchors: readonly DataAnchor[]): BlockHeader => ({
    chain_id: chainId,
    height: ctx.height,
    slot: ctx.slot,
    epoch: ctx.epoch,
    timestamp: ctx.timestamp,
    previous_hash: previous,
    producer: signer.publicKey,
    merkle_root: blockMerkleRoot(ids, anchors, dataAnchors),
    tx_count: ids.length,
    anchor_count: anchors.length
  })
  let bytes = blockBytes({ header: header([], [], []), signature: '0'.repeat(128), transactions: [], anchors: [], parent_certificate: parentCertificate })
  const delta = new StateDelta(state)
  const txs: Transaction[] = []
  const ids: string[] = []
  for (const tx of candidates) {
    if (txs.length >= params.max_block_txs) break
    // What a transaction adds to the encoding: itself and a comma, and for an anchor its anchor entry.
    const cost = Buffer.byteLength(JSON.stringify(tx)) + 1 + (tx.type === 'session_anchor' ? Buffer.byteLength(JSON.stringify(tx.payload)) + 1 : 0)
    if (bytes + cost > params.max_block_bytes) break
    const scratch = new StateDelta(delta)
    let id: string
    try {
      id = applyTx(scratch, tx, ctx, sigs)
    } catch {
      continue
    }
    scratch.mergeIntoBase()
    ids.push(id)
    txs.push(tx)
    bytes += cost
  }
  const { anchors, dataAnchors } = blockAnchors(txs)
  const h = header(ids, anchors, dataAnchors)
  const signature = toHex(signer.sign(signingMessage('LUCID-BLOCK-V1', fromHex(blockHash(h)))))
  return { header: h, signature, transactions: txs, anchors, parent_certificate: parentCertificate }
}
