/**
 * Issue 16, item 2: limits an internet-facing API's users expect. Public and auth routes are limited per
 * client address whatever token is sent; authenticated routes per subject and per address; account
 * creation and admission to the password-hashing queue have per-address budgets, so one address cannot
 * starve everyone's logins; unmatched routes (404) are limited too. Small limits, the injected clock, no
 * sleeping. A second client address is 127.0.0.2 (all of 127/8 is loopback on Linux).
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { Agent } from 'undici'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { DEFAULT_TIERS, signTronMessage, tronAddressFromPublicKey, type RateLimitTiers } from '../../services/gateway/index.ts'
import { call, errorCode, login, testGateway } from './helpers.ts'

const tiers = (t: Partial<RateLimitTiers>): RateLimitTiers => ({ ...DEFAULT_TIERS, ...t })

/** A client whose connections leave from 127.0.0.2. */
const other = new Agent({ localAddress: '127.0.0.2' })
after(async () => {
  await other.close()
})

async function walletLogin(base: string): Promise<number> {
  const { secretKey, publicKey } = secp256k1.keygen()
  const address = tronAddressFromPublicKey(publicKey)
  const c = await call(base, 'POST', '/auth/wallet/challenge', { json: { tron_address: address } })
  assert.equal(c.status, 200)
  const message = c.json.message as string
  return (await call(base, 'POST', '/auth/wallet/login', { json: { tron_address: address, message, signature: signTronMessage(message, secretKey) } })).status
}

test('a Bearer token does not lift the public limit of /auth/login: auth routes count per address whatever the token', async () => {
  const g = await testGateway({ config: { rateLimits: tiers({ public: 4 }) } })
  try {
    const token = await login(g.base, 'test_user_1', 'test_password_123')
    const r = await call(g.base, 'POST', '/auth/login', { token, json: { username: 'test_user_2', password: 'test_password_123' } })
    assert.equal(r.status, 200)
    assert.equal(r.headers['x-ratelimit-limit'], '4', 'the public limit, not the authenticated one')
    await call(g.base, 'POST', '/auth/login', { token, json: { username: 'test_user_2', password: 'wrong-password' } })
    await call(g.base, 'GET', '/config', { token })
    const over = await call(g.base, 'POST', '/auth/login', { token, json: { username: 'test_user_2', password: 'test_password_123' } })
    assert.equal(over.status, 429)
    assert.equal(errorCode(over), 'LUCID_ERR_3001')
    // Another address has its own budget.
    const r2 = await call(g.base, 'POST', '/auth/login', { dispatcher: other, json: { username: 'test_user_2', password: 'test_password_123' } })
    assert.equal(r2.status, 200)
  } finally {
    await g.close()
  }
})

test('unmatched routes (404) are limited like any public request', async () => {
  const g = await testGateway({ config: { rateLimits: tiers({ public: 3 }) }, accounts: [] })
  try {
    for (let i = 0; i < 3; i++) assert.equal((await call(g.base, 'GET', `/no/such/route/${i}`)).status, 404)
    const r = await call(g.base, 'GET', '/no/such/route')
    assert.equal(r.status, 429)
    assert.equal(errorCode(r), 'LUCID_ERR_3001')
    assert.ok(Number(r.headers['retry-after']) >= 1)
    assert.equal((await call(g.base, 'GET', '/health')).status, 200, '/health stays exempt')
  } finally {
    await g.close()
  }
})

test('authenticated routes count per subject and per address: many accounts from one address share the address budget', async () => {
  const g = await testGateway({ config: { rateLimits: tiers({ authenticated: 3, authenticatedPerAddress: 4 }) } })
  try {
    const t1 = await login(g.base, 'test_user_1', 'test_password_123')
    const t2 = await login(g.base, 'test_user_2', 'test_password_123')
    for (let i = 0; i < 3; i++) assert.equal((await call(g.base, 'GET', '/sessions', { token: t1 })).status, 200)
    assert.equal((await call(g.base, 'GET', '/sessions', { token: t1 })).status, 429, 'subject budget spent')
    assert.equal((await call(g.base, 'GET', '/sessions', { token: t2 })).status, 200, 'a second subject has its own')
    const r = await call(g.base, 'GET', '/sessions', { token: t2 })
    assert.equal(r.status, 429, 'but the address budget (4) is spent')
    assert.equal(errorCode(r), 'LUCID_ERR_3001')
    assert.equal((await call(g.base, 'GET', '/sessions', { token: t2, dispatcher: other })).status, 200, 'the same subject from another address')
  } finally {
    await g.close()
  }
})

test('account creation has a per-address budget: password registrations and wallet first logins together', async () => {
  const g = await testGateway({ config: { rateLimits: tiers({ accountsPerAddress: 2 }) }, accounts: [] })
  try {
    assert.equal((await call(g.base, 'POST', '/auth/register', { json: { username: 'first_user', password: 'password-123' } })).status, 201)
    assert.equal(await walletLogin(g.base), 200)
    const r = await call(g.base, 'POST', '/auth/register', { json: { username: 'third_user', password: 'password-123' } })
    assert.equal(r.status, 429)
    assert.equal(errorCode(r), 'LUCID_ERR_3001')
    assert.equal(await walletLogin(g.base), 429, 'a wallet first login creates an account too')
    assert.equal(
      (await call(g.base, 'POST', '/auth/login', { json: { username: 'first_user', password: 'password-123' } })).status,
      200,
      'logins are not account creations'
    )
    assert.equal(
      (await call(g.base, 'POST', '/auth/register', { dispatcher: other, json: { username: 'other_user', password: 'password-123' } })).status,
      201,
      'another address has its own budget'
    )
    g.clock.advance(3600_000)
    assert.equal(
      (await call(g.base, 'POST', '/auth/register', { json: { username: 'later_user', password: 'password-123' } })).status,
      201,
      'the budget refills'
    )
  } finally {
    await g.close()
  }
})

test('one address flooding password logins cannot fill the hashing queue: another address still gets its login', async () => {
  // A derive released by hand: hashes stay running or queued until the test lets them go.
  const releases: Array<() => void> = []
  const derive = async (password: string, salt: Buffer): Promise<Buffer> => {
    await new Promise<void>((resolve) => releases.push(resolve))
    const { scryptSync } = await import('node:crypto')
    return scryptSync(password, salt, 32, { N: 16, r: 1, p: 1 })
  }
  const g = await testGateway({ config: { rateLimits: tiers({ public: 1000 }), kdfConcurrency: 1, kdfQueueLimit: 8 }, kdfDerive: derive, accounts: [] })
  try {
    // Accounts hashed through the same derive: release as they come.
    const pump = setInterval(() => {
      while (releases.length > 0) releases.shift()!()
    }, 5)
    for (const u of ['flooder', 'bystander'])
      assert.equal(
        (await call(g.base, 'POST', '/auth/register', { dispatcher: u === 'flooder' ? undefined : other, json: { username: u, password: 'password-123' } }))
          .status,
        201
      )
    clearInterval(pump)
    const flood = Array.from({ length: 12 }, async () => await call(g.base, 'POST', '/auth/login', { json: { username: 'flooder', password: 'password-123' } }))
    // Let the flood reach the pool.
    for (let i = 0; i < 200 && g.ctx.pool.running + g.ctx.pool.queued < 4; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    await new Promise((resolve) => setTimeout(resolve, 100))
    const bystander = call(g.base, 'POST', '/auth/login', { dispatcher: other, json: { username: 'bystander', password: 'password-123' } })
    const released = setInterval(() => {
      releases.shift()?.()
    }, 5)
    const [answers, b] = await Promise.all([Promise.all(flood), bystander])
    clearInterval(released)
    assert.equal(b.status, 200, `the other address's login: ${b.status} ${b.text}`)
    const statuses = answers.map((a) => a.status)
    assert.ok(statuses.includes(429), `the flooding address is refused past its share: ${statuses.join(',')}`)
    for (const a of answers) if (a.status === 429) assert.equal(errorCode(a), 'LUCID_ERR_3001')
    assert.ok(!statuses.includes(503), 'no one was told the queue is full')
  } finally {
    while (releases.length > 0) releases.shift()!()
    await g.close()
  }
})
