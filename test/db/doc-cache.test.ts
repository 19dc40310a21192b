/**
 * The LevelDB backend's decoded-document cache (services/db/level/doc-cache.ts): every write that changes an
 * answer invalidates what it wrote, a read that raced a commit does not fill, and callers get copies.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DocCache, cloneJson } from '../../services/db/level/doc-cache.ts'
import type { Activity } from '../../services/db/index.ts'
import { levelFixture } from './helpers.ts'

const act = (i: number, status: string): Activity => ({
  activity_id: `a${i}`,
  user_id: 'u1',
  session_id: 's1',
  status,
  timestamp: 1_000 + i,
  data: { value: i, tags: ['x'] }
})

describe('DocCache', () => {
  it('hands out copies, never the cached object', () => {
    const c = new DocCache()
    c.fill(c.epoch, 'k', { a: 1, nested: { b: [1, 2] } })
    const first = c.get('k') as { nested: { b: number[] } }
    first.nested.b.push(3)
    assert.deepEqual(c.get('k'), { a: 1, nested: { b: [1, 2] } })
  })

  it('ignores a fill from a read that a commit overtook, and forgets what a commit wrote', () => {
    const c = new DocCache()
    const before = c.epoch
    c.invalidate(['other'])
    c.fill(before, 'k', { v: 'stale' })
    assert.equal(c.get('k'), undefined)
    c.fill(c.epoch, 'k', { v: 1 })
    assert.deepEqual(c.get('k'), { v: 1 })
    c.invalidate(['k'])
    assert.equal(c.get('k'), undefined)
  })

  it('stays within its bound, dropping the oldest', () => {
    const c = new DocCache(2)
    for (const k of ['a', 'b', 'c']) c.fill(c.epoch, k, { k })
    assert.equal(c.size, 2)
    assert.equal(c.get('a'), undefined)
    assert.deepEqual(c.get('c'), { k: 'c' })
  })

  it('keeps an own __proto__ key a property when copying', () => {
    const doc = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as Record<string, unknown>
    const c = cloneJson(doc)
    assert.equal(Object.getPrototypeOf(c), Object.prototype)
    assert.deepEqual(Object.keys(c), ['__proto__', 'y'])
  })
})

describe('LevelDB reads through the cache see every write', () => {
  it('queries and gets after update, delete and insert answer the new state', async () => {
    const f = await levelFixture()
    try {
      const { db } = f
      await db.activity.insertMany([act(1, 'active'), act(2, 'active'), act(3, 'pending')])
      // Fill the cache through both read paths.
      assert.equal((await db.activity.byStatus('active')).length, 2)
      assert.equal((await db.activity.get('a1'))?.status, 'active')

      await db.activity.update('a1', { status: 'pending', data: { value: 10 } })
      assert.deepEqual(
        (await db.activity.byStatus('active')).map((a) => a.activity_id),
        ['a2']
      )
      const pending = await db.activity.byStatus('pending')
      assert.deepEqual(pending.map((a) => [a.activity_id, a.data]).sort(), [
        ['a1', { value: 10 }],
        ['a3', { value: 3, tags: ['x'] }]
      ])
      assert.deepEqual((await db.activity.get('a1'))?.data, { value: 10 })

      await db.activity.delete('a2')
      assert.equal(await db.activity.get('a2'), undefined)
      assert.deepEqual(await db.activity.byStatus('active'), [])

      await db.activity.insert(act(2, 'active'))
      assert.deepEqual((await db.activity.byUser('u1')).map((a) => a.activity_id).sort(), ['a1', 'a2', 'a3'])
      // Changing what a read returned changes nothing for the next reader.
      const mine = await db.activity.get('a3')
      ;(mine as Activity).status = 'tampered'
      ;((mine as Activity).data as { tags: string[] }).tags.push('y')
      assert.deepEqual(await db.activity.get('a3'), act(3, 'pending'))
    } finally {
      await f.dispose()
    }
  })

  it('a transaction that writes invalidates too', async () => {
    const f = await levelFixture()
    try {
      const { db } = f
      await db.activity.insert(act(1, 'active'))
      assert.equal((await db.activity.get('a1'))?.status, 'active')
      await db.transaction(async (t) => {
        await t.activity.update('a1', { status: 'inactive' })
      })
      assert.equal((await db.activity.get('a1'))?.status, 'inactive')
      assert.equal((await db.activity.byStatus('inactive')).length, 1)
    } finally {
      await f.dispose()
    }
  })
})

describe('cloneJson', () => {
  it('copies every nested object and array, sharing nothing with the original', () => {
    const doc = JSON.parse('{"a": 1, "o": {"p": [1, {"q": 2}], "__proto__": {"r": 3}}, "l": [[1], {"s": null}], "n": null}') as Record<string, unknown>
    const c = cloneJson(doc)
    assert.deepEqual(c, doc)
    const walk = (x: unknown, y: unknown): void => {
      if (x === null || typeof x !== 'object') return
      assert.notEqual(x, y, 'a nested value is shared')
      for (const k of Object.keys(x)) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k])
    }
    walk(c, doc)
    const o = c.o as Record<string, unknown>
    assert.equal(Object.getPrototypeOf(o), Object.prototype)
    assert.deepEqual(Object.keys(o), ['p', '__proto__'])
    assert.deepEqual(Object.getOwnPropertyDescriptor(o, '__proto__')?.value, { r: 3 })
  })
})
