/**
 * The conformance suite: the same behaviour asked of every backend (LevelDB, and MongoDB through
 * MONGODB_URI or the jongodb stand-in): CRUD, unique constraints, every query with its ordering and
 * limit, grouped counts, transactions that commit and that abort, concurrent writers, and bad input
 * answered with the catalogue's codes.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Activity, Database, User } from '../../services/db/index.ts'
import { BACKENDS, codeOf, type Fixture } from './helpers.ts'

const user = (id: string, extra: Partial<User> = {}): User => ({
  user_id: id,
  email: `${id}@example.org`,
  roles: ['User'],
  status: 'active',
  created_at: 1000,
  ...extra
})

// A small version of the original test's workload: 8 users, 4 sessions, 3 statuses, distinct timestamps.
const STATUSES = ['active', 'inactive', 'pending'] as const
const ACTIVITY: Activity[] = Array.from({ length: 60 }, (_, i) => ({
  activity_id: `act_${String(i).padStart(3, '0')}`,
  user_id: `user_${i % 8}`,
  session_id: `session_${i % 4}`,
  status: STATUSES[i % 3] as string,
  timestamp: 10_000 + ((i * 37) % 60) * 10,
  data: { n: i }
}))
const ids = (docs: ReadonlyArray<{ activity_id: string }>): string[] => docs.map((d) => d.activity_id)
const byTimeDesc = (a: Activity, b: Activity): number => b.timestamp - a.timestamp || (a.activity_id < b.activity_id ? 1 : -1)

for (const backend of BACKENDS) {
  describe(`db conformance: ${backend.name}`, () => {
    let fx: Fixture
    let db: Database
    before(async () => {
      fx = await backend.open()
      db = fx.db
      await db.activity.insertMany(ACTIVITY)
    })
    after(async () => {
      await fx.dispose()
    })

    it('names its engine', () => {
      assert.equal(db.engine.backend, backend.name)
      assert.ok(db.engine.description.length > 0 && db.engine.version.length > 0)
      if (db.engine.standIn) assert.match(db.engine.description, /not MongoDB/)
    })

    it('inserts, reads, updates and deletes by id', async () => {
      const stored = await db.users.insert(user('crud_1', { tron_address: 'TXcrud1' }))
      assert.deepEqual(await db.users.get('crud_1'), stored)
      const updated = await db.users.update('crud_1', { status: 'suspended', roles: ['User', 'Admin'] })
      assert.equal(updated.status, 'suspended')
      assert.deepEqual((await db.users.require('crud_1')).roles, ['User', 'Admin'])
      assert.equal((await db.users.byEmail('crud_1@example.org'))?.user_id, 'crud_1')
      assert.equal((await db.users.byTronAddress('TXcrud1'))?.user_id, 'crud_1')
      await db.users.delete('crud_1')
      assert.equal(await db.users.get('crud_1'), undefined)
      assert.equal(await db.users.byEmail('crud_1@example.org'), undefined)
    })

    it('answers unknown ids with undefined, or LUCID_ERR_4001 where a document is required', async () => {
      assert.equal(await db.users.get('nobody'), undefined)
      assert.equal(await codeOf(db.users.require('nobody')), 'LUCID_ERR_4001')
      assert.equal(await codeOf(db.users.update('nobody', { status: 'x' })), 'LUCID_ERR_4001')
      assert.equal(await codeOf(db.users.delete('nobody')), 'LUCID_ERR_4001')
    })

    it('rejects malformed documents with LUCID_ERR_4003 and malformed lookups with LUCID_ERR_4009', async () => {
      assert.equal(await codeOf(db.users.insert({ ...user('bad_1'), email: '' })), 'LUCID_ERR_4003')
      assert.equal(await codeOf(db.users.insert({ ...user('bad_2'), extra: 1 } as unknown as User)), 'LUCID_ERR_4003')
      assert.equal(await codeOf(db.users.insert({ user_id: 'bad_3' } as unknown as User)), 'LUCID_ERR_4003')
      assert.equal(await codeOf(db.users.insert(user('bad\u00004'))), 'LUCID_ERR_4003')
      assert.equal(await codeOf(db.users.insert(null as unknown as User)), 'LUCID_ERR_4003')
      assert.equal(await codeOf(db.users.update('nobody', { user_id: 'other' })), 'LUCID_ERR_4001')
      assert.equal(await codeOf(db.users.get(42 as unknown as string)), 'LUCID_ERR_4009')
      assert.equal(await codeOf(db.activity.byUser('user_1', { limit: 0 })), 'LUCID_ERR_4009')
      assert.equal(await codeOf(db.activity.timeRange({ since: 5, until: 1 })), 'LUCID_ERR_4009')
      assert.equal(await codeOf(db.blocks.range(-1, 5)), 'LUCID_ERR_4009')
      assert.equal(await db.users.get('bad_1'), undefined)
    })

    it('refuses to change a primary key', async () => {
      await db.users.insert(user('pk_1'))
      assert.equal(await codeOf(db.users.update('pk_1', { user_id: 'pk_2' })), 'LUCID_ERR_4003')
      assert.equal(await db.users.get('pk_2'), undefined)
    })

    it('enforces primary and unique keys with LUCID_ERR_4002', async () => {
      await db.users.insert(user('uniq_1', { tron_address: 'TXuniq1' }))
      assert.equal(await codeOf(db.users.insert(user('uniq_1', { email: 'other@example.org' }))), 'LUCID_ERR_4002')
      assert.equal(await codeOf(db.users.insert(user('uniq_2', { email: 'uniq_1@example.org' }))), 'LUCID_ERR_4002')
      assert.equal(await codeOf(db.users.insert(user('uniq_3', { tron_address: 'TXuniq1' }))), 'LUCID_ERR_4002')
      await db.users.insert(user('uniq_4'))
      assert.equal(await codeOf(db.users.update('uniq_4', { email: 'uniq_1@example.org' })), 'LUCID_ERR_4002')
      // Users without a wallet do not collide on the (sparse) unique address index.
      await db.users.insert(user('uniq_5'))
      // A freed value can be taken again.
      await db.users.update('uniq_1', { email: 'uniq_1b@example.org' })
      await db.users.insert(user('uniq_6', { email: 'uniq_1@example.org' }))
      assert.equal((await db.users.byEmail('uniq_1@example.org'))?.user_id, 'uniq_6')
    })

    it('inserts a batch all or nothing', async () => {
      const batch = [user('batch_1'), user('batch_2'), user('batch_3', { email: 'batch_1@example.org' })]
      assert.equal(await codeOf(db.users.insertMany(batch)), 'LUCID_ERR_4002')
      assert.equal(await db.users.get('batch_1'), undefined)
      assert.equal(await db.users.get('batch_2'), undefined)
      await db.users.insertMany(batch.slice(0, 2))
      assert.equal((await db.users.require('batch_2')).user_id, 'batch_2')
    })

    it('answers the original test queries with their order and limits', async () => {
      const u = 'user_3'
      const expectUser = ACTIVITY.filter((d) => d.user_id === u)
        .map((d) => d.activity_id)
        .sort()
      assert.deepEqual(ids(await db.activity.byUser(u)), expectUser)
      assert.deepEqual(ids(await db.activity.byUser(u, { limit: 3 })), expectUser.slice(0, 3))
      assert.deepEqual(
        ids(await db.activity.bySession('session_2')),
        ACTIVITY.filter((d) => d.session_id === 'session_2')
          .map((d) => d.activity_id)
          .sort()
      )
      assert.deepEqual(
        ids(await db.activity.byStatus('pending', { limit: 7 })),
        ACTIVITY.filter((d) => d.status === 'pending')
          .map((d) => d.activity_id)
          .sort()
          .slice(0, 7)
      )
      const inRange = ACTIVITY.filter((d) => d.timestamp >= 10_100 && d.timestamp <= 10_300).sort(byTimeDesc)
      assert.deepEqual(ids(await db.activity.timeRange({ since: 10_100, until: 10_300 })), ids(inRange))
      assert.deepEqual(ids(await db.activity.timeRange({ since: 10_100, until: 10_300, limit: 4 })), ids(inRange.slice(0, 4)))
      assert.equal((await db.activity.timeRange({})).length, 60)
      const complex = ACTIVITY.filter((d) => d.user_id === u && ['active', 'pending'].includes(d.status) && d.timestamp >= 10_150).sort(byTimeDesc)
      assert.ok(complex.length >= 2)
      assert.deepEqual(ids(await db.activity.recentForUser(u, ['active', 'pending'], 10_150)), ids(complex))
      assert.deepEqual(ids(await db.activity.recentForUser(u, ['active', 'pending'], 10_150, { limit: 1 })), ids(complex.slice(0, 1)))
      assert.deepEqual(await db.activity.recentForUser('user_none', ['active'], 0), [])
    })

    it('counts grouped by status, for one user and overall', async () => {
      const expect = (docs: Activity[]): Record<string, number> => {
        const out: Record<string, number> = {}
        for (const d of docs) out[d.status] = (out[d.status] ?? 0) + 1
        return out
      }
      assert.deepEqual(await db.activity.countByStatusForUser('user_5'), expect(ACTIVITY.filter((d) => d.user_id === 'user_5')))
      assert.deepEqual(await db.activity.countByStatus(), expect(ACTIVITY))
      assert.deepEqual(await db.activity.countByStatusForUser('user_none'), {})
    })

    it('keeps grouped counts right through updates and deletes', async () => {
      for (let i = 0; i < 5; i++) {
        await db.sessions.insert({ session_id: `cnt_${i}`, user_id: 'cnt_user', status: 'recording', chunk_count: 0, created_at: 2000 + i })
      }
      await db.sessions.setStatus('cnt_0', 'closed')
      await db.sessions.setStatus('cnt_1', 'closed')
      await db.sessions.delete('cnt_2')
      assert.deepEqual(await db.sessions.countByStatusForUser('cnt_user'), { recording: 2, closed: 2 })
      const all = await db.sessions.countByStatus()
      assert.equal(all.recording, 2)
      assert.equal(all.closed, 2)
    })

    it('lists sessions newest first by user, status and time range', async () => {
      for (let i = 0; i < 6; i++) {
        await db.sessions.insert({
          session_id: `ls_${i}`,
          user_id: i % 2 === 0 ? 'ls_even' : 'ls_odd',
          status: i < 3 ? 'ls_open' : 'ls_done',
          chunk_count: 0,
          created_at: 5000 + i * 10
        })
      }
      assert.deepEqual(
        (await db.sessions.byUser('ls_even')).map((s) => s.session_id),
        ['ls_4', 'ls_2', 'ls_0']
      )
      assert.deepEqual(
        (await db.sessions.byUser('ls_even', { since: 5010, limit: 1 })).map((s) => s.session_id),
        ['ls_4']
      )
      assert.deepEqual(
        (await db.sessions.byStatus('ls_done')).map((s) => s.session_id),
        ['ls_5', 'ls_4', 'ls_3']
      )
      assert.deepEqual(
        (await db.sessions.inTimeRange({ since: 5010, until: 5030 })).map((s) => s.session_id),
        ['ls_3', 'ls_2', 'ls_1']
      )
      const s = await db.sessions.addChunks('ls_0', 3)
      assert.equal(s.chunk_count, 3)
      const anchored = await db.sessions.anchor('ls_0', 'root0', { block_height: 7, hash: 'h7' })
      assert.deepEqual(anchored.blockchain_anchor, { block_height: 7, hash: 'h7' })
    })

    it('stores chunks under (session_id, idx) and lists them in order', async () => {
      for (const idx of [2, 0, 1, 10]) await db.chunks.insert({ session_id: 'ch_s', idx, ciphertext_sha256: `h${idx}`, size_bytes: 100 + idx, created_at: 1 })
      await db.chunks.insert({ session_id: 'ch_s2', idx: 0, ciphertext_sha256: 'x', size_bytes: 1, created_at: 1 })
      assert.equal(await codeOf(db.chunks.insert({ session_id: 'ch_s', idx: 1, ciphertext_sha256: 'dup', size_bytes: 1, created_at: 1 })), 'LUCID_ERR_4002')
      assert.deepEqual(
        (await db.chunks.bySession('ch_s')).map((c) => c.idx),
        [0, 1, 2, 10]
      )
      assert.deepEqual(
        (await db.chunks.bySession('ch_s', { fromIdx: 2, limit: 1 })).map((c) => c.idx),
        [2]
      )
      assert.equal((await db.chunks.get('ch_s', 10))?.size_bytes, 110)
    })

    it('finds blocks by height, hash, latest, range and producer', async () => {
      assert.equal(await db.blocks.latest(), undefined)
      for (let h = 0; h < 12; h++) {
        await db.blocks.insert({
          height: h,
          hash: `bh${h}`,
          previous_hash: h === 0 ? 'genesis' : `bh${h - 1}`,
          transactions: [`tx${h}`],
          merkle_root: `m${h}`,
          producer: h % 2 === 0 ? 'node_a' : 'node_b',
          timestamp: 1000 * h
        })
      }
      assert.equal((await db.blocks.latest())?.height, 11)
      assert.equal((await db.blocks.byHeight(5))?.hash, 'bh5')
      assert.equal((await db.blocks.byHash('bh9'))?.height, 9)
      assert.deepEqual(
        (await db.blocks.range(3, 6)).map((b) => b.height),
        [3, 4, 5, 6]
      )
      assert.deepEqual(
        (await db.blocks.range(3, 100, { limit: 2 })).map((b) => b.height),
        [3, 4]
      )
      assert.deepEqual(
        (await db.blocks.byProducer('node_b', { limit: 3 })).map((b) => b.height),
        [11, 9, 7]
      )
      assert.equal(
        await codeOf(
          db.blocks.insert({ height: 12, hash: 'bh3', previous_hash: 'bh11', transactions: [], merkle_root: 'm', producer: 'node_a', timestamp: 1 })
        ),
        'LUCID_ERR_4002'
      )
    })

    it('finds chain transactions by type and block, and counts them by type', async () => {
      for (let i = 0; i < 5; i++) {
        await db.transactions.insert({
          tx_id: `t${i}`,
          tx_type: i < 3 ? 'session_anchor' : 'consensus_vote',
          payload: { i, nested: [true, null] },
          signature: `sig${i}`,
          timestamp: 100 + i
        })
      }
      await db.transactions.include('t1', 40)
      await db.transactions.include('t3', 40)
      assert.deepEqual(
        (await db.transactions.byType('session_anchor')).map((t) => t.tx_id),
        ['t2', 't1', 't0']
      )
      assert.deepEqual(
        (await db.transactions.byBlock(40)).map((t) => t.tx_id),
        ['t1', 't3']
      )
      assert.deepEqual(await db.transactions.countByType(), { session_anchor: 3, consensus_vote: 2 })
      assert.deepEqual((await db.transactions.get('t0'))?.payload, { i: 0, nested: [true, null] })
    })

    it('keeps task proofs unique per (slot, node) and tallies work credits', async () => {
      await db.taskProofs.insert({ slot: 1, node_id: 'n1', epoch: 0, kind: 'uptime_beacon', credits: 1, timestamp: 10 })
      await db.taskProofs.insert({ slot: 2, node_id: 'n1', epoch: 0, kind: 'relay_bandwidth', credits: 3, timestamp: 20 })
      await db.taskProofs.insert({ slot: 2, node_id: 'n2', epoch: 0, kind: 'uptime_beacon', credits: 1, timestamp: 20 })
      assert.equal(await codeOf(db.taskProofs.insert({ slot: 2, node_id: 'n1', epoch: 0, kind: 'x', credits: 0, timestamp: 0 })), 'LUCID_ERR_4002')
      assert.deepEqual(
        (await db.taskProofs.byNode('n1')).map((p) => p.slot),
        [2, 1]
      )
      assert.deepEqual(
        (await db.taskProofs.byEpoch(0)).map((p) => p.node_id),
        ['n1', 'n1', 'n2']
      )
      assert.deepEqual(await db.taskProofs.countByKind(0), { uptime_beacon: 2, relay_bandwidth: 1 })
      await db.workTally.addCredits(0, 'n1', 4)
      await db.workTally.addCredits(0, 'n1', 2.5)
      await db.workTally.addCredits(0, 'n2', 1)
      await db.workTally.setRank(0, 'n1', 1)
      await db.workTally.setRank(0, 'n2', 2)
      assert.deepEqual(
        (await db.workTally.ranking(0)).map((t) => [t.entity_id, t.credits]),
        [
          ['n1', 6.5],
          ['n2', 1]
        ]
      )
    })

    it('commits a transaction: all its writes appear together', async () => {
      const result = await db.transaction(async (t) => {
        await t.sessions.insert({ session_id: 'tx_ok', user_id: 'tx_user', status: 'recording', chunk_count: 0, created_at: 1 })
        await t.chunks.insert({ session_id: 'tx_ok', idx: 0, ciphertext_sha256: 'c0', size_bytes: 1, created_at: 1 })
        await t.sessions.addChunks('tx_ok', 1)
        // Reads inside see the transaction's own writes.
        assert.equal((await t.sessions.require('tx_ok')).chunk_count, 1)
        assert.deepEqual(
          (await t.sessions.byUser('tx_user')).map((s) => s.session_id),
          ['tx_ok']
        )
        assert.deepEqual(await t.sessions.countByStatusForUser('tx_user'), { recording: 1 })
        return 'done'
      })
      assert.equal(result, 'done')
      assert.equal((await db.sessions.require('tx_ok')).chunk_count, 1)
      assert.equal((await db.chunks.get('tx_ok', 0))?.ciphertext_sha256, 'c0')
    })

    it('aborts a transaction: nothing of it is visible and its error is passed on', async () => {
      await db.users.insert(user('tx_keep'))
      const boom = new Error('abort on purpose')
      await assert.rejects(
        db.transaction(async (t) => {
          await t.users.insert(user('tx_gone'))
          await t.users.update('tx_keep', { status: 'changed' })
          await t.users.delete('tx_keep')
          throw boom
        }),
        (err) => err === boom
      )
      assert.equal(await db.users.get('tx_gone'), undefined)
      assert.equal((await db.users.require('tx_keep')).status, 'active')
      // A constraint violation inside aborts the whole transaction too.
      assert.equal(
        await codeOf(
          db.transaction(async (t) => {
            await t.users.insert(user('tx_gone_2'))
            await t.users.insert(user('tx_keep'))
          })
        ),
        'LUCID_ERR_4002'
      )
      assert.equal(await db.users.get('tx_gone_2'), undefined)
    })

    it('refuses to use a transaction after it finished', async () => {
      let leaked: Database['users'] | undefined
      await db.transaction(async (t) => {
        leaked = t.users
      })
      assert.equal(await codeOf((leaked as Database['users']).get('x')), 'LUCID_ERR_4004')
    })

    it('serves concurrent writers without losing or duplicating writes', async () => {
      // 40 concurrent read-modify-writes of one document: every increment counts.
      await Promise.all(
        Array.from({ length: 40 }, async () => {
          await db.workTally.addCredits(9, 'hot', 1)
        })
      )
      assert.equal((await db.workTally.get(9, 'hot'))?.credits, 40)
      // 100 concurrent inserts of distinct documents: all present.
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          await db.users.insert(user(`conc_${i}`, { status: 'conc' }))
        })
      )
      assert.equal((await db.users.byStatus('conc', { limit: 1000 })).length, 100)
      assert.equal((await db.users.countByStatus()).conc, 100)
      // 10 concurrent claims of one unique email: exactly one wins, the rest get LUCID_ERR_4002.
      const claims = await Promise.allSettled(
        Array.from({ length: 10 }, async (_, i) => await db.users.insert(user(`claim_${i}`, { email: 'claimed@example.org' })))
      )
      assert.equal(claims.filter((c) => c.status === 'fulfilled').length, 1)
      for (const c of claims) if (c.status === 'rejected') assert.equal((c.reason as { code: string }).code, 'LUCID_ERR_4002')
    })

    it('reports counts per collection', async () => {
      const s = await db.stats()
      assert.equal(s.documents.activity, 60)
      assert.equal(s.documents.blocks, 12)
      assert.ok((s.documents.users ?? 0) > 100)
    })
  })

  describe(`db closed: ${backend.name}`, () => {
    it('answers every call after close with LUCID_ERR_4004', async () => {
      const fx = await backend.open()
      try {
        await fx.db.users.insert(user('closing'))
      } finally {
        await fx.dispose()
      }
      assert.equal(fx.db.closed, true)
      assert.equal(await codeOf(fx.db.users.get('closing')), 'LUCID_ERR_4004')
      assert.equal(await codeOf(fx.db.users.insert(user('late'))), 'LUCID_ERR_4004')
      assert.equal(await codeOf(fx.db.transaction(async () => 1)), 'LUCID_ERR_4004')
      assert.equal(await codeOf(fx.db.stats()), 'LUCID_ERR_4004')
      await fx.db.close()
    })
  })
}
