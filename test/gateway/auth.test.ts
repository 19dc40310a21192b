/**
 * Tokens, roles, refresh, registration and password hashing: the default cost is OWASP's (proved by one
 * real hash), admission control refuses with 503 when the hashing queue is full (a held-back derivation
 * makes that deterministic), and token expiry is driven by a manual clock, not by sleeping.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { DEFAULT_KDF, LOAD_TEST_KDF, resolveConfig, scryptMaxmem } from '../../services/gateway/index.ts'
import { KdfPool } from '../../services/gateway/auth/passwords.ts'
import { call, errorCode, login, testGateway } from './helpers.ts'

type G = Awaited<ReturnType<typeof testGateway>>
let g: G

before(async () => {
  g = await testGateway()
})
after(async () => {
  await g.close()
})

const b64url = (s: string): string => Buffer.from(s).toString('base64url')

test('the default KDF is scrypt N=2^17 r=8 p=1, with maxmem above its 128 MiB; --load-test lowers it to N=2^12', async () => {
  const cfg = resolveConfig()
  assert.deepEqual(cfg.kdf, { N: 2 ** 17, r: 8, p: 1 })
  assert.deepEqual(resolveConfig({ loadTest: true }).kdf, { N: 2 ** 12, r: 8, p: 1 })
  assert.equal(resolveConfig({ loadTest: true }).rateLimits, false)
  assert.ok(scryptMaxmem(DEFAULT_KDF) > 128 * 2 ** 17 * 8)
  // One real hash at the default cost: it succeeds (maxmem is right) and records its parameters.
  const pool = new KdfPool(1, 0)
  const h = await pool.hash('pw', DEFAULT_KDF)
  assert.equal(h.N, 131072)
  assert.equal(await pool.verify('pw', h), true)
  assert.equal(await pool.verify('wrong', h), false)
})

test('login answers token and access_token with the lifetimes; bad password and unknown user are 401 LUCID_ERR_1004', async () => {
  const a = await call(g.base, 'POST', '/auth/login', { json: { username: 'test_user_1', password: 'test_password_123' } })
  assert.equal(a.status, 200)
  assert.equal(a.json.expires_in, 900)
  assert.equal(a.json.refresh_expires_in, 7 * 24 * 3600)
  assert.deepEqual(a.json.roles, ['User'])
  const [header, payload] = (a.json.token as string).split('.')
  assert.equal(JSON.parse(Buffer.from(header as string, 'base64url').toString()).alg, 'HS256')
  const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString())
  assert.equal(claims.exp - claims.iat, 900)
  for (const body of [
    { username: 'test_user_1', password: 'nope' },
    { username: 'nobody', password: 'test_password_123' }
  ]) {
    const r = await call(g.base, 'POST', '/auth/login', { json: body })
    assert.equal(r.status, 401)
    assert.equal(errorCode(r), 'LUCID_ERR_1004')
  }
})

test('access tokens expire after 15 minutes; refresh gives a new pair once, and expires after 7 days', async () => {
  const a = await call(g.base, 'POST', '/auth/login', { json: { username: 'test_user_2', password: 'test_password_123' } })
  const { token, refresh_token: refresh } = a.json
  assert.equal((await call(g.base, 'GET', '/users/me', { token })).status, 200)
  g.clock.advance(15 * 60 * 1000 + 1000)
  const expired = await call(g.base, 'GET', '/users/me', { token })
  assert.equal(expired.status, 401)
  assert.equal(errorCode(expired), 'LUCID_ERR_1003')
  const r = await call(g.base, 'POST', '/auth/refresh', { json: { refresh_token: refresh } })
  assert.equal(r.status, 200)
  assert.equal((await call(g.base, 'GET', '/users/me', { token: r.json.token })).json.user_id, 'test_user_2')
  const again = await call(g.base, 'POST', '/auth/refresh', { json: { refresh_token: refresh } })
  assert.equal(again.status, 401, 'a refresh token is single use')
  assert.equal(errorCode(again), 'LUCID_ERR_1003')
  // An access token is not a refresh token and vice versa.
  assert.equal((await call(g.base, 'POST', '/auth/refresh', { json: { refresh_token: r.json.token } })).status, 401)
  assert.equal((await call(g.base, 'GET', '/users/me', { token: r.json.refresh_token })).status, 401)
  g.clock.advance(7 * 24 * 3600 * 1000 + 1000)
  assert.equal((await call(g.base, 'POST', '/auth/refresh', { json: { refresh_token: r.json.refresh_token } })).status, 401)
})

test('tampered, alg none, wrong-key and malformed tokens are 401 LUCID_ERR_1003; no token is 401 LUCID_ERR_1002', async () => {
  const token = await login(g.base, 'test_user_1', 'test_password_123')
  // Verified once first, so it sits in the verified-token cache: a forgery of it must still fail.
  assert.equal((await call(g.base, 'GET', '/users/me', { token })).status, 200)
  const [h, p, s] = token.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
  const asAdmin = b64url(JSON.stringify({ ...claims, roles: ['SuperAdmin'] }))
  const forged = [
    `${h}.${asAdmin}.${s}`,
    `${b64url('{"alg":"none","typ":"JWT"}')}.${asAdmin}.`,
    `${h}.${asAdmin}.${createHmac('sha256', 'another key').update(`${h}.${asAdmin}`).digest('base64url')}`,
    'not-a-token',
    `${h}.${p}`,
    `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BA' : 'AA'}`
  ]
  for (const t of forged) {
    const r = await call(g.base, 'GET', '/admin/users', { token: t })
    assert.equal(r.status, 401, t)
    assert.equal(errorCode(r), 'LUCID_ERR_1003')
  }
  const basic = await call(g.base, 'GET', '/users/me', { headers: { authorization: 'Basic dXNlcjpwdw==' } })
  assert.equal(errorCode(basic), 'LUCID_ERR_1003')
  const none = await call(g.base, 'GET', '/users/me')
  assert.equal(none.status, 401)
  assert.equal(errorCode(none), 'LUCID_ERR_1002')
})

test('roles: User is refused admin routes (403), admin login refuses a User, SuperAdmin changes roles, NodeOperator submits transactions', async () => {
  const user = await login(g.base, 'test_user_1', 'test_password_123')
  for (const [m, p] of [
    ['GET', '/admin/dashboard/overview'],
    ['GET', '/admin/dashboard/metrics'],
    ['GET', '/admin/users']
  ] as const) {
    const r = await call(g.base, m, p, { token: user })
    assert.equal(r.status, 403, p)
    assert.equal(errorCode(r), 'LUCID_ERR_1005')
  }
  const adminLogin = await call(g.base, 'POST', '/admin/auth/login', { json: { username: 'test_user_1', password: 'test_password_123' } })
  assert.equal(adminLogin.status, 403)
  const tx = { type: 'node_registration', data: { node_id: 'n1' }, timestamp: 1_700_000_000_000 }
  assert.equal((await call(g.base, 'POST', '/transactions', { token: user, json: tx })).status, 403)

  const admin = await login(g.base, 'admin', 'admin_password_123', '/admin/auth/login')
  const promote = await call(g.base, 'PUT', '/admin/users/test_user_1/roles', { token: admin, json: { roles: ['User', 'NodeOperator'] } })
  assert.equal(promote.status, 200)
  assert.deepEqual(promote.json.roles, ['User', 'NodeOperator'])
  const operator = await login(g.base, 'test_user_1', 'test_password_123')
  // Past the role check, no chain is wired in this gateway: 503 LUCID_ERR_5004, not 403.
  const submitted = await call(g.base, 'POST', '/transactions', { token: operator, json: tx })
  assert.equal(errorCode(submitted), 'LUCID_ERR_5004')
  assert.equal((await call(g.base, 'GET', '/admin/users', { token: operator })).status, 403, 'NodeOperator is below Admin')
  assert.equal((await call(g.base, 'PUT', '/admin/users/nobody/roles', { token: admin, json: { roles: ['User'] } })).status, 404)
  assert.equal((await call(g.base, 'PUT', '/admin/users/test_user_1/roles', { token: admin, json: { roles: ['God'] } })).status, 400)
  await call(g.base, 'PUT', '/admin/users/test_user_1/roles', { token: admin, json: { roles: ['User'] } })
})

test('registration: 201, duplicate 409 LUCID_ERR_1011, short password 400; the new account logs in', async () => {
  const r = await call(g.base, 'POST', '/auth/register', { json: { username: 'carol', password: 'correct horse' } })
  assert.equal(r.status, 201)
  assert.deepEqual(r.json, { user_id: 'carol', roles: ['User'] })
  const dup = await call(g.base, 'POST', '/auth/register', { json: { username: 'carol', password: 'another one' } })
  assert.equal(dup.status, 409)
  assert.equal(errorCode(dup), 'LUCID_ERR_1011')
  assert.equal((await call(g.base, 'POST', '/auth/register', { json: { username: 'dave', password: 'short' } })).status, 400)
  await login(g.base, 'carol', 'correct horse')
})

test('admission control: with the hashing slots busy and the queue full, a login is refused at once with 503 LUCID_ERR_3002 and Retry-After', async () => {
  const held: Array<() => void> = []
  const derive = async (): Promise<Buffer> => await new Promise<Buffer>((resolve) => held.push(() => resolve(Buffer.alloc(32))))
  const busy = await testGateway({ config: { kdfConcurrency: 1, kdfQueueLimit: 1 }, kdfDerive: derive, accounts: [] })
  try {
    const pool = busy.ctx.pool
    const first = pool.hash('a', LOAD_TEST_KDF) // runs (held)
    const second = pool.hash('b', LOAD_TEST_KDF) // waits in the queue
    assert.equal(pool.running, 1)
    assert.equal(pool.queued, 1)
    const r = await call(busy.base, 'POST', '/auth/login', { json: { username: 'anyone', password: 'pw' } })
    assert.equal(r.status, 503)
    assert.equal(errorCode(r), 'LUCID_ERR_3002')
    assert.match(String(r.headers['retry-after']), /^[1-9][0-9]*$/)
    // Health and other routes do not wait for the hashing pool.
    assert.equal((await call(busy.base, 'GET', '/health')).status, 200)
    while (held.length > 0) held.shift()?.()
    await first
    await new Promise((resolve) => setImmediate(resolve))
    while (held.length > 0) held.shift()?.()
    await second
    assert.equal(pool.running, 0)
  } finally {
    await busy.close()
  }
})

test('a hash made at the load-test cost is upgraded to the policy cost at the next successful login', async () => {
  const strict = await testGateway({ config: { kdf: { N: 2 ** 15, r: 8, p: 1 } }, accounts: [] })
  try {
    await strict.ctx.db.users.insert({ user_id: 'old', email: 'old@x.invalid', roles: ['User'], status: 'active', created_at: 0 })
    // Written as seeding under --load-test would have written it.
    await strict.ctx.store.setCredential('old', await strict.ctx.pool.hash('pw', LOAD_TEST_KDF))
    await login(strict.base, 'old', 'pw')
    assert.equal((await strict.ctx.store.credential('old'))?.N, 2 ** 15)
    await login(strict.base, 'old', 'pw')
  } finally {
    await strict.close()
  }
})
