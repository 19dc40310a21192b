/**
 * Hostile input on every route of the OpenAPI document (root and /api/v1): malformed JSON, wrong types,
 * oversize bodies, wrong content types, junk and unknown ids, missing, expired, tampered and wrong-role
 * tokens. Every answer must be a 4xx with a catalogue code in the error body: never a 5xx, never a crash.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { ChainDouble } from './chain-double.ts'
import { call, login, testGateway, type Answer } from './helpers.ts'

type G = Awaited<ReturnType<typeof testGateway>>
let g: G
let routes: Array<{ method: string; path: string }>
let user: string
let expired: string

before(async () => {
  g = await testGateway({ chain: new ChainDouble() })
  const doc = (await call(g.base, 'GET', '/openapi.json')).json as { paths: Record<string, Record<string, unknown>> }
  routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })))
  expired = await login(g.base, 'test_user_2', 'test_password_123')
  g.clock.advance(16 * 60 * 1000)
  user = await login(g.base, 'test_user_1', 'test_password_123')
})
after(async () => {
  await g.close()
})

function check(a: Answer, what: string): void {
  assert.ok(a.status >= 400 && a.status < 500, `${what}: ${a.status} ${a.text.slice(0, 200)}`)
  assert.match(String(a.json?.error?.code), /^LUCID_ERR_[0-9]{4}$/, `${what}: error body ${a.text.slice(0, 200)}`)
  assert.equal(typeof a.json.error.message, 'string')
}

const JUNK_IDS = ['does-not-exist', '..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(300), "'%20OR%201=1--", '%E2%80%AE', '%FF%FE', '-1', '1e400']
const withId = (path: string, id: string): string => path.replace(/\{[a-z_]+\}/g, id)

test('the document lists the routes of every area', () => {
  assert.ok(routes.length >= 60, `${routes.length} routes`)
})

test('every route with a junk or unknown id, no token, a tampered token, an expired token: 4xx with a code', async () => {
  let n = 0
  for (const r of routes) {
    if (r.path.endsWith('/health') || r.path === '/openapi.json') continue
    const ids = r.path.includes('{') ? JUNK_IDS : ['']
    for (const id of ids) {
      const path = withId(r.path, id)
      for (const token of [undefined, user, `${user.slice(0, -2)}xx`, expired]) {
        const a = await call(g.base, r.method, path, {
          ...(token !== undefined ? { token } : {}),
          ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { json: {} })
        })
        n++
        if (a.status < 300) continue // e.g. GET /chain/info is public and needs no id: fine
        check(a, `${r.method} ${path} token=${token === undefined ? 'none' : token === user ? 'valid' : 'bad'}`)
      }
    }
  }
  assert.ok(n > 500)
})

test('every route with a body: malformed JSON, wrong types, arrays, nulls, deep nesting, unknown fields, wrong content type', async () => {
  const deep = '['.repeat(5000) + ']'.repeat(5000)
  const bodies: Array<[string, string, string]> = [
    ['malformed', '{"username": ', 'application/json'],
    ['truncated', '{"a":1', 'application/json'],
    ['array', '[1,2,3]', 'application/json'],
    ['null', 'null', 'application/json'],
    ['number', '42', 'application/json'],
    [
      'wrong types',
      JSON.stringify({
        username: 1,
        password: true,
        session_id: [],
        data_hash: {},
        type: 7,
        data: 'x',
        roles: 'Admin',
        tron_address: 5,
        refresh_token: null,
        merkle_root: 1,
        duration_minutes: '30'
      }),
      'application/json'
    ],
    ['unknown fields', JSON.stringify({ zzz: 1 }), 'application/json'],
    ['deep nesting', deep, 'application/json'],
    ['NUL and bad UTF-8', '{"username":"a\\u0000b","password":"\udc00"}', 'application/json'],
    ['form', 'a=1&b=2', 'application/x-www-form-urlencoded'],
    ['text', 'hello', 'text/plain']
  ]
  for (const r of routes.filter((x) => x.method === 'POST' || x.method === 'PUT')) {
    const path = withId(r.path, 'does-not-exist')
    for (const [what, body, type] of bodies) {
      for (const token of [undefined, user]) {
        const a = await call(g.base, r.method, path, { body, headers: { 'content-type': type }, ...(token !== undefined ? { token } : {}) })
        check(a, `${r.method} ${path} ${what}`)
      }
    }
  }
})

test('oversize JSON bodies are 413 LUCID_ERR_1007; oversize headers and URLs never reach a 5xx', async () => {
  const big = JSON.stringify({ username: 'a', password: 'x'.repeat(1024 * 1024 + 10) })
  const a = await call(g.base, 'POST', '/auth/login', { body: big, headers: { 'content-type': 'application/json' } })
  assert.equal(a.status, 413)
  assert.equal(a.json.error.code, 'LUCID_ERR_1007')
  const longUrl = await call(g.base, 'GET', `/sessions/${'a'.repeat(10_000)}`, { token: user })
  assert.ok(longUrl.status >= 400 && longUrl.status < 500)
  assert.equal((await call(g.base, 'GET', '/sessions', { token: user, headers: { 'x-junk': 'x'.repeat(8000) } })).status, 200)
  // Past node's 16 KiB header limit, node:http itself answers 431 (before any route runs).
  assert.equal((await call(g.base, 'GET', '/sessions', { token: user, headers: { 'x-junk': 'x'.repeat(20_000) } })).status, 431)
})

test('bad URLs and unknown routes answer in the error shape', async () => {
  check(await call(g.base, 'GET', '/sessions/%E0%A4%A'), 'bad percent-encoding')
  check(await call(g.base, 'GET', '/no/such/route'), 'unknown route')
  check(await call(g.base, 'PATCH', '/sessions'), 'unknown method')
  check(await call(g.base, 'GET', '/sessions?limit=abc', { token: user }), 'bad query')
  check(await call(g.base, 'GET', '/sessions?limit=5&evil=1', { token: user }), 'unknown query parameter')
})

test('after all that, the gateway still answers', async () => {
  assert.equal((await call(g.base, 'GET', '/health')).status, 200)
  assert.equal((await call(g.base, 'GET', '/sessions', { token: user })).status, 200)
})
