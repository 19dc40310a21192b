/**
 * Sessions through the gateway: chunk upload (raw and multipart) into the session pipeline, verified
 * playback, manifest, status, ownership, finalisation, and the anchor of a finalised session through the
 * chain port: a test double here, driven block by block; "found in a final block" of the real PoOT devnet
 * is proven in chain-e2e.test.ts.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FormData } from 'undici'
import { request } from 'undici'
import { ChainDouble } from './chain-double.ts'
import { call, errorCode, login, testGateway } from './helpers.ts'

type G = Awaited<ReturnType<typeof testGateway>>
let g: G
let chain: ChainDouble
let alice: string
let bob: string
let admin: string

before(async () => {
  chain = new ChainDouble()
  g = await testGateway({ chain })
  alice = await login(g.base, 'test_user_1', 'test_password_123')
  bob = await login(g.base, 'test_user_2', 'test_password_123')
  admin = await login(g.base, 'admin', 'admin_password_123', '/admin/auth/login')
})
after(async () => {
  await g.close()
})

const octet = { 'content-type': 'application/octet-stream' }
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function newSession(token = alice): Promise<string> {
  const s = await call(g.base, 'POST', '/sessions', { token, json: { user_id: 'someone_else', session_type: 'rdp', duration_minutes: 60, quality: 'high' } })
  assert.equal(s.status, 201)
  return s.json.session_id as string
}

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field by the tests
async function multipart(id: string, data: Buffer, metadata?: unknown): Promise<{ status: number; json: any }> {
  const form = new FormData()
  if (metadata !== undefined) form.append('metadata', JSON.stringify(metadata))
  form.append('chunk_data', new Blob([data]), 'chunk.bin')
  const r = await request(`${g.base}/api/v1/sessions/${id}/chunks`, { method: 'POST', headers: { authorization: `Bearer ${alice}` }, body: form })
  return { status: r.statusCode, json: await r.body.json() }
}

test('upload raw and multipart chunks, finalise, play back every chunk byte for byte with its integrity verified', async () => {
  const id = await newSession()
  const chunks = [randomBytes(50_000), Buffer.alloc(200_000, 'frame '), randomBytes(1000)]
  const a = await call(g.base, 'POST', `/sessions/${id}/chunks?chunk_index=0&sha256=${sha(chunks[0] as Buffer)}`, {
    token: alice,
    body: chunks[0],
    headers: octet
  })
  assert.equal(a.status, 201)
  assert.equal(a.json.chunk_index, 0)
  assert.equal(a.json.plaintext_bytes, 50_000)
  const b = await multipart(id, chunks[1] as Buffer, { chunk_index: 1, sha256: sha(chunks[1] as Buffer) })
  assert.equal(b.status, 201)
  assert.ok(b.json.compressed_bytes < 2000, 'repetitive frames compress')
  const c = await multipart(id, chunks[2] as Buffer)
  assert.equal(c.json.chunk_count, 3)

  const st = await call(g.base, 'GET', `/sessions/${id}/status`, { token: alice })
  assert.deepEqual([st.json.status, st.json.chunk_count], ['recording', 3])
  const early = await call(g.base, 'GET', `/sessions/${id}/chunks/0`, { token: alice })
  assert.equal(early.status, 409)
  assert.equal(errorCode(early), 'LUCID_ERR_2011')

  const f = await call(g.base, 'POST', `/sessions/${id}/finalize`, { token: alice })
  assert.equal(f.status, 200)
  assert.equal(f.json.status, 'finalised')
  assert.match(f.json.merkle_root, /^[0-9a-f]{64}$/)
  const m = await call(g.base, 'GET', `/sessions/${id}/manifest`, { token: alice })
  assert.equal(m.json.merkle_root, f.json.merkle_root)
  assert.equal(m.json.manifest_hash, f.json.manifest_hash)
  assert.deepEqual(
    m.json.chunks.map((x: { plaintext_size: number }) => x.plaintext_size),
    [50_000, 200_000, 1000]
  )

  for (let i = 0; i < 3; i++) {
    const p = await call(g.base, 'GET', `/sessions/${id}/chunks/${i}`, { token: alice })
    assert.equal(p.status, 200)
    assert.equal(p.headers['content-type'], 'application/octet-stream')
    assert.ok(p.bytes.equals(chunks[i] as Buffer), `chunk ${i} plays back as uploaded`)
  }
  assert.equal(errorCode(await call(g.base, 'GET', `/sessions/${id}/chunks/3`, { token: alice })), 'LUCID_ERR_2007')
  const late = await call(g.base, 'POST', `/sessions/${id}/chunks`, { token: alice, body: Buffer.alloc(10), headers: octet })
  assert.equal(errorCode(late), 'LUCID_ERR_2011')
})

test('a chunk altered on disk is refused at playback (422 LUCID_ERR_2008), not served', async () => {
  const id = await newSession()
  await call(g.base, 'POST', `/sessions/${id}/chunks`, { token: alice, body: randomBytes(4096), headers: octet })
  await call(g.base, 'POST', `/sessions/${id}/finalize`, { token: alice })
  const file = join(g.dataDir, 'sessions', id, 'chunks', '000000000000.lsc')
  const bytes = await readFile(file)
  bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 1
  await writeFile(file, bytes)
  const p = await call(g.base, 'GET', `/sessions/${id}/chunks/0`, { token: alice })
  assert.equal(p.status, 422)
  assert.equal(errorCode(p), 'LUCID_ERR_2008')
})

test('upload checks: out-of-order index 409 LUCID_ERR_2003, SHA-256 mismatch 422 LUCID_ERR_2008, bad metadata 400, oversize 413, JSON 415', async () => {
  const id = await newSession()
  const wrongIdx = await call(g.base, 'POST', `/sessions/${id}/chunks?chunk_index=5`, { token: alice, body: Buffer.alloc(10), headers: octet })
  assert.equal(wrongIdx.status, 409)
  assert.equal(errorCode(wrongIdx), 'LUCID_ERR_2003')
  const wrongHash = await call(g.base, 'POST', `/sessions/${id}/chunks?sha256=${'0'.repeat(64)}`, { token: alice, body: Buffer.alloc(10), headers: octet })
  assert.equal(errorCode(wrongHash), 'LUCID_ERR_2008')
  assert.equal((await multipart(id, Buffer.alloc(10), 'not an object')).status, 400)
  const big = await call(g.base, 'POST', `/sessions/${id}/chunks`, { token: alice, body: Buffer.alloc(16 * 1024 * 1024 + 1), headers: octet })
  assert.equal(big.status, 413)
  assert.equal(errorCode(big), 'LUCID_ERR_1007')
  const json = await call(g.base, 'POST', `/sessions/${id}/chunks`, { token: alice, json: { data: 'x' } })
  assert.equal(errorCode(json), 'LUCID_ERR_1008')
  const empty = await call(g.base, 'POST', `/sessions/${id}/chunks`, { token: alice, body: Buffer.alloc(0), headers: octet })
  assert.equal(empty.status, 400)
  // Nothing of the refused uploads was stored.
  assert.equal((await call(g.base, 'GET', `/sessions/${id}`, { token: alice })).json.chunk_count, 0)
})

test('ownership: another user sees 404 for every route of the session; an Admin may read but not write', async () => {
  const id = await newSession()
  await call(g.base, 'POST', `/sessions/${id}/chunks`, { token: alice, body: Buffer.alloc(100, 2), headers: octet })
  for (const [m, p] of [
    ['GET', ''],
    ['GET', '/status'],
    ['GET', '/manifest'],
    ['GET', '/anchor'],
    ['GET', '/chunks/0'],
    ['POST', '/finalize'],
    ['DELETE', '']
  ] as const) {
    const r = await call(g.base, m, `/sessions/${id}${p}`, { token: bob })
    assert.equal(r.status, 404, `${m} ${p}`)
    assert.equal(errorCode(r), 'LUCID_ERR_1006')
  }
  assert.equal((await call(g.base, 'POST', `/sessions/${id}/chunks`, { token: bob, body: Buffer.alloc(10), headers: octet })).status, 404)
  assert.ok(!(await call(g.base, 'GET', '/sessions', { token: bob })).json.sessions.some((s: { session_id: string }) => s.session_id === id))
  const seen = await call(g.base, 'GET', `/sessions/${id}`, { token: admin })
  assert.equal(seen.json.owner, 'test_user_1')
  assert.equal(seen.json.label, 'someone_else')
  assert.equal((await call(g.base, 'POST', `/sessions/${id}/finalize`, { token: admin })).status, 404)
})

test('delete removes the session, its chunks and its recording', async () => {
  const id = await newSession()
  await call(g.base, 'POST', `/sessions/${id}/chunks`, { token: alice, body: Buffer.alloc(100, 2), headers: octet })
  assert.equal((await call(g.base, 'DELETE', `/sessions/${id}`, { token: alice })).status, 204)
  assert.equal((await call(g.base, 'GET', `/sessions/${id}`, { token: alice })).status, 404)
  assert.deepEqual(await g.ctx.db.chunks.bySession(id), [])
  await assert.rejects(readFile(join(g.dataDir, 'sessions', id, 'recording.json')), { code: 'ENOENT' })
  assert.equal((await call(g.base, 'DELETE', `/sessions/${id}`, { token: alice })).status, 404)
})

test("a finalised session's anchor: pending, then in a block, then final; the block carries it; the session records it", async () => {
  const id = await newSession()
  await call(g.base, 'POST', `/sessions/${id}/chunks`, { token: alice, body: randomBytes(2048), headers: octet })
  const f = await call(g.base, 'POST', `/sessions/${id}/finalize`, { token: alice })
  assert.equal(f.json.anchor.status, 'pending')
  assert.equal(f.json.anchor_error, '')
  const txId = f.json.anchor.tx_id as string

  // Someone else anchors data under this session's id: a public data anchor, never the session's.
  const pub = await call(g.base, 'POST', '/chain/anchor', {
    json: { session_id: id, data_hash: 'forged manifest', timestamp: new Date(g.clock.now()).toISOString() }
  })
  assert.equal(pub.status, 201)
  assert.notEqual(pub.json.tx_id, txId)

  const block = chain.produceBlock()
  const included = await call(g.base, 'GET', `/sessions/${id}/anchor`, { token: alice })
  assert.deepEqual([included.json.status, included.json.block_height], ['included', block.height])
  assert.equal((await call(g.base, 'GET', `/sessions/${id}`, { token: alice })).json.blockchain_anchor, null, 'not recorded before finality')

  chain.finalise()
  const fin = await call(g.base, 'GET', `/sessions/${id}/anchor`, { token: alice })
  assert.equal(fin.json.status, 'final')
  assert.equal(fin.json.tx_id, txId, "the public anchor did not replace the owner's")
  const b = await call(g.base, 'GET', `/chain/blocks/${fin.json.block_height as number}`)
  assert.equal(b.json.final, true)
  const mine = b.json.anchors.find((x: { tx_id: string }) => x.tx_id === txId)
  assert.deepEqual([mine.kind, mine.label, mine.digest, mine.merkle_root], ['session', id, f.json.manifest_hash, f.json.merkle_root])
  const theirs = b.json.anchors.find((x: { tx_id: string }) => x.tx_id === pub.json.tx_id)
  assert.deepEqual([theirs.kind, theirs.digest], ['data', createHash('sha256').update('forged manifest').digest('hex')])
  const s = await call(g.base, 'GET', `/sessions/${id}`, { token: alice })
  assert.deepEqual(s.json.blockchain_anchor, { block_height: block.height, hash: block.hash })
  const receipt = await call(g.base, 'GET', `/chain/anchor/${pub.json.tx_id as string}`)
  assert.equal(receipt.json.status, 'final')

  // POST /anchoring/session is idempotent and checks the Merkle root against the manifest.
  const again = await call(g.base, 'POST', '/api/v1/anchoring/session', {
    token: alice,
    json: { session_id: id, user_id: 'x', merkle_root: f.json.merkle_root, chunks: [], timestamp: Date.now() }
  })
  assert.equal(again.status, 202)
  assert.equal(again.json.tx_id, txId)
  const wrong = await call(g.base, 'POST', '/anchoring/session', { token: alice, json: { session_id: id, merkle_root: 'ab'.repeat(32) } })
  assert.equal(wrong.status, 422)
  assert.equal(errorCode(wrong), 'LUCID_ERR_2005')
})

test('chain routes: block by height 404 LUCID_ERR_5003 above the tip, transactions by a NodeOperator, without a chain 503 LUCID_ERR_5004', async () => {
  assert.equal(errorCode(await call(g.base, 'GET', '/blocks/999999')), 'LUCID_ERR_5003')
  assert.equal(errorCode(await call(g.base, 'GET', '/transactions/nope')), 'LUCID_ERR_5003')
  await call(g.base, 'PUT', '/admin/users/test_user_2/roles', { token: admin, json: { roles: ['NodeOperator'] } })
  const op = await login(g.base, 'test_user_2', 'test_password_123')
  const tx = await call(g.base, 'POST', '/api/v1/transactions', {
    token: op,
    json: { transaction_id: 'tx_1', type: 'node_registration', data: { node_id: 'n1' }, timestamp: 1_700_000_000 }
  })
  assert.equal(tx.status, 202)
  assert.equal(tx.json.tx_id, 'tx_1')
  assert.equal(
    errorCode(
      await call(g.base, 'POST', '/transactions', {
        token: op,
        json: { transaction_id: 'tx_1', type: 'node_registration', data: {}, timestamp: 1_700_000_000 }
      })
    ),
    'LUCID_ERR_5002'
  )
  const unsigned = await call(g.base, 'POST', '/transactions', { token: op, json: { type: 'node_registration', data: {} } })
  assert.deepEqual([unsigned.status, errorCode(unsigned)], [400, 'LUCID_ERR_1001'], 'the signed timestamp is required')

  const bare = await testGateway({ accounts: ['test_user_1'] })
  try {
    const t = await login(bare.base, 'test_user_1', 'test_password_123')
    for (const p of ['/chain/info', '/chain/blocks/latest', '/nodes/status', '/chain/consensus/status'])
      assert.equal(errorCode(await call(bare.base, 'GET', p)), 'LUCID_ERR_5004')
    const id = (await call(bare.base, 'POST', '/sessions', { token: t, json: {} })).json.session_id as string
    const f = await call(bare.base, 'POST', `/sessions/${id}/finalize`, { token: t })
    assert.equal(f.status, 200, 'finalisation does not need the chain')
    assert.equal(f.json.anchor, null)
    assert.match(f.json.anchor_error, /LUCID_ERR_5004|Chain not available/)
  } finally {
    await bare.close()
  }
})
