/**
 * Issue 23: a data directory whose chain was made before genesis had `anchor_rules` (rules 1) resumes under those
 * rules: the same genesis, its archive replayed, and it goes on.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { readArchive } from '../../services/chain/index.ts'
import { openDatabase } from '../../services/db/index.ts'
import { openChainPort } from '../../services/gateway/chain-adapter.ts'

test('a chain made before anchor_rules resumes with its own genesis and rules', { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-legacy-genesis-'))
  const fast = { slot_ms: 400, leader_timeout_ms: 200 }
  const untilFinal = async (port: Awaited<ReturnType<typeof openChainPort>>, height: number): Promise<void> => {
    const deadline = Date.now() + 40_000
    while ((await port.info()).finalized_height < height && Date.now() < deadline) await sleep(50)
    assert.ok((await port.info()).finalized_height >= height, `final height ${height} reached`)
  }
  try {
    let db = await openDatabase({ backend: 'level', path: join(dir, 'db') })
    // The chain of an older release: its genesis has no anchor_rules.
    let port = await openChainPort({ validators: 4, dataDir: dir, db, params: { ...fast, anchor_rules: undefined } })
    await untilFinal(port, 2)
    await port.close()
    await db.close()
    const before = await readArchive(dir)
    assert.equal(before.genesis.params.anchor_rules, undefined)

    db = await openDatabase({ backend: 'level', path: join(dir, 'db') })
    port = await openChainPort({ validators: 4, dataDir: dir, db, params: fast })
    try {
      await untilFinal(port, before.blocks.length + 1)
    } finally {
      await port.close()
      await db.close()
    }
    const after = await readArchive(dir)
    assert.deepEqual(after.genesis, before.genesis)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
