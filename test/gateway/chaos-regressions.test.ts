/**
 * Regressions found by `lucid chaos --suite fuzz` (docs/chaos.md): each was a 5xx or an answer outside the
 * error shape before its fix.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { ChainDouble } from './chain-double.ts'
import { call, errorCode, login, testGateway } from './helpers.ts'

type G = Awaited<ReturnType<typeof testGateway>>
let g: G
let token: string
let sid: string

before(async () => {
  g = await testGateway({ accounts: ['test_user_1'], chain: new ChainDouble() })
  token = await login(g.base, 'test_user_1', 'test_password_123')
  sid = (await call(g.base, 'POST', '/sessions', { token, json: { session_type: 'rdp' } })).json.session_id as string
})
after(async () => {
  await g.close()
})

const part = '--B\r\ncontent-disposition: form-data; name="chunk_data"; filename="c.bin"\r\ncontent-type: application/octet-stream\r\n\r\nabc\r\n'

test('a multipart upload without a boundary is 400 LUCID_ERR_1001, not 500 (was: busboy "Boundary not found")', async () => {
  const a = await call(g.base, 'POST', `/sessions/${sid}/chunks`, {
    token,
    body: `${part}--B--\r\n`,
    headers: { 'content-type': 'multipart/form-data; boundary=' }
  })
  assert.equal(a.status, 400, a.text)
  assert.equal(errorCode(a), 'LUCID_ERR_1001')
  assert.match(a.json.error.message, /malformed multipart body/)
})

test('a multipart upload cut short is 400 LUCID_ERR_1001, not 500 (was: busboy "Unexpected end of form")', async () => {
  const a = await call(g.base, 'POST', `/sessions/${sid}/chunks`, {
    token,
    body: part.slice(0, 40),
    headers: { 'content-type': 'multipart/form-data; boundary=B' }
  })
  assert.equal(a.status, 400, a.text)
  assert.equal(errorCode(a), 'LUCID_ERR_1001')
})

test('the session still takes a well-formed multipart chunk after those', async () => {
  const a = await call(g.base, 'POST', `/sessions/${sid}/chunks`, {
    token,
    body: `${part}--B--\r\n`,
    headers: { 'content-type': 'multipart/form-data; boundary=B' }
  })
  assert.equal(a.status, 201, a.text)
  assert.equal(a.json.chunk_index, 0)
})

test("headers over 16 KiB are 431 with LUCID_ERR_1012 in the error shape (was: fastify's own body)", async () => {
  const a = await call(g.base, 'GET', '/health', { headers: { 'x-junk': 'x'.repeat(20_000) } })
  assert.equal(a.status, 431)
  assert.equal(errorCode(a), 'LUCID_ERR_1012')
})

test('malformed HTTP is 400 LUCID_ERR_1001 in the error shape, and the server keeps answering', async () => {
  const raw = await new Promise<string>((resolve, reject) => {
    const s = connect(g.port, '127.0.0.1', () => {
      s.write('GET /health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n')
    })
    let got = ''
    s.on('data', (d) => {
      got += d.toString('latin1')
    })
    s.on('close', () => resolve(got))
    s.on('error', reject)
  })
  assert.match(raw, /^HTTP\/1\.1 400 /)
  assert.equal(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)).error.code, 'LUCID_ERR_1001')
  assert.equal((await call(g.base, 'GET', '/health')).status, 200)
})

test('a data anchor whose label or data_hash holds a lone surrogate is 400 LUCID_ERR_1001, not 500', async () => {
  for (const body of ['{"session_id":"\\ud800x","data_hash":"abc"}', '{"session_id":"ok","data_hash":"\\udfff\\ud800"}']) {
    const a = await call(g.base, 'POST', '/chain/anchor', { body, headers: { 'content-type': 'application/json' } })
    assert.equal(a.status, 400, `${body}: ${a.text}`)
    assert.equal(errorCode(a), 'LUCID_ERR_1001')
  }
  // A surrogate pair (an emoji) is well-formed and still anchors.
  const ok = await call(g.base, 'POST', '/chain/anchor', { json: { session_id: 'label \u{1F600}', data_hash: 'abc' } })
  assert.equal(ok.status, 201, ok.text)
})
