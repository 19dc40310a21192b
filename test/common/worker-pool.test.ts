/**
 * One WorkerPool under both thread pools (issue 20): close rejects what is queued or running, a crashed thread
 * is replaced (within a bound), and the chain's VerifyPool and the session's PakoPool behave alike.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { WorkerPool } from '../../services/common/worker-pool.ts'
import { VerifyPool, ed25519Signer, signingMessage } from '../../services/chain/index.ts'
import { PakoPool } from '../../services/session/pako-pool.ts'

// Doubles its input; crashes the thread on 'crash', exits it on 'exit', reports an error on 'fail', and hangs on 'hang'.
const SOURCE = `
import { parentPort } from 'node:worker_threads'
parentPort.on('message', ({ id, input }) => {
  if (input === 'crash') throw new Error('boom')
  if (input === 'exit') process.exit(7)
  if (input === 'fail') return parentPort.postMessage({ id, error: 'failed on purpose' })
  if (input === 'hang') return
  parentPort.postMessage({ id, output: input * 2 })
})
`

const code = (err: unknown): string | undefined => (err as { code?: string }).code

test('a crashed or exited thread fails its job alone and is replaced; the pool goes on', async () => {
  const pool = new WorkerPool<number | string, number>({ name: 'test', source: SOURCE, size: 2 })
  try {
    assert.equal(await pool.run(21), 42)
    await assert.rejects(pool.run('crash'), (e) => code(e) === 'LUCID_ERR_3003')
    await assert.rejects(pool.run('exit'), (e) => code(e) === 'LUCID_ERR_3003')
    await assert.rejects(pool.run('fail'), /failed on purpose/)
    const after = await Promise.all([1, 2, 3, 4].map((x) => pool.run(x)))
    assert.deepEqual(after, [2, 4, 6, 8])
    assert.equal(pool.threads, 2)
    assert.equal(pool.started, 4, 'two threads replaced')
  } finally {
    await pool.close()
  }
})

test('a thread that crashes again and again is replaced a bounded number of times, then the pool refuses work', async () => {
  const pool = new WorkerPool<number | string, number>({ name: 'test', source: SOURCE, size: 1, maxRestarts: 2 })
  try {
    for (let i = 0; i < 3; i++) await assert.rejects(pool.run('crash'), (e) => code(e) === 'LUCID_ERR_3003')
    assert.equal(pool.threads, 0)
    assert.equal(pool.started, 3, 'one thread and two replacements, no more')
    await assert.rejects(pool.run(1), (e) => code(e) === 'LUCID_ERR_3003')
  } finally {
    await pool.close()
  }
})

test('close rejects the running and the queued jobs with LUCID_ERR_3003, and every later one', async () => {
  const pool = new WorkerPool<number | string, number>({ name: 'test', source: SOURCE, size: 1 })
  const jobs = ['hang', 1, 2, 3].map((x) =>
    pool.run(x).then(
      () => 'resolved',
      (e: unknown) => code(e)
    )
  )
  await pool.close()
  assert.deepEqual(await Promise.all(jobs), Array(4).fill('LUCID_ERR_3003'))
  await assert.rejects(pool.run(1), (e) => code(e) === 'LUCID_ERR_3003')
  await pool.close()
})

function batch(n: number, corrupt = -1): { n: number; pubs: Uint8Array; msgs: Uint8Array; sigs: Uint8Array } {
  const s = ed25519Signer(new Uint8Array(32).fill(4))
  const pubs = new Uint8Array(n * 32)
  const msgs = new Uint8Array(n * 48)
  const sigs = new Uint8Array(n * 64)
  for (let i = 0; i < n; i++) {
    const m = signingMessage('LUCID-TX-V1', new Uint8Array(32).fill(i))
    pubs.set(Buffer.from(s.publicKey, 'hex'), i * 32)
    msgs.set(m, i * 48)
    const sig = s.sign(m)
    if (i === corrupt) sig[0] = (sig[0] as number) ^ 1
    sigs.set(sig, i * 64)
  }
  return { n, pubs, msgs, sigs }
}

test('VerifyPool and PakoPool: both reject unfinished jobs on close (LUCID_ERR_3003); a VerifyPool thread crashed by a malformed batch is replaced', async () => {
  const verify = new VerifyPool(1)
  assert.equal(await verify.verify(batch(4)), -1)
  assert.equal(await verify.verify(batch(4, 2)), 2)
  // Arrays shorter than n claims: the thread throws reading them, and crashes.
  await assert.rejects(verify.verify({ n: 2, pubs: new Uint8Array(8), msgs: new Uint8Array(8), sigs: new Uint8Array(8) }), (e) => code(e) === 'LUCID_ERR_3003')
  assert.equal(await verify.verify(batch(3)), -1, 'the replacement thread verifies')
  const v = [batch(50), batch(50), batch(50)].map((b) => verify.verify(b).then(String, code))
  await verify.close()

  const pako = new PakoPool(1)
  assert.ok((await pako.gzip(new Uint8Array(1000), 6)).length > 10)
  const p = [1, 2, 3].map(() => pako.gzip(new Uint8Array(1 << 20), 6).then(() => 'resolved', code))
  await pako.close()
  // Both pools: whatever had not finished when close was called is rejected with the same code.
  for (const outcomes of [await Promise.all(v), await Promise.all(p)]) {
    assert.ok(
      outcomes.every((o) => o === 'LUCID_ERR_3003' || o === '-1' || o === 'resolved'),
      outcomes.join(',')
    )
    assert.ok(outcomes.includes('LUCID_ERR_3003'), `nothing was rejected: ${outcomes.join(',')}`)
  }
  await assert.rejects(verify.verify(batch(1)), (e) => code(e) === 'LUCID_ERR_3003')
  await assert.rejects(pako.gzip(new Uint8Array(1), 6), (e) => code(e) === 'LUCID_ERR_3003')
})
