/**
 * The gateway on the real PoOT devnet (services/gateway/chain-adapter.ts), over real HTTP on loopback:
 * a finalised session's anchor found in a final block, public data anchors that never touch it, client-signed
 * transactions, the chain routes, `lucid chain export --from URL` identical to `--data DIR`, and a restart
 * that resumes the chain from its archive.
 *
 * The chain's parameters allow any slot longer than the leader timeout: this test runs 2 s slots with a
 * 1 s leader timeout (4 validators in this process, real timers), so a block is final about every two
 * seconds. 1 s slots flaked on a machine at load average 12: a late leader lets fallbacks split the votes,
 * the liveness gap docs/chain.md describes. Nothing asserts on timing: every wait is for a state, polled, and bounded by a generous limit.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Account, ed25519Signer, txId, type ChainExport } from '../../services/chain/index.ts'
import type { Database } from '../../services/db/index.ts'
import { ACCOUNT_KEY_FILE, openChainPort } from '../../services/gateway/chain-adapter.ts'
import { chainCommand } from '../../cli/commands/product/chain.ts'
import { call, errorCode, login, testGateway, type Answer } from './helpers.ts'

const PARAMS = { slot_ms: 2_000, leader_timeout_ms: 1_000 }
const WAIT_MS = 120_000
const RECOMPUTE = fileURLToPath(new URL('../chain/recompute.py', import.meta.url))

type G = Awaited<ReturnType<typeof testGateway>>
let dir: string
let g: G
let alice: string

// Two blocks kept in memory: block views, transaction status and the export of all but the newest blocks
// come from the archive and the database, as they do after a long run.
const chainFactory =
  (validators = 4) =>
  async (dataDir: string, db: Database) =>
    await openChainPort({ validators, dataDir, db, params: PARAMS, retainBlocks: 2 })

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lucid-chain-e2e-'))
  g = await testGateway({ dataDir: dir, chain: chainFactory() })
  alice = await login(g.base, 'test_user_1', 'test_password_123')
})
after(async () => {
  await g.close()
  await rm(dir, { recursive: true, force: true })
})

/** Polls `probe` every 100 ms until it returns a value, failing after WAIT_MS. */
async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) assert.fail(`gave up waiting for ${what} after ${WAIT_MS / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Waits until transaction `id` is final; returns its status answer. */
async function final(id: string): Promise<Answer> {
  return await until(`transaction ${id} to be final`, async () => {
    const a = await call(g.base, 'GET', `/transactions/${id}`)
    assert.equal(a.status, 200, a.text)
    assert.notEqual(a.json.status, 'rejected', a.text)
    return a.json.status === 'final' ? a : undefined
  })
}

let sessionId = ''
let anchorTx = ''
let publicTx = ''

test('finalising a session anchors its manifest, signed by the gateway, in a FINAL block of the devnet; a public anchor under its id changes nothing', async () => {
  const created = await call(g.base, 'POST', '/sessions', { token: alice, json: { session_type: 'rdp' } })
  sessionId = created.json.session_id as string
  // Before the session is even finalised, someone timestamps data under its id: a data anchor.
  const pub = await call(g.base, 'POST', '/chain/anchor', {
    json: { session_id: sessionId, data_hash: 'not the manifest', timestamp: new Date(g.clock.now()).toISOString() }
  })
  assert.equal(pub.status, 201, pub.text)
  assert.equal(pub.json.status, 'pending')
  publicTx = pub.json.tx_id as string

  for (let i = 0; i < 2; i++) {
    const up = await call(g.base, 'POST', `/sessions/${sessionId}/chunks`, {
      token: alice,
      body: randomBytes(4096),
      headers: { 'content-type': 'application/octet-stream' }
    })
    assert.equal(up.status, 201, up.text)
  }
  const f = await call(g.base, 'POST', `/sessions/${sessionId}/finalize`, { token: alice })
  assert.equal(f.status, 200, f.text)
  assert.equal(f.json.anchor_error, '')
  assert.equal(f.json.anchor.status, 'pending')
  anchorTx = f.json.anchor.tx_id as string
  assert.notEqual(anchorTx, publicTx)

  const anchor = await until('the session anchor to be final', async () => {
    const a = await call(g.base, 'GET', `/sessions/${sessionId}/anchor`, { token: alice })
    assert.equal(a.status, 200, a.text)
    assert.ok(['pending', 'included', 'final'].includes(a.json.status as string), a.text)
    return a.json.status === 'final' ? a.json : undefined
  })
  assert.equal(anchor.tx_id, anchorTx)
  assert.equal(typeof anchor.block_height, 'number')

  const block = await call(g.base, 'GET', `/chain/blocks/${anchor.block_height as number}`)
  assert.equal(block.status, 200)
  assert.equal(block.json.final, true)
  assert.equal(block.json.hash, anchor.block_hash)
  assert.ok(block.json.transactions.includes(anchorTx))
  const mine = block.json.anchors.filter((x: { label: string; kind: string }) => x.label === sessionId && x.kind === 'session')
  assert.deepEqual(mine, [{ kind: 'session', tx_id: anchorTx, label: sessionId, digest: f.json.manifest_hash, merkle_root: f.json.merkle_root }])

  const status = await call(g.base, 'GET', `/sessions/${sessionId}/status`, { token: alice })
  assert.deepEqual(status.json.blockchain_anchor, { block_height: anchor.block_height, hash: anchor.block_hash })

  // The public anchor is final too, as a data anchor of SHA-256(data_hash), in whichever block took it.
  const pubFinal = await final(publicTx)
  const pubBlock = await call(g.base, 'GET', `/chain/blocks/${pubFinal.json.block_height as number}`)
  const theirs = pubBlock.json.anchors.find((x: { tx_id: string }) => x.tx_id === publicTx)
  assert.deepEqual(theirs, {
    kind: 'data',
    tx_id: publicTx,
    label: sessionId,
    digest: createHash('sha256').update('not the manifest').digest('hex'),
    merkle_root: ''
  })

  // Re-anchoring is idempotent: the receipt stands.
  const again = await call(g.base, 'POST', '/anchoring/session', { token: alice, json: { session_id: sessionId, merkle_root: f.json.merkle_root } })
  assert.deepEqual([again.status, again.json.tx_id, again.json.status], [202, anchorTx, 'final'])
})

test('chain routes answer from the devnet: info, consensus, nodes with credits and rank, blocks by height', async () => {
  const info = await call(g.base, 'GET', '/chain/info')
  assert.equal(info.status, 200)
  assert.deepEqual([info.json.chain_id, info.json.consensus, info.json.validators, info.json.slot_ms], ['lucid-devnet', 'PoOT', 4, 2000])
  assert.ok(info.json.finalized_height >= 1 && info.json.height >= info.json.finalized_height)

  const nodes = await call(g.base, 'GET', '/nodes/status')
  assert.equal(nodes.json.count, 4)
  assert.deepEqual(
    nodes.json.nodes.map((n: { rank: number }) => n.rank),
    [1, 2, 3, 4]
  )
  for (const n of nodes.json.nodes) {
    assert.match(n.node_id, /^[0-9a-f]{64}$/)
    // Genesis credits every devnet validator 1000 over the seven days before it, at full uptime.
    assert.deepEqual([n.status, n.credits, n.uptime], ['committee', 1000, 1])
  }

  const c = await call(g.base, 'GET', '/chain/consensus/status')
  assert.equal(c.json.algorithm, 'PoOT')
  assert.ok(
    nodes.json.nodes.some((n: { node_id: string }) => n.node_id === c.json.leader),
    'the leader is a validator'
  )
  assert.equal(c.json.healthy, true)
  assert.ok(c.json.finalized_height >= 1)

  const genesis = await call(g.base, 'GET', '/blocks/0')
  assert.deepEqual([genesis.json.height, genesis.json.final, genesis.json.transactions], [0, true, []])
  const one = await call(g.base, 'GET', '/api/v1/blocks/1')
  assert.equal(one.json.previous_hash, genesis.json.hash)
  const latest = await call(g.base, 'GET', '/chain/blocks/latest')
  assert.ok(latest.json.height >= info.json.finalized_height)
  assert.equal(errorCode(await call(g.base, 'GET', '/chain/blocks/99999999')), 'LUCID_ERR_5003')
  assert.equal(errorCode(await call(g.base, 'GET', `/transactions/${'0'.repeat(64)}`)), 'LUCID_ERR_5003')

  const cfg = await call(g.base, 'GET', '/config')
  assert.match(cfg.json.chain, /^PoOT devnet: 4 validators in-process on real timers, 2 s slots/)
  const key = await stat(join(dir, ACCOUNT_KEY_FILE))
  assert.equal(key.mode & 0o777, 0o600, 'the gateway account key is private')
  assert.ok(!cfg.text.includes((await readFile(join(dir, ACCOUNT_KEY_FILE), 'utf8')).trim()), 'never shown')
})

test("POST /transactions takes a transaction its sender signed, checked by the chain's rules; the gateway signs nothing for it", async () => {
  const admin = await login(g.base, 'admin', 'admin_password_123', '/admin/auth/login')
  await call(g.base, 'PUT', '/admin/users/test_user_2/roles', { token: admin, json: { roles: ['User', 'NodeOperator'] } })
  const op = await login(g.base, 'test_user_2', 'test_password_123')
  const sender = new Account(ed25519Signer(randomBytes(32)))
  const body = (tx: ReturnType<Account['tx']>, id?: string): unknown => ({
    ...(id !== undefined ? { transaction_id: id } : {}),
    type: tx.type,
    data: { from: tx.from, nonce: tx.nonce, payload: tx.payload, signature: tx.signature },
    timestamp: tx.timestamp
  })
  const policy = sender.tx('trust_policy', { policy_id: 'e2e-policy', rules: { min_uptime_bp: 2000 } }, Date.now())
  const ok = await call(g.base, 'POST', '/api/v1/transactions', { token: op, json: body(policy, txId(policy)) })
  assert.equal(ok.status, 202, ok.text)
  assert.equal(ok.json.tx_id, txId(policy))
  assert.equal((await final(ok.json.tx_id as string)).json.status, 'final')

  const replay = await call(g.base, 'POST', '/transactions', { token: op, json: body(policy) })
  assert.deepEqual([replay.status, errorCode(replay)], [409, 'LUCID_ERR_5012'])
  const next = sender.tx('trust_policy', { policy_id: 'e2e-policy', rules: {} }, Date.now())
  const forged = {
    ...(body(next) as { data: object }),
    data: { ...(body(next) as { data: object }).data, payload: { policy_id: 'e2e-policy', rules: { min_uptime_bp: 0 } } }
  }
  const bad = await call(g.base, 'POST', '/transactions', { token: op, json: forged })
  assert.deepEqual([bad.status, errorCode(bad)], [400, 'LUCID_ERR_5013'], 'a payload changed after signing')
  const wrongId = await call(g.base, 'POST', '/transactions', { token: op, json: body(next, 'ab'.repeat(32)) })
  assert.deepEqual([wrongId.status, errorCode(wrongId)], [400, 'LUCID_ERR_5002'])
  const anchor = sender.anchor({ session_id: 'squatted', manifest_hash: 'ab'.repeat(32), merkle_root: 'ab'.repeat(32) }, Date.now())
  const squat = await call(g.base, 'POST', '/transactions', { token: op, json: body(anchor) })
  assert.deepEqual([squat.status, errorCode(squat)], [400, 'LUCID_ERR_5002'], 'sessions are anchored by finalising them')
  assert.match(squat.json.error.message, /finalis/)
})

test('lucid chain export --from URL writes exactly what --data DIR writes, and Python recomputes it', async () => {
  // Stop the validators so that both exports see the same final chain; reads still answer.
  await g.ctx.chain?.close()
  const viaHttp = join(dir, 'http.json')
  const viaDisk = join(dir, 'disk.json')
  const write = process.stdout.write
  process.stdout.write = (() => true) as typeof process.stdout.write
  try {
    assert.equal(await chainCommand(['export', '--out', viaHttp, '--from', `${g.base}/api/v1`]), 0)
    assert.equal(await chainCommand(['export', '--out', viaDisk, '--data', dir]), 0)
  } finally {
    process.stdout.write = write
  }
  const [a, b] = await Promise.all([readFile(viaHttp, 'utf8'), readFile(viaDisk, 'utf8')])
  assert.equal(a, b)
  const doc = JSON.parse(a) as ChainExport
  assert.equal(doc.blocks.length, (await call(g.base, 'GET', '/chain/info')).json.finalized_height)
  const r = spawnSync('/usr/bin/python3', [RECOMPUTE, viaHttp], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stdout + r.stderr)
  const [, , txs, anchors, data] = r.stdout.trim().split(' ').map(Number)
  assert.deepEqual([anchors, data], [1, 1], 'one session anchor, one data anchor')
  assert.equal(txs, 3)
  // Paging: a page holds at most `limit` blocks and says where the chain ends.
  const page = await call(g.base, 'GET', '/chain/export?from=2&limit=1')
  assert.deepEqual([page.json.blocks.length, page.json.blocks[0].block.header.height, page.json.finalized_height], [1, 2, doc.blocks.length])
})

test('a restart on the data directory resumes the chain from its archive; another --validators is refused', async () => {
  const height = (await call(g.base, 'GET', '/chain/info')).json.finalized_height as number
  await g.close()
  await assert.rejects(
    testGateway({ dataDir: dir, chain: chainFactory(3) }),
    (err: Error & { code?: string }) => err.code === 'LUCID_ERR_5001' && /--validators 3/.test(err.message)
  )
  g = await testGateway({ dataDir: dir, chain: chainFactory() })
  alice = await login(g.base, 'test_user_1', 'test_password_123')
  assert.match((await call(g.base, 'GET', '/config')).json.chain, new RegExp(`resumed from its archive at final height ${height}`))
  const anchor = await call(g.base, 'GET', `/sessions/${sessionId}/anchor`, { token: alice })
  assert.deepEqual([anchor.json.status, anchor.json.tx_id], ['final', anchorTx], 'found again through the archive')
  // The chain goes on from where it stopped, and the gateway account's nonce with it.
  const pub = await call(g.base, 'POST', '/chain/anchor', { json: { session_id: 'after-restart', data_hash: 'x' } })
  assert.equal(pub.status, 201, pub.text)
  const fin = await final(pub.json.tx_id as string)
  assert.ok(fin.json.block_height > height)
})
