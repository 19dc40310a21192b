import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { isLucidError } from '../../services/common/errors.ts'
import { openDatabase } from '../../services/db/index.ts'
import { Account, BlockArchive, ManualScheduler, createDevnet, ed25519Signer, type ChainExport, type ChainNode } from '../../services/chain/index.ts'
import { chainCommand } from '../../cli/commands/product/chain.ts'

const SCRIPT = fileURLToPath(new URL('./recompute.py', import.meta.url))
const PY = '/usr/bin/python3'

test('a devnet archived to a data directory exports a document that an independent Python program recomputes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-chain-'))
  try {
    const sched = new ManualScheduler(undefined, 5_000_000)
    const net = createDevnet({ nodes: 4, scheduler: sched, seed: 3 })
    const node = net.nodes[0] as ChainNode
    const db = await openDatabase({ backend: 'level', path: join(dir, 'db') })
    const archive = await BlockArchive.open(dir, net.genesis, db)
    node.on({
      final: (fin) => {
        archive.append(fin)
      }
    })
    net.start()
    const acct = new Account(ed25519Signer(new Uint8Array(32).fill(9)))
    const op = new Account(ed25519Signer(new Uint8Array(32).fill(10)))
    sched.runUntil(net.genesis.genesis_time + 10_001)
    // Every transaction type but consensus_vote and payout (which need a committee member's own key and credits)
    // and task_proof (a node's).
    for (let i = 0; i < 7; i++)
      node.submit(acct.anchor({ session_id: `séance-${i}`, manifest_hash: `${i}`.repeat(64), merkle_root: 'ab'.repeat(32) }, sched.clock.now()))
    node.submit(op.tx('node_registration', { endpoint: 'https://node.example' }, sched.clock.now()))
    node.submit(op.tx('trust_policy', { policy_id: 'default', rules: { min_uptime_bp: 2000, allow: ['a', 'b'] } }, sched.clock.now()))
    // Public data anchors, one labelled like a session: Python recomputes their 'D' leaves.
    for (const label of ['séance-0', 'timestamp me'])
      node.submit(acct.dataAnchor({ label, data_hash_sha256: 'cd'.repeat(32), submitted_at: sched.clock.now() - 1 }, sched.clock.now()))
    sched.runUntil(net.genesis.genesis_time + 60_000)
    net.stop()
    await archive.flush()
    assert.equal(await db.blocks.latest().then((b) => b?.height), node.ledger.head().height)
    const included = node.ledger.range(1, node.ledger.head().height).filter((f) => f.block.transactions.length > 0)
    assert.equal(
      included.reduce((n, f) => n + f.block.transactions.length, 0),
      11
    )
    for (const f of included) assert.equal((await db.transactions.byBlock(f.block.header.height)).length, f.block.transactions.length)
    await db.close()

    const out = join(dir, 'export.json')
    const write = process.stdout.write
    process.stdout.write = (() => true) as typeof process.stdout.write
    try {
      assert.equal(await chainCommand(['export', '--out', out, '--data', dir]), 0)
    } finally {
      process.stdout.write = write
    }
    const doc = JSON.parse(await readFile(out, 'utf8')) as ChainExport
    assert.equal(doc.blocks.length, node.ledger.head().height)
    const r = spawnSync(PY, [SCRIPT, out], { encoding: 'utf8' })
    assert.equal(r.status, 0, r.stdout + r.stderr)
    assert.equal(r.stdout.trim(), `ok ${doc.blocks.length} 11 7 2`)

    // The recomputation is not a rubber stamp: one changed byte in a transaction is caught.
    const tampered = join(dir, 'tampered.json')
    const bad = structuredClone(doc) as unknown as { blocks: Array<{ block: { transactions: Array<{ nonce: number }> } }> }
    const withTx = bad.blocks.find((b) => b.block.transactions.length > 0)
    assert.ok(withTx !== undefined)
    ;(withTx.block.transactions[0] as { nonce: number }).nonce += 1
    await writeFile(tampered, JSON.stringify(bad))
    const r2 = spawnSync(PY, [SCRIPT, tampered], { encoding: 'utf8' })
    assert.equal(r2.status, 1)
    assert.match(r2.stdout, /merkle root/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('chain export usage errors are one-line catalogue errors', async () => {
  const code = async (argv: string[]): Promise<string | undefined> => {
    try {
      await chainCommand(argv)
      return undefined
    } catch (err) {
      return isLucidError(err) ? err.code : String(err)
    }
  }
  assert.equal(await code([]), 'LUCID_ERR_9001')
  assert.equal(await code(['export', '--data', '/tmp']), 'LUCID_ERR_9001')
  assert.equal(await code(['export', '--out', 'x.json', '--data', '/tmp', '--from', 'http://x']), 'LUCID_ERR_9001')
  assert.equal(await code(['export', '--out']), 'LUCID_ERR_9003')
  assert.equal(await code(['export', '--out', 'x.json', '--bogus', '1']), 'LUCID_ERR_9001')
  assert.equal(await code(['export', '--out', 'x.json', '--from', 'not a url']), 'LUCID_ERR_9003')
  assert.equal(await code(['export', '--out', 'x.json', '--from', 'ftp://127.0.0.1/']), 'LUCID_ERR_9003')
  // Nothing listens on port 1: the gateway cannot be reached (the export over HTTP itself: test/gateway/chain-e2e.test.ts).
  assert.equal(await code(['export', '--out', 'x.json', '--from', 'http://127.0.0.1:1']), 'LUCID_ERR_5004')
  assert.equal(await code(['export', '--out', 'x.json', '--data', '/nonexistent-lucid']), 'LUCID_ERR_5004')
})
