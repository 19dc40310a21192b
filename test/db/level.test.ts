/**
 * What only the LevelDB backend has to prove: serialisable transactions (write skew is caught), one
 * process per directory (LUCID_ERR_4007 naming the holder), and durability of acknowledged writes
 * across kill -9 with no half of any batch.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { type Database, openDatabase } from '../../services/db/index.ts'
import { tempDir } from './helpers.ts'

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

/** Spawns a fixture under tsx; resolves once it printed `ready`, with its stdout lines so far. */
function spawnFixture(name: string, dir: string): { child: ChildProcessWithoutNullStreams; lines: string[]; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture(name), dir], { stdio: ['pipe', 'pipe', 'pipe'] })
  const lines: string[] = []
  let partial = ''
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n')
      partial = parts.pop() ?? ''
      for (const l of parts) {
        lines.push(l)
        if (l === 'ready') resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before ready: ${stderr}`)))
  })
  return { child, lines, ready }
}

async function kill(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await gone
}

describe('level: serialisable transactions', () => {
  let dir: string
  let db: Database
  before(async () => {
    dir = await tempDir()
    db = await openDatabase({ backend: 'level', path: dir })
    for (const id of ['doc_a', 'doc_b']) await db.sessions.insert({ session_id: id, user_id: 'ward', status: 'oncall', chunk_count: 0, created_at: 1 })
  })
  after(async () => {
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })

  // Two doctors on call; each may go off call if the other is still on. Under snapshot isolation both
  // read "2 on call" and both leave (write skew); serialisable execution must keep one on call.
  const goOffCall = async (me: string, bothRead: Promise<void>, iRead: () => void, retries: number): Promise<void> => {
    await db.transaction(
      async (t) => {
        const onCall = await t.sessions.byStatus('oncall')
        iRead()
        await bothRead
        if (onCall.length >= 2) await t.sessions.setStatus(me, 'off')
      },
      { retries }
    )
  }

  it('aborts the second of two write-skewed transactions with LUCID_ERR_4006', async () => {
    let reads = 0
    let release!: () => void
    const bothRead = new Promise<void>((resolve) => {
      release = resolve
    })
    const iRead = (): void => {
      if (++reads === 2) release()
    }
    const results = await Promise.allSettled([goOffCall('doc_a', bothRead, iRead, 0), goOffCall('doc_b', bothRead, iRead, 0)])
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    assert.equal((failed.reason as { code: string }).code, 'LUCID_ERR_4006')
    assert.equal((await db.sessions.byStatus('oncall')).length, 1)
  })

  it('retries a conflicting transaction against the new state', async () => {
    await db.sessions.setStatus('doc_a', 'oncall')
    await db.sessions.setStatus('doc_b', 'oncall')
    let reads = 0
    let release!: () => void
    const bothRead = new Promise<void>((resolve) => {
      release = resolve
    })
    const iRead = (): void => {
      if (++reads === 2) release()
    }
    await Promise.all([goOffCall('doc_a', bothRead, iRead, 3), goOffCall('doc_b', bothRead, iRead, 3)])
    assert.equal((await db.sessions.byStatus('oncall')).length, 1)
  })

  it('keeps a sum invariant under concurrent transfers', async () => {
    await db.workTally.addCredits(1, 'acct_x', 100)
    await db.workTally.addCredits(1, 'acct_y', 100)
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const [from, to] = i % 2 === 0 ? ['acct_x', 'acct_y'] : ['acct_y', 'acct_x']
        await db.transaction(
          async (t) => {
            await t.workTally.addCredits(1, from as string, -(i % 7))
            await t.workTally.addCredits(1, to as string, i % 7)
          },
          { retries: 100 }
        )
      })
    )
    const x = (await db.workTally.get(1, 'acct_x'))?.credits ?? 0
    const y = (await db.workTally.get(1, 'acct_y'))?.credits ?? 0
    assert.equal(x + y, 200)
  })
})

describe('level: one process per directory', () => {
  it('gives a second opener in this process LUCID_ERR_4007', async () => {
    const dir = await tempDir()
    const db = await openDatabase({ backend: 'level', path: dir })
    try {
      await assert.rejects(
        openDatabase({ backend: 'level', path: dir }),
        (err: Error & { code?: string }) => err.code === 'LUCID_ERR_4007' && /this process/.test(err.message)
      )
    } finally {
      await db.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('gives an opener in another process LUCID_ERR_4007 naming the holder pid', async () => {
    const dir = await tempDir()
    const holder = spawnFixture('holder.ts', dir)
    try {
      await holder.ready
      await assert.rejects(
        openDatabase({ backend: 'level', path: dir }),
        (err: Error & { code?: string }) => err.code === 'LUCID_ERR_4007' && err.message.includes(`process ${holder.child.pid}`) && /running/.test(err.message)
      )
    } finally {
      await kill(holder.child)
    }
    // Once the holder is gone (even killed, leaving its pid file behind) the directory opens again.
    const db = await openDatabase({ backend: 'level', path: dir })
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })
})

describe('level: durability', () => {
  it('keeps every acknowledged batch, and no half batch, across kill -9', async () => {
    const dir = await tempDir()
    const writer = spawnFixture('writer.ts', dir)
    try {
      await writer.ready
      // Let it acknowledge a few hundred batches, then kill it in the middle of whatever it is doing.
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (writer.lines.length > 300) {
            clearInterval(timer)
            resolve()
          }
        }, 5)
      })
    } finally {
      await kill(writer.child)
    }
    const acked = writer.lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4)))
    assert.ok(acked.length > 0)
    const lastAck = Math.max(...acked)
    const db = await openDatabase({ backend: 'level', path: dir })
    try {
      // Every acknowledged batch is whole.
      for (const n of acked) {
        for (let k = 0; k < 3; k++) assert.ok(await db.activity.get(`b${n}_${k}`), `batch ${n} record ${k} lost`)
      }
      // The batch in flight when killed is either entirely there or entirely absent.
      const inFlight = await Promise.all([0, 1, 2].map(async (k) => (await db.activity.get(`b${lastAck + 1}_${k}`)) !== undefined))
      assert.ok(inFlight.every((x) => x) || inFlight.every((x) => !x), `batch ${lastAck + 1} is half written`)
      assert.equal(await db.activity.get(`b${lastAck + 2}_0`), undefined)
      // Indexes and maintained counts agree with the documents.
      const committed = lastAck + 1 + (inFlight[0] === true ? 1 : 0)
      assert.equal((await db.stats()).documents.activity, committed * 3)
      assert.deepEqual(await db.activity.countByStatus(), { active: committed * 3 })
      assert.equal((await db.workTally.get(0, 'writer'))?.credits, committed)
      assert.equal((await db.activity.timeRange({ since: lastAck, until: lastAck })).length, 3)
    } finally {
      await db.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
