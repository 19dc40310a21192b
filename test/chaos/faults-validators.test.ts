/**
 * The faults suite's check across processes, in small: two kill -9 cycles of single validator processes of a
 * 4-node devnet on libp2p. Finality goes on while one is down, the restarted node catches up, every archive
 * holds one chain and node 0's verifies from genesis.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRng } from '../../services/common/rng.ts'
import { runValidatorKills } from '../../chaos/faults/validators.ts'

test('kill -9 of single validator processes: finality goes on, the node catches up, nothing reverts', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-faults-p2p-'))
  try {
    const lines: string[] = []
    const r = await runValidatorKills({ cycles: 2, dir, rng: createRng(5), progress: (t) => lines.push(t) })
    assert.deepEqual(r.findings, [])
    assert.equal(r.metrics.kill_cycles_count, 2)
    assert.equal(r.metrics.reverted_count, 0)
    assert.equal(r.metrics.stalls_count, 0)
    assert.equal(r.metrics.failed_catch_ups_count, 0)
    assert.ok(r.metrics.final_blocks_count! >= 4, `final blocks ${r.metrics.final_blocks_count}`)
    assert.equal(lines.length, 2)
    assert.equal(r.passed, true)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
