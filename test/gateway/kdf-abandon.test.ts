import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KdfPool } from '../../services/gateway/auth/passwords.ts'
import { isLucidError } from '../../services/common/errors.ts'

test('a queued password check whose client hung up leaves the queue without hashing', async () => {
  // A derive we release by hand: exactly one hash runs, the others wait.
  const releases: Array<() => void> = []
  let derived = 0
  const pool = new KdfPool(1, 8, async () => {
    derived++
    await new Promise<void>((resolve) => releases.push(resolve))
    return Buffer.alloc(32)
  })
  const stored = { alg: 'scrypt' as const, N: 16, r: 1, p: 1, salt: Buffer.alloc(16).toString('base64'), hash: Buffer.alloc(32).toString('base64') }
  const first = pool.verify('pw', stored)
  const gone = new AbortController()
  const abandoned = pool.verify('pw', stored, gone.signal)
  const third = pool.verify('pw', stored)
  assert.equal(pool.queued, 2)
  gone.abort()
  await assert.rejects(abandoned, (e) => isLucidError(e, 'LUCID_ERR_1001'))
  assert.equal(pool.queued, 1, 'the abandoned check left the queue')
  releases.shift()!()
  assert.equal(await first, true)
  await new Promise((resolve) => setImmediate(resolve))
  releases.shift()!()
  assert.equal(await third, true)
  assert.equal(derived, 2, 'the abandoned check never hashed')
  const late = new AbortController()
  late.abort()
  await assert.rejects(pool.verify('pw', stored, late.signal), (e) => isLucidError(e, 'LUCID_ERR_1001'))
})
