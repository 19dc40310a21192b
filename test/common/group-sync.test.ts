/**
 * Group commit (services/common/group-sync.ts): concurrent writers share syncs, and no writer is released
 * by a sync that started before it asked (that sync may not cover its write).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GroupSync } from '../../services/common/group-sync.ts'

/** A sync we finish by hand, recording which writes (a counter) each one covered when it started. */
function manual(): { g: GroupSync; started: number[]; finish: (err?: Error) => void; written: { n: number } } {
  const written = { n: 0 }
  const started: number[] = []
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = []
  const g = new GroupSync(async () => {
    started.push(written.n)
    await new Promise<void>((resolve, reject) => pending.push({ resolve, reject }))
  })
  return {
    g,
    started,
    written,
    finish: (err) => {
      const p = pending.shift()!
      if (err !== undefined) p.reject(err)
      else p.resolve()
    }
  }
}

const tick = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

test('ten writers during one sync share the next one: two syncs in all, each writer covered by a sync that started after its write', async () => {
  const { g, started, finish, written } = manual()
  written.n = 1
  const first = g.sync()
  const later: Array<Promise<void>> = []
  let done = 0
  for (let i = 0; i < 10; i++) {
    written.n++
    later.push(
      g.sync().then(() => {
        done++
      })
    )
  }
  await tick()
  assert.equal(started.length, 1, 'one sync runs')
  finish()
  await first
  await tick()
  assert.equal(done, 0, 'the first sync started before their writes: it releases none of them')
  assert.equal(started.length, 2, 'the next sync started once the first ended')
  assert.equal(started[1], 11, 'and it covers all ten writes')
  finish()
  await Promise.all(later)
  assert.equal(done, 10)
  assert.equal(g.syncs, 2)
  assert.equal(g.requests, 11)
})

test('a failed sync rejects the writers it was to cover; the next writer gets a new sync', async () => {
  const { g, finish, started } = manual()
  const a = g.sync()
  const b = g.sync()
  finish(new Error('EIO'))
  await assert.rejects(a, /EIO/)
  await tick()
  finish(new Error('EIO again'))
  await assert.rejects(b, /EIO again/)
  const c = g.sync()
  await tick()
  finish()
  await c
  assert.equal(started.length, 3)
})
