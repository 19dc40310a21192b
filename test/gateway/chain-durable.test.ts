/**
 * Regression test for a final block reverted by a kill -9 (found by `lucid chaos --suite faults`): the
 * gateway reported a block final (GET /chain/info, /chain/blocks, an anchor's status) as soon as the
 * validators finalised it, before its archive write, so a kill in between lost a block clients had been
 * told was final, and the restarted chain made another block at that height.
 *
 * Deterministic version of that window: libuv's thread pool (which the archive's file writes need) is
 * held by four writers blocked opening FIFOs nobody reads yet, while the devnet (timers, in-process
 * network, synchronous signatures) goes on finalising. Nothing may be reported final until the pool is
 * released and the archive has written it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { closeSync, constants, openSync } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { openDatabase } from '../../services/db/index.ts'
import { openChainPort } from '../../services/gateway/chain-adapter.ts'

const POOL = Number(process.env.UV_THREADPOOL_SIZE ?? 4)

test('a block is reported final only once the archive has written it', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-durable-'))
  const db = await openDatabase({ backend: 'level', path: join(dir, 'db') })
  const port = await openChainPort({ validators: 4, dataDir: dir, db, params: { slot_ms: 400, leader_timeout_ms: 200 } })
  const fifos = Array.from({ length: POOL }, (_, i) => join(dir, `hold-${i}`))
  let holders: Array<Promise<import('node:fs/promises').FileHandle>> = []
  let released = false
  const release = async (): Promise<void> => {
    if (released) return
    released = true
    const readers = fifos.map((f) => openSync(f, constants.O_RDONLY | constants.O_NONBLOCK))
    for (const h of await Promise.all(holders)) await h.close()
    for (const r of readers) closeSync(r)
  }
  try {
    for (const f of fifos) execFileSync('mkfifo', [f])
    // Each open for writing blocks a pool thread until a reader opens the FIFO.
    holders = fifos.map(async (f) => await open(f, 'w'))
    // Long enough for several blocks: a block is built only on a final parent, so a head at height 2 or
    // more means block 1 is final in the validators' ledgers.
    const deadline = Date.now() + 20_000
    while ((await port.latestBlock()).height < 3 && Date.now() < deadline) await sleep(50)
    const latest = await port.latestBlock()
    assert.ok(latest.height >= 3, `the devnet went on finalising (head ${latest.height})`)
    assert.equal((await port.info()).finalized_height, 0, 'nothing is final before the archive wrote it')
    assert.equal((await port.consensusStatus()).finalized_height, 0)
    assert.equal(latest.final, false)
    assert.equal((await port.blockAt(1))?.final, false)
    assert.equal((await port.exportPage(1, 10, 1 << 20)).blocks.length, 0)

    // Release the pool: the archive writes, and the blocks become final for clients.
    await release()
    while ((await port.info()).finalized_height < 2 && Date.now() < deadline + 20_000) await sleep(50)
    const info = await port.info()
    assert.ok(info.finalized_height >= 2)
    const b1 = await port.blockAt(1)
    assert.equal(b1?.final, true)
    assert.match(b1?.hash ?? '', /^[0-9a-f]{64}$/)
    assert.ok((await port.exportPage(1, 10, 1 << 20)).blocks.length >= 2)
  } finally {
    await release()
    await port.close()
    await db.close()
    await rm(dir, { recursive: true, force: true })
  }
})
