/**
 * Password hashing threads: the sizing rule (one per core where a thread can lower its own priority, one per
 * core but one elsewhere), that the hashing threads really run below the event loop's priority while the loop
 * keeps its own, that a key derived on a thread is scrypt's, and that the gateway hashes on them and stops
 * them when it closes. Nothing here times anything.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { scryptSync } from 'node:crypto'
import { availableParallelism, getPriority, platform } from 'node:os'
import { KDF_THREAD_NICE, KdfThreads, kdfThreadPlan } from '../../services/gateway/auth/hash-threads.ts'
import { resolveConfig, scryptMaxmem } from '../../services/gateway/index.ts'
import { login, testGateway } from './helpers.ts'

const SMALL = { N: 2 ** 10, r: 8, p: 1 }

test('sizing rule: one hashing thread per core but one (at nice 10 on Linux, normal priority elsewhere); never fewer than one', () => {
  assert.deepEqual(kdfThreadPlan(2, 'linux'), { threads: 1, nice: KDF_THREAD_NICE })
  assert.deepEqual(kdfThreadPlan(8, 'linux'), { threads: 7, nice: 10 })
  assert.deepEqual(kdfThreadPlan(1, 'linux'), { threads: 1, nice: 10 })
  assert.deepEqual(kdfThreadPlan(2, 'darwin'), { threads: 1, nice: 0 })
  assert.deepEqual(kdfThreadPlan(8, 'win32'), { threads: 7, nice: 0 })
  assert.deepEqual(kdfThreadPlan(1, 'darwin'), { threads: 1, nice: 0 })
  // The gateway admits as many hashes at once as there are threads, unless configured otherwise.
  assert.equal(resolveConfig().kdfConcurrency, kdfThreadPlan(availableParallelism(), platform()).threads)
  assert.equal(resolveConfig({ kdfConcurrency: 3 }).kdfConcurrency, 3)
})

test("the loop's share is reserved: hashing threads run at the plan's nice value and the event loop keeps its own", async () => {
  const loopBefore = getPriority()
  const threads = new KdfThreads({ threads: 2, nice: platform() === 'linux' ? KDF_THREAD_NICE : 0 })
  try {
    const salt = Buffer.from('0123456789abcdef')
    const replies = await Promise.all([threads.run('pässword', salt, SMALL, scryptMaxmem(SMALL)), threads.run('other', salt, SMALL, scryptMaxmem(SMALL))])
    // The key is scrypt's (of the NFC form, as scryptDerive computes it).
    assert.deepEqual(Buffer.from(replies[0]!.key), scryptSync('pässword'.normalize('NFC'), salt, 32, SMALL))
    if (platform() === 'linux') for (const r of replies) assert.equal(r.nice, Math.max(loopBefore, KDF_THREAD_NICE))
    // Lowering a hashing thread's priority must not lower the process's (Linux keeps nice per thread).
    assert.equal(getPriority(), loopBefore)
    const derived = await threads.derive(scryptMaxmem)('other', salt, SMALL)
    assert.deepEqual(derived, Buffer.from(replies[1]!.key))
  } finally {
    await threads.close()
  }
  await assert.rejects(threads.run('x', Buffer.alloc(16), SMALL, scryptMaxmem(SMALL)), /closed/)
})

test('the gateway verifies passwords on its hashing threads and stops them on close', async () => {
  const g = await testGateway({ config: { kdf: SMALL }, accounts: ['test_user_1'] })
  try {
    await login(g.base, 'test_user_1', 'test_password_123')
    assert.equal(g.ctx.pool.concurrency, resolveConfig().kdfConcurrency)
  } finally {
    await g.close()
  }
})
