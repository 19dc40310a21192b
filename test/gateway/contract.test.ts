/**
 * The load contract (docs/reference.md section 2), end to end over real HTTP: each of the four Locust
 * user kinds runs its task sequence in order with its payloads, reads the fields it reads, and every
 * answer is a success code of the contract. Run at the root paths and again under /api/v1. The chain
 * routes answer through a test double here; chain-e2e.test.ts runs them against the real devnet.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { call, login, passwordOf, testGateway } from './helpers.ts'
import { ChainDouble } from './chain-double.ts'

type G = Awaited<ReturnType<typeof testGateway>>
let g: G

before(async () => {
  g = await testGateway({ chain: new ChainDouble() })
})
after(async () => {
  await g.close()
})

const ok = (status: number, allowed: number[], what: string): void => {
  assert.ok(allowed.includes(status), `${what}: ${status}`)
}

for (const prefix of ['', '/api/v1']) {
  describe(`load contract at ${prefix === '' ? 'the root' : prefix}`, () => {
    test('APIUser: health x3, login x2, create session, list x2, chain info, node status, delete', async () => {
      for (let i = 0; i < 3; i++) {
        const h = await call(g.base, 'GET', `${prefix}/health`)
        ok(h.status, [200], 'GET /health')
        assert.equal(h.text, '{"status":"healthy","service":"lucid-api-gateway"}')
      }
      let token = ''
      for (let i = 0; i < 2; i++) {
        const a = await call(g.base, 'POST', `${prefix}/auth/login`, { json: { username: 'test_user_1', password: 'test_password_123' } })
        ok(a.status, [200, 201], 'POST /auth/login')
        assert.equal(typeof a.json.token, 'string')
        assert.equal(a.json.access_token, a.json.token)
        token = a.json.token
      }
      const s = await call(g.base, 'POST', `${prefix}/sessions`, { token, json: { user_id: 'user_42', session_type: 'rdp', duration_minutes: 90 } })
      ok(s.status, [200, 201], 'POST /sessions')
      const id = s.json.session_id as string
      assert.match(id, /^[0-9a-f-]{36}$/)
      assert.equal(s.json.owner, 'test_user_1', 'the owner is the token subject')
      assert.equal(s.json.label, 'user_42', 'the body user_id is kept as a label')
      for (let i = 0; i < 2; i++) {
        const l = await call(g.base, 'GET', `${prefix}/sessions`, { token })
        ok(l.status, [200], 'GET /sessions')
        assert.ok(l.json.sessions.some((x: { session_id: string }) => x.session_id === id))
      }
      ok((await call(g.base, 'GET', `${prefix}/chain/info`)).status, [200], 'GET /chain/info')
      const n = await call(g.base, 'GET', `${prefix}/nodes/status`)
      ok(n.status, [200], 'GET /nodes/status')
      assert.equal(n.json.nodes[0].rank, 1)
      assert.equal(typeof n.json.nodes[0].credits, 'number')
      ok((await call(g.base, 'DELETE', `${prefix}/sessions/${id}`, { token })).status, [200, 204], 'DELETE /sessions/{id}')
      assert.equal((await call(g.base, 'GET', `${prefix}/sessions/${id}`, { token })).status, 404)
    })

    test('BlockchainUser: chain info x3, latest block x2, anchor, consensus status', async () => {
      for (let i = 0; i < 3; i++) ok((await call(g.base, 'GET', `${prefix}/chain/info`)).status, [200], 'GET /chain/info')
      for (let i = 0; i < 2; i++) {
        const b = await call(g.base, 'GET', `${prefix}/chain/blocks/latest`)
        ok(b.status, [200], 'GET /chain/blocks/latest')
        assert.equal(typeof b.json.height, 'number')
      }
      const a = await call(g.base, 'POST', `${prefix}/chain/anchor`, {
        json: { session_id: 'session_7', data_hash: 'ab'.repeat(32), timestamp: new Date(g.clock.now()).toISOString() }
      })
      // Issue 16, item 6: the original client counts 200/201 only; 201 Created with the receipt, its status
      // URL in the body and in Location.
      ok(a.status, [201], 'POST /chain/anchor')
      assert.equal(a.json.status, 'pending')
      assert.equal(typeof a.json.tx_id, 'string')
      assert.equal(a.json.status_url, `${prefix}/chain/anchor/${String(a.json.tx_id)}`)
      assert.equal(a.headers.location, a.json.status_url)
      const st = await call(g.base, 'GET', a.json.status_url as string)
      ok(st.status, [200], "GET the receipt's status URL")
      assert.equal(st.json.tx_id, a.json.tx_id)
      const c = await call(g.base, 'GET', `${prefix}/chain/consensus/status`)
      ok(c.status, [200], 'GET /chain/consensus/status')
      assert.equal(c.json.algorithm, 'PoOT')
    })

    test('SessionUser: login x2, create x3 with quality, get x4, delete', async () => {
      let token = ''
      for (let i = 0; i < 2; i++) token = await login(g.base, 'session_user_1', passwordOf('session_user_1'), `${prefix}/auth/login`)
      const ids: string[] = []
      for (const quality of ['low', 'medium', 'high']) {
        const s = await call(g.base, 'POST', `${prefix}/sessions`, {
          token,
          json: { user_id: 'session_user_1', session_type: 'rdp', duration_minutes: 30, quality }
        })
        ok(s.status, [200, 201], 'POST /sessions')
        assert.equal(s.json.quality, quality)
        ids.push(s.json.session_id)
      }
      const id = ids[0] as string
      for (let i = 0; i < 4; i++) {
        const s = await call(g.base, 'GET', `${prefix}/sessions/${id}`, { token })
        ok(s.status, [200], 'GET /sessions/{id}')
        assert.equal(s.json.session_id, id)
      }
      ok((await call(g.base, 'DELETE', `${prefix}/sessions/${id}`, { token })).status, [200, 204], 'DELETE /sessions/{id}')
    })

    test('AdminUser: admin login, overview x2, metrics, users', async () => {
      const token = await login(g.base, 'admin', 'admin_password_123', `${prefix}/admin/auth/login`)
      for (let i = 0; i < 2; i++) {
        const o = await call(g.base, 'GET', `${prefix}/admin/dashboard/overview`, { token })
        ok(o.status, [200], 'GET /admin/dashboard/overview')
        assert.ok(o.json.users.total >= 4)
      }
      const m = await call(g.base, 'GET', `${prefix}/admin/dashboard/metrics`, { token })
      ok(m.status, [200], 'GET /admin/dashboard/metrics')
      assert.equal(m.json.kdf.algorithm, 'scrypt N=2^12 r=8 p=1')
      const u = await call(g.base, 'GET', `${prefix}/admin/users/`, { token })
      ok(u.status, [200], 'GET /admin/users/')
      assert.ok(u.json.users.some((x: { user_id: string }) => x.user_id === 'admin'))
    })
  })
}

test('the OpenAPI document lists every contract route, at the root and under /api/v1', async () => {
  const doc = (await call(g.base, 'GET', '/openapi.json')).json
  for (const p of [
    '/health',
    '/auth/login',
    '/sessions',
    '/sessions/{id}',
    '/chain/info',
    '/chain/blocks/latest',
    '/chain/anchor',
    '/chain/consensus/status',
    '/nodes/status',
    '/admin/auth/login',
    '/admin/dashboard/overview',
    '/admin/dashboard/metrics',
    '/admin/users'
  ]) {
    assert.ok(doc.paths[p] !== undefined, `${p} in the OpenAPI document`)
    assert.ok(doc.paths[`/api/v1${p}`] !== undefined, `/api/v1${p} in the OpenAPI document`)
  }
})
