/**
 * Public data anchors (`data_anchor`, the gateway's POST /chain/anchor): a kind of transaction of its own,
 * with its own Merkle leaf, that can never be taken for a session's anchor nor take its place, whatever
 * label it carries. Also: restarting a devnet from its archived blocks (replayLedgers), which is how
 * `lucid serve` resumes its chain.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isLucidError, type LucidErrorCode } from '../../services/common/errors.ts'
import {
  Account,
  BlockArchive,
  ManualScheduler,
  anchorLeaf,
  applyTx,
  blockMerkleRoot,
  createDevnet,
  dataAnchorLeaf,
  ed25519Signer,
  ed25519Verifier,
  immediateSink,
  keySeeds,
  readArchive,
  replayLedgers,
  txId,
  validateBlock,
  type Block,
  type BlockContext,
  type ChainNode,
  type FinalBlock,
  type Transaction
} from '../../services/chain/index.ts'
import { reseal, resign } from './helpers.ts'

const SESSION = '0b6c1f4e-5d3a-4c1e-9a55-7f0e2d9c8b11'
const HASH = 'ab'.repeat(32)

/** A 4-node devnet on a virtual clock, running; its first slot has begun. */
function devnet(seed = 11): { sched: ManualScheduler; node: ChainNode; nodes: readonly ChainNode[]; genesisTime: number; stop: () => void } {
  const sched = new ManualScheduler(undefined, 2_000_000)
  const net = createDevnet({ nodes: 4, scheduler: sched, seed })
  net.start()
  sched.runUntil(net.genesis.genesis_time + 1)
  return {
    sched,
    node: net.nodes[0] as ChainNode,
    nodes: net.nodes,
    genesisTime: net.genesis.genesis_time,
    stop: () => {
      net.stop()
    }
  }
}

function refuses(fn: () => unknown, code: LucidErrorCode, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isLucidError(err), String(err))
    assert.equal(err.code, code, err.message)
    if (pattern !== undefined) assert.match(err.message, pattern)
    return true
  })
}

/** Runs the devnet until `id` is final on `node`; returns the final block holding it. */
function untilFinal(sched: ManualScheduler, node: ChainNode, id: string): FinalBlock {
  for (let i = 0; i < 20; i++) {
    const s = node.txStatus(id)
    if (s.status === 'final') return node.ledger.at(s.height) as FinalBlock
    sched.advance(10_000)
  }
  assert.fail(`transaction ${id} not final after 20 slots`)
}

test("a data anchor labelled with a session id is not that session's anchor: the session anchors afterwards, once, as usual", () => {
  const { sched, node, stop } = devnet()
  try {
    const stranger = new Account(ed25519Signer(new Uint8Array(32).fill(21)))
    const gateway = new Account(ed25519Signer(new Uint8Array(32).fill(22)))
    const now = sched.clock.now()
    // The stranger gets in first, with a data anchor carrying the session's id as its label and the
    // manifest hash as its digest: the most confusing thing it can send.
    const data = node.submit(stranger.dataAnchor({ label: SESSION, data_hash_sha256: HASH, submitted_at: now - 5_000 }, now))
    const second = node.submit(stranger.dataAnchor({ label: SESSION, data_hash_sha256: HASH, submitted_at: now - 5_000 }, now))
    assert.notEqual(second.tx_id, data.tx_id, 'a label may be timestamped any number of times')
    const own = node.submit(gateway.anchor({ session_id: SESSION, manifest_hash: HASH, merkle_root: 'cd'.repeat(32) }, now))
    const fin = untilFinal(sched, node, own.tx_id)
    untilFinal(sched, node, data.tx_id)

    assert.equal(node.ledger.state.get(`a/${SESSION}`), fin.block.header.height, 'the session is anchored by its session_anchor')
    const all = node.ledger.range(1, node.ledger.head().height).flatMap((f) => f.block.anchors)
    assert.deepEqual(all, [{ session_id: SESSION, manifest_hash: HASH, merkle_root: 'cd'.repeat(32) }], 'data anchors are never listed as anchors')
    const types = node.ledger.range(1, node.ledger.head().height).flatMap((f) => f.block.transactions.map((t) => t.type))
    assert.deepEqual(types.sort(), ['data_anchor', 'data_anchor', 'session_anchor'])

    // The session cannot be anchored again, by anyone; a data anchor under its label still can.
    const later = sched.clock.now()
    refuses(
      () => node.submit(stranger.anchor({ session_id: SESSION, manifest_hash: 'ee'.repeat(32), merkle_root: 'ee'.repeat(32) }, later)),
      'LUCID_ERR_5012',
      /already anchored/
    )
    // The refused transaction used no nonce on chain, but the account counted it: re-read from the node.
    assert.equal(stranger.nextNonce, 4)
    stranger.resetNonce(node.lastNonce(stranger.signer.publicKey))
    assert.equal(stranger.nextNonce, 3)
    assert.equal(
      node.txStatus(node.submit(stranger.dataAnchor({ label: SESSION, data_hash_sha256: 'ee'.repeat(32), submitted_at: later }, later)).tx_id).status,
      'pending'
    )
  } finally {
    stop()
  }
})

test("data anchor payloads are checked: a session anchor's payload is no data anchor, and the other way round", () => {
  const { sched, node, stop } = devnet()
  try {
    const now = sched.clock.now()
    const a = new Account(ed25519Signer(new Uint8Array(32).fill(23)))
    const sessionPayload = { session_id: SESSION, manifest_hash: HASH, merkle_root: HASH }
    const dataPayload = { label: SESSION, data_hash_sha256: HASH, submitted_at: now }
    // Each refusal leaves the account's nonce unused (admission failed), so the account is rebuilt at 0.
    const fresh = (): Account => new Account(a.signer)
    refuses(() => node.submit(fresh().tx('data_anchor', sessionPayload, now)), 'LUCID_ERR_5002', /unexpected field session_id/)
    refuses(() => node.submit(fresh().tx('session_anchor', dataPayload, now)), 'LUCID_ERR_5002', /unexpected field label/)
    refuses(() => node.submit(fresh().tx('data_anchor', { ...dataPayload, label: 'a/b' }, now)), 'LUCID_ERR_5002')
    refuses(() => node.submit(fresh().tx('data_anchor', { ...dataPayload, label: '' }, now)), 'LUCID_ERR_5002')
    refuses(() => node.submit(fresh().tx('data_anchor', { ...dataPayload, data_hash_sha256: HASH.toUpperCase() }, now)), 'LUCID_ERR_5002')
    refuses(() => node.submit(fresh().tx('data_anchor', { ...dataPayload, submitted_at: now + 0.5 }, now)), 'LUCID_ERR_5002')
    refuses(
      () => node.submit(fresh().tx('data_anchor', { ...dataPayload, submitted_at: now + 60_000 }, now)),
      'LUCID_ERR_5002',
      /after the transaction's timestamp/
    )
    refuses(() => node.submit(fresh().tx('data_anchor', { label: SESSION, data_hash_sha256: HASH }, now)), 'LUCID_ERR_5002', /missing field submitted_at/)
    assert.equal(node.lastNonce(a.signer.publicKey), 0, 'nothing refused used a nonce')
  } finally {
    stop()
  }
})

test('a data anchor has a Merkle leaf of its own: a block that leaves it out, or lists it as a session anchor, is refused', () => {
  const d = { label: SESSION, data_hash_sha256: HASH, submitted_at: 1 }
  const a = { session_id: SESSION, manifest_hash: HASH, merkle_root: HASH }
  assert.equal(dataAnchorLeaf(d)[0], 0x44)
  assert.equal(anchorLeaf(a)[0], 0x41)
  assert.notDeepEqual(dataAnchorLeaf(d).subarray(1), anchorLeaf(a).subarray(1))

  const { sched, node, nodes, stop } = devnet(12)
  try {
    const acct = new Account(ed25519Signer(new Uint8Array(32).fill(24)))
    const now = sched.clock.now()
    const tx = acct.dataAnchor({ ...d, submitted_at: now }, now)
    const fin = untilFinal(sched, node, node.submit(tx).tx_id)
    // Validate that final block again from the state before it, on a ledger replayed to its parent.
    const [before] = replayLedgers(node.ledger.genesis, node.ledger.range(1, fin.block.header.height - 1), 1)
    assert.ok(before !== undefined)
    const sigs = immediateSink(ed25519Verifier())
    assert.equal(validateBlock(before.state, fin.block, { sigs }).hash, fin.hash)
    // createDevnet derives its validator keys with keySeeds, so the producer's key can be rebuilt.
    const signer = keySeeds(12, 4)
      .map(ed25519Signer)
      .find((s) => s.publicKey === fin.block.header.producer)
    assert.ok(signer !== undefined && nodes.some((n) => n.id === signer.publicKey))
    const ids = fin.block.transactions.map(txId)
    const refusedBlock = (blk: Block): void => refuses(() => validateBlock(before.state, blk, { sigs }), 'LUCID_ERR_5009')
    // The header commits to the data anchor's leaf: the root over the transaction leaves alone is wrong.
    refusedBlock(reseal(fin.block, signer, { merkle_root: blockMerkleRoot(ids, fin.block.anchors, []) }))
    // Listing the data anchor among the session anchors (as if it anchored a session) is refused.
    const posing = { session_id: d.label, manifest_hash: d.data_hash_sha256, merkle_root: d.data_hash_sha256 }
    const claimed = reseal(fin.block, signer, { anchor_count: 1, merkle_root: blockMerkleRoot(ids, [posing], []) })
    refusedBlock({ ...claimed, anchors: [posing], signature: resign(claimed.header, signer) })
  } finally {
    stop()
  }
})

test("applyTx records nothing for a data anchor but the sender's nonce", () => {
  const { sched, node, stop } = devnet(13)
  try {
    const acct = new Account(ed25519Signer(new Uint8Array(32).fill(25)))
    const now = sched.clock.now()
    const view = node.ledger.state.begin()
    const ctx: BlockContext = { height: 1, slot: 0, epoch: 0, timestamp: now }
    applyTx(view, acct.dataAnchor({ label: SESSION, data_hash_sha256: HASH, submitted_at: now }, now), ctx, immediateSink(ed25519Verifier()))
    assert.deepEqual([...view.writes()], [[`n/${acct.signer.publicKey}`, 1]])
  } finally {
    stop()
  }
})

test('a devnet restarted from its archive resumes its chain: same head, same state, the archived certificates, and it goes on', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-replay-'))
  try {
    const sched = new ManualScheduler(undefined, 3_000_000)
    const net = createDevnet({ nodes: 4, scheduler: sched, seed: 14 })
    const archive = await BlockArchive.open(dir, net.genesis)
    const first = net.nodes[0] as ChainNode
    first.on({
      final: (fin) => {
        archive.append(fin)
      }
    })
    net.start()
    sched.runUntil(net.genesis.genesis_time + 1)
    const acct = new Account(ed25519Signer(new Uint8Array(32).fill(26)))
    const t = sched.clock.now()
    first.submit(acct.anchor({ session_id: 's1', manifest_hash: HASH, merkle_root: HASH }, t))
    first.submit(acct.dataAnchor({ label: 's1', data_hash_sha256: HASH, submitted_at: t }, t))
    sched.advance(60_000)
    net.stop()
    await archive.flush()

    const logged = await readArchive(dir)
    assert.ok(logged.blocks.length >= 3)
    const ledgers = replayLedgers(logged.genesis, logged.blocks, 4)
    for (const l of ledgers) {
      assert.deepEqual(l.head(), first.ledger.head())
      assert.equal(l.state.digest(), first.ledger.state.digest())
      assert.deepEqual(l.range(1, l.head().height), first.ledger.range(1, first.ledger.head().height))
    }
    // The same seed, genesis time and parameters rebuild the same devnet on the replayed ledgers; it goes on.
    const again = createDevnet({ nodes: 4, scheduler: sched, seed: 14, genesisTime: logged.genesis.genesis_time, params: logged.genesis.params, ledgers })
    again.start()
    const acct2 = new Account(acct.signer, (again.nodes[0] as ChainNode).lastNonce(acct.signer.publicKey))
    const id = (again.nodes[0] as ChainNode).submit(
      acct2.dataAnchor({ label: 's1', data_hash_sha256: 'ee'.repeat(32), submitted_at: sched.clock.now() }, sched.clock.now())
    ).tx_id
    assert.ok(untilFinal(sched, again.nodes[0] as ChainNode, id).block.header.height > logged.blocks.length)
    again.stop()

    // A block altered in the archive is refused at replay with its code.
    const forged = structuredClone(logged.blocks) as FinalBlock[]
    const withTx = forged.find((f) => f.block.transactions.length > 0)
    assert.ok(withTx !== undefined)
    ;(withTx.block.transactions as Transaction[])[0] = { ...(withTx.block.transactions[0] as Transaction), timestamp: t - 1 }
    refuses(() => replayLedgers(logged.genesis, forged, 1), 'LUCID_ERR_5013')
    // A devnet of another size is another genesis: its ledgers cannot be used.
    refuses(
      () => createDevnet({ nodes: 3, scheduler: sched, seed: 14, genesisTime: logged.genesis.genesis_time, params: logged.genesis.params, ledgers }),
      'LUCID_ERR_5001'
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
