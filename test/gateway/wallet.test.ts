/**
 * Wallet login with real secp256k1 signatures made the way a TRON wallet makes them (signMessageV2:
 * keccak-256 of the TIP-191 prefixed message, r‖s‖v), single-use and expiring challenges.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { createBase58check } from '@scure/base'
import { signTronMessage, tronAddressFromPublicKey } from '../../services/gateway/index.ts'
import { call, errorCode, testGateway } from './helpers.ts'

type G = Awaited<ReturnType<typeof testGateway>>
let g: G

before(async () => {
  g = await testGateway({ accounts: [] })
})
after(async () => {
  await g.close()
})

/** A wallet: key pair, address, and TRON-style message signing. */
function wallet(): { address: string; sign(message: string): string } {
  const { secretKey, publicKey } = secp256k1.keygen()
  return {
    address: tronAddressFromPublicKey(publicKey),
    sign: (message) => signTronMessage(message, secretKey)
  }
}

async function challenge(address: string): Promise<string> {
  const c = await call(g.base, 'POST', '/auth/wallet/challenge', { json: { tron_address: address } })
  assert.equal(c.status, 200)
  assert.equal(c.json.tron_address, address)
  return c.json.message as string
}

test('a TRON address is base58check of 0x41 and the Ethereum-style key hash (private key 1 -> 0x7e5f...5bdf)', () => {
  const pub = secp256k1.getPublicKey(Uint8Array.from(Buffer.from('00'.repeat(31) + '01', 'hex')))
  const address = tronAddressFromPublicKey(pub)
  assert.match(address, /^T[1-9A-HJ-NP-Za-km-z]{33}$/)
  const raw = createBase58check(sha256).decode(address)
  assert.equal(Buffer.from(raw).toString('hex'), '41' + '7e5f4552091a69125d5dfcb7b8c2659029395bdf')
})

test('challenge, signature, login: tokens for the wallet account, created at first login with role User', async () => {
  const w = wallet()
  const message = await challenge(w.address)
  const r = await call(g.base, 'POST', '/auth/wallet/login', { json: { tron_address: w.address, signature: w.sign(message), message, hardware_wallet: false } })
  assert.equal(r.status, 200)
  assert.equal(r.json.user_id, w.address)
  assert.deepEqual(r.json.roles, ['User'])
  const me = await call(g.base, 'GET', '/users/me', { token: r.json.access_token })
  assert.equal(me.json.tron_address, w.address)
  // A second login finds the same account.
  const m2 = await challenge(w.address)
  const r2 = await call(g.base, 'POST', '/auth/wallet/login', { json: { tron_address: w.address, signature: w.sign(m2), message: m2 } })
  assert.equal(r2.json.user_id, w.address)
})

test('a challenge is single use: replaying a valid signature is 401 LUCID_ERR_1010', async () => {
  const w = wallet()
  const message = await challenge(w.address)
  const body = { tron_address: w.address, signature: w.sign(message), message }
  assert.equal((await call(g.base, 'POST', '/auth/wallet/login', { json: body })).status, 200)
  const replay = await call(g.base, 'POST', '/auth/wallet/login', { json: body })
  assert.equal(replay.status, 401)
  assert.equal(errorCode(replay), 'LUCID_ERR_1010')
})

test('a signature by another key is 401 LUCID_ERR_1004, and it spends the challenge', async () => {
  const w = wallet()
  const thief = wallet()
  const message = await challenge(w.address)
  const r = await call(g.base, 'POST', '/auth/wallet/login', { json: { tron_address: w.address, signature: thief.sign(message), message } })
  assert.equal(r.status, 401)
  assert.equal(errorCode(r), 'LUCID_ERR_1004')
  const retry = await call(g.base, 'POST', '/auth/wallet/login', { json: { tron_address: w.address, signature: w.sign(message), message } })
  assert.equal(errorCode(retry), 'LUCID_ERR_1010')
})

test('expired challenges, challenges of another address and made-up messages are 401 LUCID_ERR_1010', async () => {
  const w = wallet()
  const other = wallet()
  const old = await challenge(w.address)
  g.clock.advance(5 * 60 * 1000 + 1)
  assert.equal(
    errorCode(await call(g.base, 'POST', '/auth/wallet/login', { json: { tron_address: w.address, signature: w.sign(old), message: old } })),
    'LUCID_ERR_1010'
  )
  const theirs = await challenge(other.address)
  assert.equal(
    errorCode(await call(g.base, 'POST', '/auth/wallet/login', { json: { tron_address: w.address, signature: w.sign(theirs), message: theirs } })),
    'LUCID_ERR_1010'
  )
  const made = 'Lucid RDP login\nplease'
  assert.equal(
    errorCode(await call(g.base, 'POST', '/auth/wallet/login', { json: { tron_address: w.address, signature: w.sign(made), message: made } })),
    'LUCID_ERR_1010'
  )
})

test('malformed addresses and signatures are 400 LUCID_ERR_1001', async () => {
  const w = wallet()
  const bad = w.address.slice(0, -1) + (w.address.endsWith('a') ? 'b' : 'a')
  const c = await call(g.base, 'POST', '/auth/wallet/challenge', { json: { tron_address: bad } })
  assert.equal(c.status, 400)
  assert.equal(errorCode(c), 'LUCID_ERR_1001')
  const message = await challenge(w.address)
  const s = await call(g.base, 'POST', '/auth/wallet/login', { json: { tron_address: w.address, signature: 'zz'.repeat(65), message } })
  assert.equal(s.status, 400)
})

// Issue 16, item 1: a password account registered under a wallet's address (or its wallet e-mail) made the
// wallet's first login retry its insert forever (one core, memory growing until the process died). Wallet
// and password accounts now cannot collide by construction, and the login path never retries without bound.
test('a password registration cannot take a wallet address as its username: 400 LUCID_ERR_1014, and the wallet still logs in', {
  timeout: 20_000
}, async () => {
  const w = wallet()
  const reg = await call(g.base, 'POST', '/auth/register', { json: { username: w.address, password: 'a long enough password' } })
  assert.equal(reg.status, 400)
  assert.equal(errorCode(reg), 'LUCID_ERR_1014')
  const message = await challenge(w.address)
  const r = await call(g.base, 'POST', '/auth/wallet/login', { json: { tron_address: w.address, signature: w.sign(message), message } })
  assert.equal(r.status, 200)
  assert.equal(r.json.user_id, w.address)
})

test('a password registration cannot take a reserved e-mail (the wallet namespace): 400 LUCID_ERR_1014, and the wallet still logs in', {
  timeout: 20_000
}, async () => {
  const w = wallet()
  for (const email of [`${w.address}@wallet.lucid.invalid`, `someone@demo.lucid.invalid`, `x@LUCID.INVALID`]) {
    const reg = await call(g.base, 'POST', '/auth/register', { json: { username: `u_${w.address.slice(1, 12)}`, password: 'a long enough password', email } })
    assert.equal(reg.status, 400, email)
    assert.equal(errorCode(reg), 'LUCID_ERR_1014')
  }
  const message = await challenge(w.address)
  const r = await call(g.base, 'POST', '/auth/wallet/login', { json: { tron_address: w.address, signature: w.sign(message), message } })
  assert.equal(r.status, 200)
})

test("an account already holding a wallet's id (data written before the reservation) answers the wallet login 409 at once, never a loop", {
  timeout: 20_000
}, async () => {
  const w = wallet()
  await g.ctx.db.users.insert({ user_id: w.address, email: `legacy_${w.address}@example.org`, roles: ['User'], status: 'active', created_at: g.clock.now() })
  const message = await challenge(w.address)
  const r = await call(g.base, 'POST', '/auth/wallet/login', { json: { tron_address: w.address, signature: w.sign(message), message } })
  assert.equal(r.status, 409)
  assert.equal(errorCode(r), 'LUCID_ERR_1011')
  // The server is still answering.
  assert.equal((await call(g.base, 'GET', '/health')).status, 200)
})
