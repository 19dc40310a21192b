import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  Account,
  Ledger,
  ManualScheduler,
  VerifyPool,
  createDevnet,
  ed25519Signer,
  ed25519Verifier,
  epochInfo,
  immediateSink,
  ledgerSource,
  slotSchedule,
  syncLedger,
  validateBlock,
  type ChainNode,
  type Devnet
} from '../../services/chain/index.ts'

const SLOT = 10_000

/** A 4-node devnet on a virtual clock with a finality log per node. */
function devnet(): { net: Devnet; sched: ManualScheduler; finals: Array<Map<number, string>> } {
  const sched = new ManualScheduler(undefined, 1_000_000)
  const net = createDevnet({ nodes: 4, scheduler: sched, seed: 7 })
  const finals = net.nodes.map((n) => {
    const log = new Map<number, string>()
    n.on({
      final: (fin) => {
        // Finality is never reverted: a height is finalised once, and never with another hash.
        assert.equal(log.has(fin.block.header.height), false, 'height finalised twice')
        log.set(fin.block.header.height, fin.hash)
      }
    })
    return log
  })
  net.start()
  return { net, sched, finals }
}

function anchors(acct: Account, n: number, at: number, prefix: string): ReturnType<Account['anchor']>[] {
  return Array.from({ length: n }, (_, i) => acct.anchor({ session_id: `${prefix}-${i}`, manifest_hash: 'ab'.repeat(32), merkle_root: 'cd'.repeat(32) }, at))
}

function sameChain(a: ChainNode, b: ChainNode): void {
  assert.deepEqual(a.ledger.head(), b.ledger.head())
  assert.equal(a.ledger.state.digest(), b.ledger.state.digest())
}

test('four nodes agree block by block: one block per slot, same head, same state, no finality ever reverted', () => {
  const { net, sched, finals } = devnet()
  const acct = new Account(ed25519Signer(new Uint8Array(32).fill(1)))
  sched.runUntil(net.genesis.genesis_time + 2 * SLOT + 1)
  // One account's transactions go to one node: its nonces must arrive in order.
  const receipts = anchors(acct, 40, sched.clock.now(), 's').map((tx) => (net.nodes[1] as ChainNode).submit(tx))
  sched.advance(1)
  assert.equal(net.nodes[2]?.txStatus(receipts[0]?.tx_id as string).status, 'pending', 'gossip reached the other nodes')
  sched.runUntil(net.genesis.genesis_time + 30 * SLOT - 1)
  const [first, ...rest] = net.nodes as [ChainNode, ...ChainNode[]]
  assert.equal(first.ledger.head().height, 30)
  for (const n of rest) sameChain(first, n)
  for (const r of receipts) assert.equal(first.txStatus(r.tx_id).status, 'final')
  for (const log of finals) assert.deepEqual([...log], [...(finals[0] as Map<number, string>)])
  for (const n of net.nodes) assert.equal(n.rejected.size, 0, `node rejected ${[...n.rejected]}`)
  net.stop()
})

test('every node computes the same leader schedule, and each block came from its slot leader', () => {
  const { net, sched } = devnet()
  sched.runUntil(net.genesis.genesis_time + 12 * SLOT - 1)
  const params = net.genesis.params
  for (let slot = 12; slot < 40; slot++) {
    const schedules = net.nodes.map((n) =>
      slotSchedule(epochInfo(n.ledger.state, 0), params, slot, n.ledger.state.get('recent') as Array<[number, string]>, n.ledger.state.head().slot)
    )
    for (const s of schedules) assert.deepEqual(s, schedules[0])
  }
  // Replaying the chain: with every node up, every block came from its slot's leader.
  const replay = new Ledger(net.genesis)
  for (const fin of (net.nodes[0] as ChainNode).ledger.range(1, 12)) {
    const s = slotSchedule(
      epochInfo(replay.state, 0),
      params,
      fin.block.header.slot,
      replay.state.get('recent') as Array<[number, string]>,
      replay.state.head().slot
    )
    assert.equal(fin.block.header.producer, s?.leader)
    replay.append(validateBlock(replay.state, fin.block, { sigs: immediateSink(ed25519Verifier()) }), fin.certificate)
  }
  net.stop()
})

test('a silent leader is replaced by its first fallback after the leader timeout', () => {
  const { net, sched } = devnet()
  sched.runUntil(net.genesis.genesis_time + 3 * SLOT - 1)
  const node0 = net.nodes[0] as ChainNode
  const params = net.genesis.params
  const next = slotSchedule(
    epochInfo(node0.ledger.state, 0),
    params,
    3,
    node0.ledger.state.get('recent') as Array<[number, string]>,
    node0.ledger.state.head().slot
  )
  assert.ok(next !== undefined)
  net.network.setDown(next.leader, true)
  sched.runUntil(net.genesis.genesis_time + 4 * SLOT - 1)
  const up = net.nodes.find((n) => n.id !== next.leader) as ChainNode
  const b = up.ledger.at(4)?.block
  assert.ok(b !== undefined, 'slot 3 still produced a block')
  assert.equal(b.header.slot, 3)
  assert.equal(b.header.producer, next.fallbacks[0])
  assert.equal(b.header.timestamp, net.genesis.genesis_time + 3 * SLOT + params.leader_timeout_ms)
  net.stop()
})

test('a node that was offline catches up by sync; a fresh node syncs to the same head and state (worker threads)', async () => {
  const { net, sched } = devnet()
  const acct = new Account(ed25519Signer(new Uint8Array(32).fill(2)))
  const [a, b, , d] = net.nodes as [ChainNode, ChainNode, ChainNode, ChainNode]
  sched.runUntil(net.genesis.genesis_time + 2 * SLOT + 1)
  net.network.setDown(d.id, true)
  for (const tx of anchors(acct, 30, sched.clock.now(), 'x')) a.submit(tx)
  sched.runUntil(net.genesis.genesis_time + 20 * SLOT - 1)
  assert.ok(d.ledger.head().height < a.ledger.head().height)
  await syncLedger(d.ledger, ledgerSource(b.ledger))
  sameChain(a, d)

  const fresh = new Ledger(net.genesis)
  const pool = new VerifyPool(2)
  try {
    const r = await syncLedger(fresh, ledgerSource(a.ledger), { pool, batchBlocks: 4, jobSignatures: 16 })
    assert.equal(r.height, a.ledger.head().height)
    assert.equal(r.transactions, 30)
  } finally {
    await pool.close()
  }
  assert.deepEqual(fresh.head(), a.ledger.head())
  assert.equal(fresh.state.digest(), a.ledger.state.digest())
  net.stop()
})

test('sync refuses a peer serving a forged transaction, and keeps nothing past the last good batch', async () => {
  const { net, sched } = devnet()
  const acct = new Account(ed25519Signer(new Uint8Array(32).fill(3)))
  const a = net.nodes[0] as ChainNode
  sched.runUntil(net.genesis.genesis_time + 2 * SLOT + 1)
  for (const tx of anchors(acct, 5, sched.clock.now(), 'f')) a.submit(tx)
  sched.runUntil(net.genesis.genesis_time + 10 * SLOT - 1)
  const honest = ledgerSource(a.ledger)
  const evil = {
    height: honest.height,
    async blocks(from: number, to: number) {
      const list = await honest.blocks(from, to)
      return list.map((f) =>
        f.block.transactions.length === 0
          ? f
          : { ...f, block: { ...f.block, transactions: f.block.transactions.map((t, i) => (i === 0 ? { ...t, signature: 'ab'.repeat(64) } : t)) } }
      )
    }
  }
  const pool = new VerifyPool(2)
  const fresh = new Ledger(net.genesis)
  try {
    await assert.rejects(syncLedger(fresh, evil, { pool, batchBlocks: 2 }), (err: Error & { code?: string }) => err.code === 'LUCID_ERR_5013')
  } finally {
    await pool.close()
  }
  const bad = a.ledger.range(1, 10).find((f) => f.block.transactions.length > 0)
  assert.ok(bad !== undefined)
  assert.ok(fresh.head().height < bad.block.header.height)
  net.stop()
})
