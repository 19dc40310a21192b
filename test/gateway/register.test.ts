/**
 * Issue 16, item 5: registration answers one generic 409 whichever of username and e-mail collides (the
 * answer must not tell which exists), and a duplicate is found before any password is hashed.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { scryptSync } from 'node:crypto'
import { call, errorCode, testGateway } from './helpers.ts'

test('a duplicate username or e-mail answers the same 409 LUCID_ERR_1011, naming neither, and hashes nothing', async () => {
  let hashes = 0
  const derive = async (password: string, salt: Buffer): Promise<Buffer> => {
    hashes++
    return scryptSync(password, salt, 32, { N: 16, r: 1, p: 1 })
  }
  const g = await testGateway({ accounts: [], kdfDerive: derive })
  try {
    assert.equal(
      (await call(g.base, 'POST', '/auth/register', { json: { username: 'alice_1', password: 'password-123', email: 'alice@example.org' } })).status,
      201
    )
    const before = hashes
    const byName = await call(g.base, 'POST', '/auth/register', { json: { username: 'alice_1', password: 'password-456', email: 'other@example.org' } })
    const byEmail = await call(g.base, 'POST', '/auth/register', { json: { username: 'alice_2', password: 'password-456', email: 'alice@example.org' } })
    const byEmailCase = await call(g.base, 'POST', '/auth/register', { json: { username: 'alice_3', password: 'password-456', email: 'alice@example.org' } })
    for (const r of [byName, byEmail, byEmailCase]) {
      assert.equal(r.status, 409)
      assert.equal(errorCode(r), 'LUCID_ERR_1011')
      assert.doesNotMatch(r.json.error.message, /alice|example\.org/i, `the message names nothing: ${String(r.json.error.message)}`)
    }
    assert.equal(byName.json.error.message, byEmail.json.error.message, 'one message whichever field collided')
    assert.equal(hashes, before, 'no password was hashed for a duplicate')
    // A fresh pair still registers.
    assert.equal(
      (await call(g.base, 'POST', '/auth/register', { json: { username: 'bob_1', password: 'password-123', email: 'bob@example.org' } })).status,
      201
    )
  } finally {
    await g.close()
  }
})
