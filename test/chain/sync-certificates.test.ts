/**
 * Sync never puts a block into the ledger before the certificate that finalises it verified (issue 19,
 * reproduction 2). The certificate of a batch's last block is the parent certificate of the next block, whose
 * signatures used to be verified with the next batch: the batch was committed first.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  Ledger,
  ManualScheduler,
  VerifyPool,
  blockHash,
  createDevnet,
  ed25519Signer,
  keySeeds,
  ledgerSource,
  syncLedger,
  type Certificate,
  type ChainNode,
  type Devnet,
  type FinalBlock,
  type SyncSource
} from '../../services/chain/index.ts'
import { reseal } from './helpers.ts'

const SLOT = 10_000
const SEED = 7

function chain(slots: number): Devnet {
  const sched = new ManualScheduler(undefined, 1_000_000)
  const net = createDevnet({ nodes: 4, scheduler: sched, seed: SEED })
  net.start()
  sched.runUntil(net.genesis.genesis_time + slots * SLOT - 1)
  net.stop()
  return net
}

/** The same voters, every signature garbage. */
function forged(cert: Certificate): Certificate {
  return { ...cert, votes: cert.votes.map((v) => ({ ...v, signature: 'ab'.repeat(64) })) }
}

const isCode =
  (...codes: string[]) =>
  (err: Error & { code?: string }): boolean =>
    codes.includes(err.code ?? '')

test('sync with worker threads keeps no block whose certificate is forged, at every batch boundary', async () => {
  const net = chain(12)
  const a = net.nodes[0] as ChainNode
  const top = a.ledger.head().height
  assert.ok(top >= 8, `the devnet finalised ${top} blocks`)
  const pool = new VerifyPool(2)
  try {
    for (const per of [1, 2, 3]) {
      // Every block b that ends a batch (b = per, 2 per, ...): its certificate is carried by block b + 1.
      for (let b = per; b < top; b += per) {
        const honest = ledgerSource(a.ledger)
        const evil: SyncSource = {
          height: honest.height,
          async blocks(from, to) {
            const list = await honest.blocks(from, to)
            return list.map((f) =>
              f.block.header.height === b + 1 && f.block.parent_certificate !== null
                ? { ...f, block: { ...f.block, parent_certificate: forged(f.block.parent_certificate) } }
                : f
            )
          }
        }
        const fresh = new Ledger(net.genesis)
        const err = await syncLedger(fresh, evil, { pool, batchBlocks: per }).then(
          () => undefined,
          (e: Error & { code?: string }) => e
        )
        assert.equal(err?.code, 'LUCID_ERR_5015', `batch ${per}, forged at ${b}: ${String(err)}`)
        assert.ok(fresh.head().height < b, `batch ${per}: block ${b}, certified only by forged signatures, entered the ledger (head ${fresh.head().height})`)
      }
    }
  } finally {
    await pool.close()
  }
})

test('sync refuses a twin block signed by its real producer and certified by garbage signatures; an honest resync then succeeds', async () => {
  const net = chain(6)
  const a = net.nodes[0] as ChainNode
  const signers = new Map(keySeeds(SEED, 4).map((s) => [ed25519Signer(s).publicKey, ed25519Signer(s)]))
  const [b1, b2, b3] = a.ledger.range(1, 3) as [FinalBlock, FinalBlock, FinalBlock]
  const producer2 = signers.get(b2.block.header.producer)
  const producer3 = signers.get(b3.block.header.producer)
  assert.ok(producer2 !== undefined && producer3 !== undefined)
  // The twin: block 2 sealed one millisecond later, so another hash, signed by its real producer.
  const twin = reseal(b2.block, producer2, { timestamp: b2.block.header.timestamp + 1 })
  const twinHash = blockHash(twin.header)
  assert.notEqual(twinHash, b2.hash)
  const cert3 = b3.block.parent_certificate as Certificate
  const three = reseal({ ...b3.block, parent_certificate: forged({ ...cert3, block_hash: twinHash }) }, producer3, { previous_hash: twinHash })
  const threeHash = blockHash(three.header)
  const served: FinalBlock[] = [
    b1,
    { block: twin, hash: twinHash, certificate: forged({ ...cert3, block_hash: twinHash }) },
    { block: three, hash: threeHash, certificate: forged({ ...b3.certificate, block_hash: threeHash } as Certificate) }
  ]
  const evil: SyncSource = {
    height: async () => 3,
    blocks: async (from, to) => JSON.parse(JSON.stringify(served.slice(from - 1, to))) as FinalBlock[]
  }
  const pool = new VerifyPool(1)
  const fresh = new Ledger(net.genesis)
  try {
    await assert.rejects(syncLedger(fresh, evil, { pool, batchBlocks: 1 }), isCode('LUCID_ERR_5015'))
    assert.equal(fresh.head().height, 1, 'the twin of block 2 entered the ledger')
    const r = await syncLedger(fresh, ledgerSource(a.ledger), { pool, batchBlocks: 1 })
    assert.equal(r.height, a.ledger.head().height)
    assert.equal(fresh.head().hash, a.ledger.head().hash)
  } finally {
    await pool.close()
  }
})
