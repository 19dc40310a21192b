/**
 * The MongoDB outage check's parts: the TCP fault proxy against a local echo server (fast, no database),
 * the replica-set address translation, and, when the jongodb stand-in is installed, the DB layer through
 * the proxy: typed errors within a bound, no retried outage, recovery, nothing acknowledged lost. Also the
 * regressions of the DB-layer bugs the check found (services/db/mongo: errors.ts, backend.ts; testing/mongo-standin.ts).
 * Timing bounds are generous: these tests run beside others on a loaded machine.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { BSON, Long, MongoClient, MongoNetworkError, MongoServerError } from 'mongodb'
import { type FaultProxy, startFaultProxy } from '../../chaos/faults/proxy.ts'
import { createAdvertiser } from '../../chaos/faults/mongo-advertise.ts'
import { errorBoundMs, runMongoOutage } from '../../chaos/faults/mongo.ts'
import { Database } from '../../services/db/index.ts'
import { openMongoBackend } from '../../services/db/mongo/backend.ts'
import { mapMongoError } from '../../services/db/mongo/errors.ts'
import { type Standin, standinBinary, startStandin, withPolling } from '../../testing/mongo-standin.ts'

const NO_STANDIN = standinBinary() === undefined ? 'the jongodb stand-in (@jongodb/memory-server-bin-linux-x64-gnu) is not installed' : false

/** Connects to the proxy. */
async function dial(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port })
  await once(s, 'connect')
  return s
}

/** Collects `n` bytes from the socket, or rejects after `ms`. */
async function receive(s: Socket, n: number, ms: number): Promise<Buffer> {
  return await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = []
    let got = 0
    const done = (err?: Error): void => {
      clearTimeout(timer)
      s.off('data', onData)
      if (err !== undefined) reject(err)
      else resolve(Buffer.concat(parts))
    }
    const onData = (d: Buffer): void => {
      parts.push(d)
      got += d.length
      if (got >= n) done()
    }
    const timer = setTimeout(() => done(new Error(`only ${got} of ${n} bytes within ${ms} ms`)), ms)
    s.on('data', onData)
  })
}

describe('fault proxy (echo server)', () => {
  let echo: Server
  let proxy: FaultProxy
  before(async () => {
    echo = createServer((s) => {
      s.on('error', () => {})
      s.pipe(s)
    })
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
    proxy = await startFaultProxy({ targetPort: (echo.address() as AddressInfo).port, delayMs: 100 })
  })
  after(async () => {
    await proxy.close()
    echo.close()
  })

  it('pass: bytes go through unchanged, both ways', async () => {
    await proxy.setMode('pass')
    const s = await dial(proxy.port)
    const payload = Buffer.from(Array.from({ length: 100_000 }, (_x, i) => i % 251))
    s.write(payload)
    assert.deepEqual(await receive(s, payload.length, 5000), payload)
    s.destroy()
  })

  it('slow: each way costs the delay, and order survives a switch back to pass mid-stream', async () => {
    await proxy.setMode('slow', { delayMs: 100 })
    const s = await dial(proxy.port)
    const t = performance.now()
    s.write('a')
    await receive(s, 1, 5000)
    const rtt = performance.now() - t
    assert.ok(rtt >= 190, `round trip ${rtt} ms, expected >= 2 x 100 ms`)
    // Chunks queued under the delay, then more sent after the switch: nothing may overtake them.
    const got = receive(s, 6, 5000)
    s.write('123')
    await sleep(20)
    await proxy.setMode('pass')
    s.write('456')
    assert.equal((await got).toString(), '123456')
    s.destroy()
  })

  it('blackhole: the connection stays up, nothing comes back, and held bytes arrive after the heal', async () => {
    await proxy.setMode('blackhole')
    const s = await dial(proxy.port)
    s.write('held')
    await assert.rejects(receive(s, 4, 400), /only 0 of 4/)
    assert.equal(s.destroyed, false)
    await proxy.setMode('pass')
    assert.equal((await receive(s, 4, 5000)).toString(), 'held')
    s.destroy()
  })

  it('refuse: open connections are cut, new ones refused, and the same port serves again after', async () => {
    await proxy.setMode('pass')
    const s = await dial(proxy.port)
    const closed = once(s, 'close')
    s.on('error', () => {})
    await proxy.setMode('refuse')
    await closed
    const refused = connect({ host: '127.0.0.1', port: proxy.port })
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException]
    assert.equal(err.code, 'ECONNREFUSED')
    await proxy.setMode('pass')
    const again = await dial(proxy.port)
    again.write('back')
    assert.equal((await receive(again, 4, 5000)).toString(), 'back')
    again.destroy()
  })
})

describe('replica-set address translation', () => {
  /** An OP_MSG reply with one body document, as a server sends it. */
  const opMsg = (doc: Record<string, unknown>): Buffer => {
    const body = Buffer.from(BSON.serialize(doc))
    const b = Buffer.alloc(21 + body.length)
    b.writeInt32LE(b.length, 0)
    b.writeInt32LE(7, 4)
    b.writeInt32LE(3, 8)
    b.writeInt32LE(2013, 12)
    b.writeUInt32LE(0, 16)
    b[20] = 0
    body.copy(b, 21)
    return b
  }
  const read = (m: Buffer): Record<string, unknown> => BSON.deserialize(m.subarray(21), { promoteLongs: false }) as Record<string, unknown>

  it('rewrites the advertised address in hello replies, keeps every other value and type, leaves other messages alone', () => {
    const adv = createAdvertiser('127.0.0.1:40001', '127.0.0.1:40002')
    const hello = opMsg({
      isWritablePrimary: true,
      setName: 'rs0',
      me: '127.0.0.1:40001',
      primary: '127.0.0.1:40001',
      hosts: ['127.0.0.1:40001'],
      topologyVersion: { counter: Long.fromNumber(5) },
      ok: 1
    })
    const out = adv.rewrite(hello)
    assert.equal(out.readInt32LE(0), out.length)
    assert.equal(out.readInt32LE(4), 7)
    const doc = read(out)
    assert.equal(doc.me, '127.0.0.1:40002')
    assert.equal(doc.primary, '127.0.0.1:40002')
    assert.deepEqual(doc.hosts, ['127.0.0.1:40002'])
    assert.ok(Long.isLong((doc.topologyVersion as { counter: unknown }).counter), 'a Long stays a Long')
    assert.equal(adv.rewritten, 1)
    const other = opMsg({ n: 1, note: '127.0.0.1:40001', ok: 1 })
    assert.equal(adv.rewrite(other), other)
    assert.equal(adv.foreign.size, 0)
  })

  it('records a server that advertises another name (the caller then connects directly)', () => {
    const adv = createAdvertiser('localhost:27017', '127.0.0.1:40002')
    adv.rewrite(opMsg({ isWritablePrimary: true, me: 'mongo1.internal:27017', hosts: ['mongo1.internal:27017'], ok: 1 }))
    assert.deepEqual([...adv.foreign], ['mongo1.internal:27017'])
    assert.equal(adv.rewritten, 0)
  })
})

describe('DB layer error mapping (regressions)', () => {
  it('a network error inside a transaction is LUCID_ERR_4005 (unreachable), not a conflict to retry', () => {
    const err = new MongoNetworkError('connection 3 to 127.0.0.1:1 timed out')
    err.addErrorLabel('TransientTransactionError')
    const mapped = mapMongoError(err, 'sessions insert') as Error & { code?: string }
    assert.equal(mapped.code, 'LUCID_ERR_4005')
    // A real write conflict is still one.
    const conflict = mapMongoError(new MongoServerError({ code: 112, errmsg: 'WriteConflict' }), 'x') as Error & { code?: string }
    assert.equal(conflict.code, 'LUCID_ERR_4006')
  })

  it('the stand-in URI asks for polling monitors, once', () => {
    assert.equal(withPolling('mongodb://127.0.0.1:5/test?replicaSet=rs0'), 'mongodb://127.0.0.1:5/test?replicaSet=rs0&serverMonitoringMode=poll')
    assert.equal(withPolling('mongodb://127.0.0.1:5'), 'mongodb://127.0.0.1:5/?serverMonitoringMode=poll')
    assert.equal(withPolling('mongodb://h:5/?serverMonitoringMode=stream'), 'mongodb://h:5/?serverMonitoringMode=stream')
  })
})

describe('DB layer through the fault proxy (jongodb stand-in)', { skip: NO_STANDIN }, () => {
  let standin: Standin
  before(async () => {
    standin = await startStandin()
  })
  after(async () => {
    await standin?.stop()
  })

  it("the stand-in URI keeps the driver's pool: no failed heartbeat, no pool cleared, no stall", async () => {
    // Before the fix the streaming monitor failed about once a second ("Server ended moreToCome
    // unexpectedly"), clearing the pool and stalling operations ~500 ms.
    const client = new MongoClient(standin.uri, { serverSelectionTimeoutMS: 5000 })
    let failures = 0
    let cleared = 0
    client.on('serverHeartbeatFailed', () => {
      failures++
    })
    client.on('connectionPoolCleared', () => {
      cleared++
    })
    try {
      await client.connect()
      const col = client.db('lucid_poll').collection('x')
      const until = performance.now() + 2500
      while (performance.now() < until) {
        await col.findOne({})
        await sleep(50)
      }
      assert.equal(failures, 0)
      assert.equal(cleared, 0)
    } finally {
      await client.close()
    }
  })

  /** The DB layer through a proxy in front of the stand-in, with 1 s bounds (by default). */
  async function throughProxy(o: { operationTimeoutMs?: number; params?: string } = {}): Promise<{ db: Database; proxy: FaultProxy }> {
    const u = new URL(standin.uri)
    const real = u.host
    let adv: ReturnType<typeof createAdvertiser> | undefined
    const proxy = await startFaultProxy({ targetPort: Number(u.port), rewriteFromServer: (m) => adv?.rewrite(m) ?? m })
    adv = createAdvertiser(real, `127.0.0.1:${proxy.port}`)
    u.host = `127.0.0.1:${proxy.port}`
    for (const [k, v] of new URLSearchParams(o.params ?? '')) u.searchParams.set(k, v)
    const db = new Database(
      await openMongoBackend({ uri: u.href, dbName: `lucid_px_${Date.now()}`, connectTimeoutMs: 1000, operationTimeoutMs: o.operationTimeoutMs ?? 1000 })
    )
    return { db, proxy }
  }
  const session = (id: string): { session_id: string; user_id: string; status: string; chunk_count: number; created_at: number } => ({
    session_id: id,
    user_id: 'u1',
    status: 'recording',
    chunk_count: 0,
    created_at: Date.now()
  })
  const GENEROUS = 3 * errorBoundMs(1000, 1000)

  it('a transaction in a blackhole fails once with LUCID_ERR_4005 within the bound, and the next ones succeed after the heal', async () => {
    const { db, proxy } = await throughProxy()
    try {
      await db.sessions.insert(session('warm'))
      await proxy.setMode('blackhole')
      let runs = 0
      const t = performance.now()
      await assert.rejects(
        db.transaction(async (r) => {
          runs++
          await r.sessions.insert(session('bh'))
        }),
        (err: Error & { code?: string }) => err.code === 'LUCID_ERR_4005'
      )
      const ms = performance.now() - t
      // Before the fix the label TransientTransactionError made it LUCID_ERR_4006 and it ran again.
      assert.equal(runs, 1, 'an unreachable server is not retried as a conflict')
      assert.ok(ms < GENEROUS, `failed after ${ms} ms`)
      await proxy.setMode('pass')
      const healed = performance.now()
      let ok = 0
      for (let i = 0; i < 5; i++) {
        // The first one may still meet the pool the outage cleared (LUCID_ERR_4005 at once); then success.
        try {
          await db.transaction(async (r) => {
            await r.sessions.insert(session(`after-${i}`))
          })
          ok++
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'LUCID_ERR_4005')
          assert.ok(performance.now() - healed < GENEROUS)
        }
      }
      assert.ok(ok >= 4, `${ok} of 5 transactions after the heal succeeded`)
    } finally {
      await db.close()
      await proxy.close()
    }
  })

  it('a transaction cut by the monitor (not by its own timeout) leaves no stuck session id behind', async () => {
    // The monitor (checking every 500 ms, 1 s to answer) gives up before the statement's own timeout and
    // interrupts it; the driver then does not mark the session dirty and would hand its id to the next
    // transaction while the server still holds the old one open. Before the fix every transaction after
    // the heal failed with a raw MongoServerError "transaction already in progress for this session".
    const { db, proxy } = await throughProxy({ operationTimeoutMs: 20_000, params: 'heartbeatFrequencyMS=500' })
    try {
      await db.sessions.insert(session('warm'))
      await proxy.setMode('blackhole')
      await assert.rejects(
        db.transaction(async (r) => {
          await r.sessions.insert(session('cut'))
        }),
        (err: Error & { code?: string }) => err.code === 'LUCID_ERR_4005'
      )
      // Long enough for the abort sent in the background to fail too (three 1 s connection attempts).
      await sleep(5000)
      await proxy.setMode('pass')
      const failures: string[] = []
      let ok = 0
      for (let i = 0; i < 5; i++) {
        try {
          await db.transaction(async (r) => {
            await r.sessions.insert(session(`next-${i}`))
          })
          ok++
        } catch (err) {
          failures.push(`${(err as { code?: string }).code ?? (err as Error).name}: ${(err as Error).message}`)
        }
      }
      assert.ok(ok >= 4, `${ok} of 5 transactions after the heal succeeded: ${failures.join('; ')}`)
      for (const f of failures) assert.match(f, /^LUCID_ERR_4005/)
    } finally {
      await db.close()
      await proxy.close()
    }
  })

  it('a commit lost in a blackhole is LUCID_ERR_4005 "outcome unknown" within the bound, and is then all or nothing', async () => {
    const { db, proxy } = await throughProxy()
    try {
      await db.sessions.insert(session('warm'))
      const t = performance.now()
      await assert.rejects(
        db.transaction(
          async (r) => {
            await r.sessions.insert(session('c1'))
            await r.chunks.insert({ session_id: 'c1', idx: 0, ciphertext_sha256: 'a'.repeat(64), size_bytes: 1, created_at: Date.now() })
            // The statements reached the server; the commit that follows goes into the blackhole.
            await proxy.setMode('blackhole')
          },
          { retries: 0 }
        ),
        (err: Error & { code?: string }) => err.code === 'LUCID_ERR_4005' && /outcome unknown/.test(err.message)
      )
      const ms = performance.now() - t
      assert.ok(ms < GENEROUS, `commit failed after ${ms} ms`)
      await proxy.setMode('pass')
      await sleep(300)
      // The held commit may arrive after the heal: both documents or neither, never one.
      let s: unknown
      let c: unknown
      for (let attempt = 0; ; attempt++) {
        try {
          s = await db.sessions.get('c1')
          c = await db.chunks.get('c1', 0)
          break
        } catch (err) {
          if (attempt >= 5) throw err
          await sleep(500)
        }
      }
      assert.equal(s === undefined, c === undefined, 'a torn transaction')
    } finally {
      await db.close()
      await proxy.close()
    }
  })

  it('a short outage cycle: typed errors within the bound, recovery, nothing acknowledged lost or torn', { timeout: 90_000 }, async () => {
    const r = await runMongoOutage({
      standin: true,
      phaseMs: { baseline: 1000, slow: 1500, blackhole: 3000, heal: 1500, refuse: 2500, restored: 1500 },
      connectTimeoutMs: 1000,
      operationTimeoutMs: 1000,
      delayMs: 100,
      boundMs: GENEROUS
    })
    assert.equal(r.ran, true)
    assert.match(r.condition, /jongodb stand-in, not MongoDB/)
    assert.deepEqual(r.findings, [])
    const m = r.metrics
    assert.ok(m.mongo_acked_writes_count! > 10, `acknowledged ${m.mongo_acked_writes_count}`)
    assert.equal(m.mongo_acked_lost_count, 0)
    assert.equal(m.mongo_torn_count, 0)
    assert.equal(m.mongo_untyped_errors_count, 0)
    assert.equal(m.mongo_unhandled_rejections_count, 0)
    assert.ok(m.mongo_outage_ops_failed_count! > 0)
    assert.ok(m.mongo_error_latency_max_ms! < GENEROUS, `error latency ${m.mongo_error_latency_max_ms} ms`)
    assert.ok(m.mongo_recovery_ms! < 10_000, `recovery ${m.mongo_recovery_ms} ms`)
    assert.ok(m.mongo_slow_p50_ms! >= 200, `slow p50 ${m.mongo_slow_p50_ms} ms: every round trip costs 2 x 100 ms`)
    assert.equal(r.passed, true)
  })
})
