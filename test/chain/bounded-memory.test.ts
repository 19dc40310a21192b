/**
 * What a long-running node keeps in memory is bounded by recent blocks, not by the length of the chain:
 * the ledger's retained blocks, the final-transaction index, the verified-signature cache; older blocks
 * come back from the archive, byte for byte.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isLucidError } from '../../services/common/errors.ts'
import {
  Account,
  BlockArchive,
  ManualScheduler,
  VerifiedCache,
  createDevnet,
  ed25519Signer,
  replayLedgers,
  readArchive,
  type ChainNode,
  type FinalBlock
} from '../../services/chain/index.ts'

test('VerifiedCache: entries live one to two generations of final blocks, and the limit rotates early', () => {
  const c = new VerifiedCache(100, 2)
  const m = (i: number): Uint8Array => Uint8Array.of(i, 7)
  c.add('k', 'a', m(1))
  c.blockFinal()
  assert.ok(c.has('k', 'a', m(1)))
  // The whole triple is the key: another key, another message or a message that changed is no hit.
  assert.equal(c.has('j', 'a', m(1)), false)
  assert.equal(c.has('k', 'a', m(2)), false)
  assert.equal(c.has('k', 'a', Uint8Array.of(1)), false)
  const mutable = m(3)
  c.add('k', 'c', mutable)
  mutable[0] = 4
  assert.equal(c.has('k', 'c', mutable), false)
  assert.ok(c.has('k', 'c', m(3)))
  c.blockFinal() // a's generation becomes the previous one
  assert.ok(c.has('k', 'a', m(1)))
  c.add('k', 'b', m(1))
  c.blockFinal()
  c.blockFinal()
  assert.equal(c.has('k', 'a', m(1)), false)
  assert.ok(c.has('k', 'b', m(1)))
  const small = new VerifiedCache(4, 1000)
  for (const k of ['1', '2', '3', '4', '5']) small.add('k', k, m(0))
  assert.ok(small.size <= 4)
  assert.ok(small.has('k', '5', m(0)))
  assert.throws(() => new VerifiedCache(1, 1), RangeError)
})

test('a devnet node keeps its latest blocks and an index of recent transactions; the state stays whole and the archive serves the rest', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-bounded-'))
  try {
    const sched = new ManualScheduler(undefined, 5_000_000)
    const net = createDevnet({ nodes: 4, scheduler: sched, seed: 5, retainBlocks: 3, finalIndexBlocks: 2 })
    const node = net.nodes[0] as ChainNode
    const archive = await BlockArchive.open(dir, net.genesis)
    const archived: FinalBlock[] = []
    node.on({
      final: (fin) => {
        archived.push(fin)
        void archive.append(fin)
      }
    })
    net.start()
    const acct = new Account(ed25519Signer(new Uint8Array(32).fill(7)))
    sched.runUntil(net.genesis.genesis_time + 10_001)
    const first = node.submit(acct.anchor({ session_id: 'kept-on-disk', manifest_hash: 'ab'.repeat(32), merkle_root: 'cd'.repeat(32) }, sched.clock.now()))
    sched.runUntil(net.genesis.genesis_time + 30_001)
    const included = node.txStatus(first.tx_id)
    assert.equal(included.status, 'final')
    sched.runUntil(net.genesis.genesis_time + 200_000)
    net.stop()
    await archive.flush()
    const head = node.ledger.head().height
    assert.ok(head >= 15, `only ${head} blocks`)
    // Memory: the oldest blocks left the ledger, the transaction index forgot the early anchor...
    assert.equal(node.ledger.at(1), undefined)
    assert.ok(node.ledger.at(head) !== undefined)
    assert.ok(node.ledger.range(1, head).length <= 6)
    assert.equal(node.txStatus(first.tx_id).status, 'unknown')
    // ...while the state still knows it (replay protection and anchors are state, not history).
    assert.notEqual(node.ledger.state.get('a/kept-on-disk'), undefined)
    assert.throws(
      () => node.submit(acct.anchor({ session_id: 'kept-on-disk', manifest_hash: 'ef'.repeat(32), merkle_root: 'cd'.repeat(32) }, sched.clock.now())),
      (e: unknown) => isLucidError(e) && e.code === 'LUCID_ERR_5012'
    )

    // The archive reads back every block as it was final, one or a range, with a byte bound.
    assert.equal(archive.height, head)
    assert.deepEqual(await archive.read(1), JSON.parse(JSON.stringify(archived[0])))
    assert.equal(await archive.read(0), undefined)
    assert.equal(await archive.read(head + 1), undefined)
    const all = await archive.readRange(1, head, Infinity)
    assert.deepEqual(all, JSON.parse(JSON.stringify(archived)))
    const one = Buffer.byteLength(JSON.stringify(archived[0])) + 1
    assert.equal((await archive.readRange(1, head, one)).length, 1)
    assert.equal((await archive.readRange(1, head, 0)).length, 1)
    // Reopened, the offsets are rebuilt from the file; replayed with a bound, the ledgers agree with the archive.
    const again = await BlockArchive.open(dir, net.genesis)
    assert.deepEqual(await again.readRange(head - 2, head + 5, Infinity), all.slice(head - 3))
    const { blocks } = await readArchive(dir)
    const [replayed] = replayLedgers(net.genesis, blocks, 1, { retainBlocks: 3 })
    assert.equal(replayed?.state.digest(), node.ledger.state.digest())
    assert.equal(replayed?.at(1), undefined)
    // A line that is not the height it should be is refused, not served as another block.
    await appendFile(join(dir, 'chain', 'blocks.jsonl'), JSON.stringify(archived[0]) + '\n')
    const broken = await BlockArchive.open(dir, net.genesis)
    await assert.rejects(broken.read(head + 1), (e: unknown) => isLucidError(e) && e.code === 'LUCID_ERR_5004')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
