/**
 * Regression test for a final block reverted by a kill -9 (found by `lucid chaos --suite faults`): the
 * gateway reported a block final (GET /chain/info, /chain/blocks, an anchor's status) as soon as the
 * validators finalised it, before its archive write, so a kill in between lost a block clients had been
 * told was final, and the restarted chain made another block at that height.
 *
 * Deterministic version of that window: the archive's appends are held at a gate while the devnet goes on
 * finalising. (The first version held libuv's thread pool instead; the validators now record their votes
 * with asynchronous syncs on that pool, and a validator that cannot record must not vote, so holding the
 * pool stops the chain itself, which is right.) Nothing may be reported final until the gate opens and
 * the archive has written it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { BlockArchive, type FinalBlock } from '../../services/chain/index.ts'
import { openDatabase } from '../../services/db/index.ts'
import { openChainPort } from '../../services/gateway/chain-adapter.ts'

test('a block is reported final only once the archive has written it', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-durable-'))
  const db = await openDatabase({ backend: 'level', path: join(dir, 'db') })
  // Appends wait at the gate, in height order (promise callbacks run in the order they were attached).
  let release!: () => void
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const append = BlockArchive.prototype.append
  BlockArchive.prototype.append = async function (this: BlockArchive, fin: FinalBlock): Promise<boolean> {
    await gate
    return await append.call(this, fin)
  }
  const port = await openChainPort({ validators: 4, dataDir: dir, db, params: { slot_ms: 400, leader_timeout_ms: 200 } })
  try {
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

    // Open the gate: the archive writes, and the blocks become final for clients.
    release()
    while ((await port.info()).finalized_height < 2 && Date.now() < deadline + 20_000) await sleep(50)
    const info = await port.info()
    assert.ok(info.finalized_height >= 2)
    const b1 = await port.blockAt(1)
    assert.equal(b1?.final, true)
    assert.match(b1?.hash ?? '', /^[0-9a-f]{64}$/)
    assert.ok((await port.exportPage(1, 10, 1 << 20)).blocks.length >= 2)
  } finally {
    release()
    BlockArchive.prototype.append = append
    await port.close()
    await db.close()
    await rm(dir, { recursive: true, force: true })
  }
})
