/**
 * Sync fetches the next batch while it checks the current one (one batch ahead): over a socket the peer's
 * reading and sending of a page no longer waits for the check of the page before. What must hold: the
 * fetches stay one batch ahead at most, the blocks reach the ledger unchanged and in order, and a batch that
 * fails ends the sync with that batch's error while the prefetch's own failure is swallowed (no unhandled
 * rejection to crash the process).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  Ledger,
  ManualScheduler,
  createDevnet,
  ed25519Verifier,
  ledgerSource,
  syncLedger,
  type ChainNode,
  type SyncSource,
  type Verifier
} from '../../services/chain/index.ts'

function finalised(slots: number): ChainNode {
  const sched = new ManualScheduler(undefined, 1_000_000)
  const net = createDevnet({ nodes: 4, scheduler: sched, seed: 11 })
  net.start()
  sched.runUntil(net.genesis.genesis_time + slots * 10_000 - 1)
  net.stop()
  return net.nodes[0] as ChainNode
}

test('sync asks for the next batch before the current one is in the ledger, never two ahead', async () => {
  const a = finalised(10)
  const top = a.ledger.head().height
  assert.ok(top >= 7, `the devnet finalised ${top} blocks`)
  const honest = ledgerSource(a.ledger)
  const fresh = new Ledger(a.ledger.genesis)
  const asked: Array<{ from: number; headAtAsk: number }> = []
  const source: SyncSource = {
    height: honest.height,
    blocks: (from, to) => {
      asked.push({ from, headAtAsk: fresh.head().height })
      return honest.blocks(from, to)
    }
  }
  // What had been asked for when each signature was checked: batch k's checks run once batch k+1 is asked for.
  const real = ed25519Verifier()
  const askedAtVerify: number[] = []
  const verifier: Verifier = {
    verify: (key, msg, sig) => {
      askedAtVerify.push(asked.length)
      return real.verify(key, msg, sig)
    }
  }
  const r = await syncLedger(fresh, source, { batchBlocks: 2, verifier })
  assert.ok(askedAtVerify.length > 0)
  assert.equal(askedAtVerify[0], 2, 'the first batch is checked while the second is being fetched')
  assert.equal(r.height, top)
  assert.equal(fresh.head().hash, a.ledger.head().hash)
  assert.deepEqual(
    asked.map((x) => x.from),
    Array.from({ length: Math.ceil(top / 2) }, (_, i) => 1 + 2 * i)
  )
  // Batch k (from 2k+1) is asked for while batch k-1 is still outside the ledger: the head then is at most
  // 2(k-1), and never less than 2(k-2) (one batch ahead, not more).
  for (const [k, x] of asked.entries()) {
    if (k === 0) continue
    assert.ok(x.headAtAsk <= 2 * (k - 1), `batch ${k} asked at head ${x.headAtAsk}: not ahead`)
    assert.ok(x.headAtAsk >= 2 * (k - 2), `batch ${k} asked at head ${x.headAtAsk}: more than one batch ahead`)
  }
})

test('a bad batch ends the sync with its own error; the failing prefetch behind it raises no unhandled rejection', async () => {
  const a = finalised(8)
  const honest = ledgerSource(a.ledger)
  const unhandled: unknown[] = []
  const onUnhandled = (err: unknown): void => {
    unhandled.push(err)
  }
  process.on('unhandledRejection', onUnhandled)
  try {
    const source: SyncSource = {
      height: honest.height,
      blocks: async (from, to) => {
        if (from > 1) throw new Error('peer went away')
        const got = await honest.blocks(from, to)
        // Block 2's transactions list replaced: its hash no longer matches what block 3 certifies.
        return got.map((f) => (f.block.header.height === 2 ? { ...f, block: { ...f.block, header: { ...f.block.header, slot: f.block.header.slot + 1 } } } : f))
      }
    }
    const fresh = new Ledger(a.ledger.genesis)
    await assert.rejects(syncLedger(fresh, source, { batchBlocks: 2 }), (err: Error & { code?: string }) => err.message !== 'peer went away')
    assert.ok(fresh.head().height < 2, 'no block of the bad batch is in the ledger')
    await new Promise((r) => setTimeout(r, 50))
    assert.deepEqual(unhandled, [])
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})
