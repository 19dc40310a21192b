/**
 * Regression test for the double vote after a restart: a node kept the height it last voted at in memory
 * only, so after a crash it could sign a second block at that height (an equivocating leader's twin), the
 * very double vote the finality argument assumes honest nodes never cast. The node now records its vote in
 * a VoteStore (here the file one: write + fsync + rename) before the vote leaves it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ChainNode, ManualScheduler, blockHash, buildBlock, devnetGenesis, ed25519Signer, ed25519Verifier, epochInfo, fileVoteStore, immediateSink, keySeeds, memoryVoteStore, slotSchedule,
  type Block, type Genesis, type Signer, type Vote, type VoteStore
} from '../../services/chain/index.ts'

/** Four validators; the leader of slot 0 signs two different blocks for height 1 (an equivocating leader). */
function fixture (): { genesis: Genesis, voter: Signer, x: Block, y: Block, sched: ManualScheduler } {
  const signers = keySeeds(21, 4).map(ed25519Signer)
  const genesis = devnetGenesis(signers, 1_000_000)
  const node0 = new ChainNode({ genesis, signer: signers[0] as Signer, scheduler: new ManualScheduler(), connect: () => ({ broadcast () {}, send () {} }), uptimeBeacons: false })
  const state = node0.ledger.state
  const leader = slotSchedule(epochInfo(state, 0), genesis.params, 0, [])?.leader
  const leaderSigner = signers.find((s) => s.publicKey === leader) as Signer
  const voter = signers.find((s) => s.publicKey !== leader) as Signer
  const sigs = immediateSink(ed25519Verifier())
  const block = (timestamp: number): Block => buildBlock(state, leaderSigner, { height: 1, slot: 0, epoch: 0, timestamp }, null, [], sigs)
  const sched = new ManualScheduler(undefined, genesis.genesis_time + 100)
  return { genesis, voter, x: block(genesis.genesis_time + 10), y: block(genesis.genesis_time + 20), sched }
}

/** A node fed by hand: `deliver` hands it a block, `votes` are the votes it sent. */
function boot (genesis: Genesis, signer: Signer, sched: ManualScheduler, store: VoteStore, onSend?: (v: Vote) => void): { node: ChainNode, deliver: (b: Block) => void, votes: Vote[] } {
  let handler: ((from: string, data: string) => void) | undefined
  const votes: Vote[] = []
  const node = new ChainNode({
    genesis,
    signer,
    scheduler: sched,
    votes: store,
    uptimeBeacons: false,
    connect: (_id, h) => {
      handler = h
      return {
        broadcast (data) {
          const msg = JSON.parse(data) as { t: string, vote?: Vote }
          if (msg.t === 'vote') { onSend?.(msg.vote as Vote); votes.push(msg.vote as Vote) }
        },
        send () {}
      }
    }
  })
  node.start()
  return { node, votes, deliver: (b) => { handler?.('peer', JSON.stringify({ t: 'block', block: b })) } }
}

test('a node that voted, crashed and restarted from its vote file does not vote for another block at that height', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-votes-'))
  try {
    const { genesis, voter, x, y, sched } = fixture()
    const file = join(dir, 'votes', `${voter.publicKey}.json`)
    const before = boot(genesis, voter, sched, fileVoteStore(file), () => {
      // The record is on disk before the vote leaves the node.
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { height: 1, block_hash: blockHash(x.header) })
    })
    before.deliver(x)
    assert.equal(before.votes.length, 1, 'it voted for the first block at height 1')
    const first = before.votes[0] as Vote
    assert.equal(first.height, 1)
    // Crash: the process and everything in its memory are gone; the vote file is what survives.
    before.node.stop()

    const after = boot(genesis, voter, sched, fileVoteStore(file))
    after.deliver(y)
    assert.deepEqual(after.votes, [], 'no vote for the twin at a height it already voted at')
    // The block it did vote for may be voted for again: the same signature, no second vote.
    after.deliver(x)
    assert.deepEqual(after.votes, [first])
    assert.equal(existsSync(`${file}.tmp`), false)
    after.node.stop()

    // Without the record (the old behaviour) the same restart signs the twin: the hazard the file closes.
    const amnesiac = boot(genesis, voter, sched, memoryVoteStore())
    amnesiac.deliver(y)
    assert.equal(amnesiac.votes.length, 1)
    assert.notEqual(amnesiac.votes[0]?.block_hash, first.block_hash)
    amnesiac.node.stop()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('a vote file that does not hold a record is refused rather than read as "never voted"', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-votes-'))
  try {
    const file = join(dir, 'v.json')
    assert.equal(fileVoteStore(file).last(), undefined, 'no file: never voted')
    fileVoteStore(file).record({ height: 7, block_hash: 'ab'.repeat(32) })
    assert.deepEqual(fileVoteStore(file).last(), { height: 7, block_hash: 'ab'.repeat(32) })
    writeFileSync(file, '{"height":7,"block_')
    assert.throws(() => fileVoteStore(file), (err: Error & { code?: string }) => err.code === 'LUCID_ERR_5001')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
