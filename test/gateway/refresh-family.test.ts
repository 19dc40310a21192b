/**
 * Issue 16, item 4: refresh tokens form families (one per login). A refresh token used a second time
 * means it was stolen (or the client is broken): the whole family is revoked, including the token issued
 * from its first use, and that holds across a gateway restart (the family state is in the gateway store).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { call, errorCode, testGateway } from './helpers.ts'

async function loginPair(base: string): Promise<{ access: string; refresh: string }> {
  const r = await call(base, 'POST', '/auth/login', { json: { username: 'test_user_1', password: 'test_password_123' } })
  assert.equal(r.status, 200)
  return { access: r.json.access_token as string, refresh: r.json.refresh_token as string }
}

async function refresh(base: string, token: string): Promise<{ status: number; access: string; refresh: string; code?: string }> {
  const r = await call(base, 'POST', '/auth/refresh', { json: { refresh_token: token } })
  return {
    status: r.status,
    access: r.json.access_token as string,
    refresh: r.json.refresh_token as string,
    ...(r.status === 200 ? {} : { code: errorCode(r) })
  }
}

test('reusing a spent refresh token revokes its whole family: the token issued from the first use stops working', async () => {
  const g = await testGateway({ accounts: ['test_user_1'] })
  try {
    const first = await loginPair(g.base)
    const other = await loginPair(g.base) // another login: another family, untouched
    const next = await refresh(g.base, first.refresh)
    assert.equal(next.status, 200)
    // Used (so verified and cached) before the family is revoked: the cache must not outlive the revocation.
    assert.equal((await call(g.base, 'GET', '/users/me', { token: next.access })).status, 200)
    const replay = await refresh(g.base, first.refresh)
    assert.equal(replay.status, 401)
    assert.equal(replay.code, 'LUCID_ERR_1003')
    const successor = await refresh(g.base, next.refresh)
    assert.equal(successor.status, 401, 'the successor of a replayed token is revoked with its family')
    assert.equal(successor.code, 'LUCID_ERR_1003')
    assert.equal((await call(g.base, 'GET', '/users/me', { token: next.access })).status, 401, "so are the family's access tokens")
    assert.equal((await refresh(g.base, other.refresh)).status, 200, "another login's family is not affected")
    assert.equal((await call(g.base, 'GET', '/users/me', { token: other.access })).status, 200)
  } finally {
    await g.close()
  }
})

test('family state survives a restart: a token spent before it cannot be used after it, and its reuse revokes the family', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lucid-refresh-'))
  try {
    let g = await testGateway({ dataDir, accounts: ['test_user_1'] })
    const first = await loginPair(g.base)
    const next = await refresh(g.base, first.refresh)
    assert.equal(next.status, 200)
    await g.close()
    g = await testGateway({ dataDir, accounts: ['test_user_1'] })
    try {
      const replay = await refresh(g.base, first.refresh)
      assert.equal(replay.status, 401, 'spent before the restart, refused after it')
      assert.equal((await refresh(g.base, next.refresh)).status, 401, 'and its family revoked')
    } finally {
      await g.close()
    }
    g = await testGateway({ dataDir, accounts: ['test_user_1'] })
    try {
      assert.equal((await refresh(g.base, next.refresh)).status, 401, 'the revocation survives a restart too')
      const fresh = await loginPair(g.base)
      assert.equal((await refresh(g.base, fresh.refresh)).status, 200, 'a new login starts a new family')
    } finally {
      await g.close()
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
})
