/**
 * The LevelDB backend's cache of query answers and grouped counts (services/db/level/range-cache.ts): every
 * commit drops the answers whose key range it wrote into (inserts, deletes, a document moving between index
 * entries), a read that raced a commit does not fill, answers are copies, and a cached scan whose documents
 * stopped passing a filter is scanned again. The last test checks cached answers against uncached ones (a
 * transaction reads its snapshot, never the cache) after random writes racing random queries.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { RangeCache, spaceOf } from '../../services/db/level/range-cache.ts'
import type { Activity, Database } from '../../services/db/index.ts'
import { createRng } from '../../services/common/rng.ts'
import { levelFixture } from './helpers.ts'

const act = (i: number, status: string, user = 'u1', timestamp = 1_000 + i): Activity => ({
  activity_id: `a${i}`,
  user_id: user,
  session_id: 's1',
  status,
  timestamp,
  data: { value: i }
})
const ids = (docs: readonly Activity[]): string[] => docs.map((d) => d.activity_id)

describe('RangeCache', () => {
  const space = 'i\u0000c\u0000ix\u0000'
  const range = { gte: `${space}b`, lt: `${space}d` }

  it('names the key space of documents, index entries and counters', () => {
    assert.equal(spaceOf('d\u0000users\u0000u1\u0000'), 'd\u0000users\u0000')
    assert.equal(spaceOf('i\u0000users\u0000status\u0000active\u0000u1\u0000'), 'i\u0000users\u0000status\u0000')
    assert.equal(spaceOf('u\u0000users\u0000email\u0000a@b\u0000'), 'u\u0000users\u0000email\u0000')
    assert.equal(spaceOf('c\u0000users\u0000by_status\u0000active\u0000'), 'c\u0000users\u0000by_status\u0000')
  })

  it('drops an answer when a commit writes inside its range, keeps it otherwise', () => {
    const c = new RangeCache<string>()
    c.fill(c.epoch, space, 'q', range, 'answer', 1)
    c.invalidate([`${space}a`, `${space}d`, 'i\u0000c\u0000other\u0000c'])
    assert.equal(c.get(space, 'q'), 'answer', 'keys outside the range and in other spaces leave it')
    c.invalidate([`${space}c\u0000x`])
    assert.equal(c.get(space, 'q'), undefined)
  })

  it('ignores a fill from a read that a commit overtook', () => {
    const c = new RangeCache<string>()
    const before = c.epoch
    c.invalidate(['d\u0000elsewhere\u0000'])
    c.fill(before, space, 'q', range, 'stale', 1)
    assert.equal(c.get(space, 'q'), undefined)
  })

  it('drops a whole space when a batch is too large to compare key by key', () => {
    const c = new RangeCache<string>()
    for (let i = 0; i < 300; i++) c.fill(c.epoch, space, `q${i}`, { gte: `${space}${i}\u0000`, lt: `${space}${i}\u0001` }, 'x', 1)
    c.invalidate(Array.from({ length: 100 }, (_, i) => `${space}zz${i}`))
    assert.equal(c.size, 0)
  })

  it('stays within its bounds of answers and keys, dropping the oldest', () => {
    const c = new RangeCache<string>(2, 10)
    for (const q of ['a', 'b', 'c']) c.fill(c.epoch, space, q, range, q, 1)
    assert.equal(c.size, 2)
    assert.equal(c.get(space, 'a'), undefined)
    c.fill(c.epoch, space, 'big', range, 'big', 10)
    assert.equal(c.size, 1, 'the keys bound drops older answers')
    c.fill(c.epoch, space, 'huge', range, 'huge', 11)
    assert.equal(c.get(space, 'huge'), undefined, 'an answer past the bound alone is not kept')
  })
})

describe('LevelDB query answers and counts through the cache see every write', () => {
  for (const cache of [true, false])
    it(`inserts, status changes and deletes change the answers and counts they must${cache ? '' : ' (caches off)'}`, async () => {
      const f = await levelFixture({ cache })
      try {
        const { db } = f
        await db.activity.insertMany([act(1, 'active'), act(2, 'active'), act(3, 'pending')])
        // Fill the caches.
        assert.deepEqual(ids(await db.activity.byStatus('active')), ['a1', 'a2'])
        assert.deepEqual(ids(await db.activity.byStatus('pending')), ['a3'])
        assert.deepEqual(await db.activity.countByStatus(), { active: 2, pending: 1 })
        assert.deepEqual(ids(await db.activity.timeRange({ since: 0 })), ['a3', 'a2', 'a1'])

        await db.activity.insert(act(4, 'active'))
        assert.deepEqual(ids(await db.activity.byStatus('active')), ['a1', 'a2', 'a4'])
        assert.deepEqual(ids(await db.activity.byStatus('pending')), ['a3'])
        assert.deepEqual(ids(await db.activity.timeRange({ since: 0 })), ['a4', 'a3', 'a2', 'a1'])
        assert.deepEqual(await db.activity.countByStatus(), { active: 3, pending: 1 })

        // A status change moves the document from one index entry (and count) to another.
        await db.activity.update('a1', { status: 'pending' })
        assert.deepEqual(ids(await db.activity.byStatus('active')), ['a2', 'a4'])
        assert.deepEqual(ids(await db.activity.byStatus('pending')), ['a1', 'a3'])
        assert.deepEqual(await db.activity.countByStatusForUser('u1'), { active: 2, pending: 2 })

        await db.activity.delete('a2')
        assert.deepEqual(ids(await db.activity.byStatus('active')), ['a4'])
        assert.deepEqual(ids(await db.activity.timeRange({ since: 0 })), ['a4', 'a3', 'a1'])
        assert.deepEqual(await db.activity.countByStatus(), { active: 1, pending: 2 })

        await db.activity.delete('a4')
        assert.deepEqual(await db.activity.byStatus('active'), [])
        assert.deepEqual(await db.activity.countByStatus(), { pending: 2 })
      } finally {
        await f.dispose()
      }
    })

  it('a change that leaves the index entries alone still shows (the documents are not cached with the answer)', async () => {
    const f = await levelFixture()
    try {
      const { db } = f
      await db.activity.insertMany([act(1, 'active'), act(2, 'active')])
      assert.deepEqual(
        (await db.activity.byStatus('active')).map((a) => a.data),
        [{ value: 1 }, { value: 2 }]
      )
      await db.activity.update('a2', { data: { value: 20 } })
      assert.deepEqual(
        (await db.activity.byStatus('active')).map((a) => a.data),
        [{ value: 1 }, { value: 20 }]
      )
    } finally {
      await f.dispose()
    }
  })

  it('a filtered query whose cached scan stopped short is scanned again when a document stops passing the filter', async () => {
    const f = await levelFixture()
    try {
      const { db } = f
      // u1's records newest first: a5 active, a4 active, a3 pending, a2 active, a1 active.
      await db.activity.insertMany([act(1, 'active'), act(2, 'active'), act(3, 'pending'), act(4, 'active'), act(5, 'active')])
      const recent = async (): Promise<string[]> => ids(await db.activity.recentForUser('u1', ['active'], 0, { limit: 2 }))
      assert.deepEqual(await recent(), ['a5', 'a4'])
      // The (user, time) index entry of a4 does not change, only the document: the cached scan (a5, a4) is too short.
      await db.activity.update('a4', { status: 'inactive' })
      assert.deepEqual(await recent(), ['a5', 'a2'])
      await db.activity.update('a4', { status: 'active' })
      assert.deepEqual(await recent(), ['a5', 'a4'])
    } finally {
      await f.dispose()
    }
  })

  it('a transaction invalidates on commit, not before, and hands out copies', async () => {
    const f = await levelFixture()
    try {
      const { db } = f
      await db.activity.insertMany([act(1, 'active'), act(2, 'pending')])
      assert.deepEqual(ids(await db.activity.byStatus('active')), ['a1'])
      assert.deepEqual(await db.activity.countByStatus(), { active: 1, pending: 1 })
      await db.transaction(async (t) => {
        await t.activity.update('a2', { status: 'active' })
        await t.activity.insert(act(3, 'active'))
        // Not committed yet: readers outside the transaction still see the committed state.
        assert.deepEqual(ids(await db.activity.byStatus('active')), ['a1'])
        assert.deepEqual(ids(await t.activity.byStatus('active')), ['a1', 'a2', 'a3'])
      })
      assert.deepEqual(ids(await db.activity.byStatus('active')), ['a1', 'a2', 'a3'])
      assert.deepEqual(await db.activity.countByStatus(), { active: 3 })

      const mine = await db.activity.byStatus('active')
      ;(mine[0] as Activity).status = 'tampered'
      mine.pop()
      const counts = await db.activity.countByStatus()
      counts.active = 99
      assert.deepEqual(ids(await db.activity.byStatus('active')), ['a1', 'a2', 'a3'])
      assert.equal((await db.activity.byStatus('active'))[0]?.status, 'active')
      assert.deepEqual(await db.activity.countByStatus(), { active: 3 })
    } finally {
      await f.dispose()
    }
  })

  it('cached answers equal the snapshot answers after random writes racing random queries', async () => {
    const f = await levelFixture()
    try {
      const { db } = f
      const rng = createRng(27)
      const statuses = ['active', 'inactive', 'pending']
      const users = ['u1', 'u2', 'u3']
      let next = 0
      const docs = Array.from({ length: 60 }, () => {
        const i = next++
        return act(i, statuses[rng.int(0, 2)] as string, users[rng.int(0, 2)] as string, 1_000 + rng.int(0, 100))
      })
      await db.activity.insertMany(docs)
      const live = new Set(docs.map((d) => d.activity_id))
      const read = async (d: Database | Parameters<Parameters<Database['transaction']>[0]>[0]): Promise<unknown> => {
        const out: unknown[] = []
        for (const s of statuses) out.push(ids(await d.activity.byStatus(s, { limit: 15 })))
        for (const u of users) {
          out.push(ids(await d.activity.byUser(u)))
          out.push(ids(await d.activity.recentForUser(u, ['active', 'pending'], 1_030, { limit: 4 })))
          out.push(await d.activity.countByStatusForUser(u))
        }
        out.push(ids(await d.activity.timeRange({ since: 1_020, until: 1_070, limit: 10 })))
        out.push(await d.activity.countByStatus())
        return out
      }
      const write = async (): Promise<void> => {
        const pick = [...live][rng.int(0, live.size - 1)] as string
        const kind = rng.int(0, 3)
        if (kind === 0) {
          const d = act(next++, statuses[rng.int(0, 2)] as string, users[rng.int(0, 2)] as string, 1_000 + rng.int(0, 100))
          live.add(d.activity_id)
          await db.activity.insert(d)
        } else if (kind === 1) {
          live.delete(pick)
          await db.activity.delete(pick)
        } else if (kind === 2) {
          await db.activity.update(pick, { status: statuses[rng.int(0, 2)] as string })
        } else {
          await db.activity.update(pick, { timestamp: 1_000 + rng.int(0, 100), user_id: users[rng.int(0, 2)] as string })
        }
      }
      for (let round = 0; round < 40; round++) {
        // Queries in flight while writes commit: some fills race commits.
        await Promise.all([read(db), write(), read(db), write(), read(db)])
        const cached = await read(db)
        const snapshot = await db.transaction(async (t) => await read(t))
        assert.deepEqual(cached, snapshot, `round ${round}`)
      }
    } finally {
      await f.dispose()
    }
  })
})
