/**
 * Rate-limit tiers: the reference's public limit with its real number (100/min), then the tier logic
 * (keys, separate buckets, admin tier, block queries, upload bandwidth) with small limits so the test
 * sends a handful of requests. No sleeping: windows are one minute and the test takes well under one;
 * the upload budget runs on the injected clock.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_TIERS } from '../../services/gateway/index.ts'
import { ChainDouble } from './chain-double.ts'
import { call, errorCode, login, testGateway } from './helpers.ts'

test('public tier: 100 requests a minute per address, then 429 LUCID_ERR_3001 with Retry-After; /health is exempt', async () => {
  const g = await testGateway({ config: { rateLimits: DEFAULT_TIERS }, accounts: [] })
  try {
    for (let i = 0; i < 100; i++) assert.equal((await call(g.base, 'GET', '/config')).status, 200, `request ${i + 1}`)
    const r = await call(g.base, 'GET', '/config')
    assert.equal(r.status, 429)
    assert.equal(errorCode(r), 'LUCID_ERR_3001')
    const retry = Number(r.headers['retry-after'])
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${String(r.headers['retry-after'])}`)
    assert.equal(r.headers['x-ratelimit-limit'], '100')
    for (let i = 0; i < 5; i++) assert.equal((await call(g.base, 'GET', '/health')).status, 200)
    assert.match((await call(g.base, 'GET', '/config')).text, /LUCID_ERR_3001/)
  } finally {
    await g.close()
  }
})

test('tiers: authenticated callers are keyed on their subject with their own budget; admins get the admin tier; block queries have their own bucket', async () => {
  const tiers = { ...DEFAULT_TIERS, public: 3, authenticated: 5, admin: 12, blocks: 2, uploadBytesPerS: 1e9 }
  const g = await testGateway({ config: { rateLimits: tiers }, chain: new ChainDouble() })
  try {
    // Logins are public requests: 3 of them spend the address's public budget.
    const t1 = await login(g.base, 'test_user_1', 'test_password_123')
    const t2 = await login(g.base, 'test_user_2', 'test_password_123')
    const admin = await login(g.base, 'admin', 'admin_password_123', '/admin/auth/login')
    assert.equal((await call(g.base, 'GET', '/config')).status, 429, 'public budget of 127.0.0.1 spent')
    // Same address, but each token subject has its own 5.
    for (let i = 0; i < 5; i++) assert.equal((await call(g.base, 'GET', '/sessions', { token: t1 })).status, 200)
    assert.equal(errorCode(await call(g.base, 'GET', '/sessions', { token: t1 })), 'LUCID_ERR_3001')
    assert.equal((await call(g.base, 'GET', '/sessions', { token: t2 })).status, 200, 'another subject is not limited by the first')
    // Block queries: 2 for user 2, in a bucket apart from its general one.
    assert.equal((await call(g.base, 'GET', '/chain/blocks/latest', { token: t2 })).status, 200)
    assert.equal((await call(g.base, 'GET', '/blocks/latest', { token: t2 })).status, 200)
    assert.equal((await call(g.base, 'GET', '/chain/blocks/0', { token: t2 })).status, 429)
    assert.equal((await call(g.base, 'GET', '/sessions', { token: t2 })).status, 200)
    // The admin tier: 12.
    for (let i = 0; i < 12; i++) assert.equal((await call(g.base, 'GET', '/admin/dashboard/overview', { token: admin })).status, 200)
    assert.equal((await call(g.base, 'GET', '/admin/dashboard/overview', { token: admin })).status, 429)
    // A bad token is keyed on the address (public, spent): 429 before the token is even judged.
    assert.equal((await call(g.base, 'GET', '/sessions', { token: 'forged' })).status, 429)
  } finally {
    await g.close()
  }
})

test('upload bandwidth: bytes per second per subject on the injected clock, 429 LUCID_ERR_3001 with Retry-After', async () => {
  const g = await testGateway({ config: { rateLimits: { ...DEFAULT_TIERS, uploadBytesPerS: 1000 } } })
  try {
    const token = await login(g.base, 'test_user_1', 'test_password_123')
    const id = (await call(g.base, 'POST', '/sessions', { token, json: {} })).json.session_id as string
    const up = async (): Promise<number> =>
      (await call(g.base, 'POST', `/sessions/${id}/chunks`, { token, body: Buffer.alloc(800, 1), headers: { 'content-type': 'application/octet-stream' } }))
        .status
    assert.equal(await up(), 201)
    const r = await call(g.base, 'POST', `/sessions/${id}/chunks`, {
      token,
      body: Buffer.alloc(800, 1),
      headers: { 'content-type': 'application/octet-stream' }
    })
    assert.equal(r.status, 429)
    assert.equal(errorCode(r), 'LUCID_ERR_3001')
    assert.equal(r.headers['retry-after'], '1')
    g.clock.advance(1000)
    assert.equal(await up(), 201)
  } finally {
    await g.close()
  }
})
