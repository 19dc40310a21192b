/**
 * Power cuts (issue 16): `lucid serve` on a filesystem that loses every unsynced byte when "power" is cut
 * (chaos/faults/lazyfs.py over FUSE), 20 cuts during uploads, finalisations with their anchors and account
 * changes; after each restart nothing acknowledged is missing and nothing is torn. Skipped, with the
 * reason, where FUSE is not available (CI installs fuse3 and python3-fusepy: .ci/run). A larger count runs
 * in `lucid chaos --suite faults`.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fuseUnavailable, run } from '../../chaos/faults/power-cut.ts'

const why = await fuseUnavailable()

test('20 power cuts lose no acknowledged chunk, anchor or account and tear no record', { skip: why ?? false, timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-power-'))
  try {
    const lines: string[] = []
    const r = await run(
      { full: false, progress: (t) => lines.push(t), tmpdir: dir },
      { cuts: Number(process.env.LUCID_POWER_CUTS ?? 20), seed: 11, maxTrafficMs: 1500 }
    )
    assert.deepEqual(r.findings, [])
    assert.equal(r.metrics.lost_writes_count, 0)
    assert.equal(r.metrics.torn_records_count, 0)
    assert.equal(r.metrics.chain_reverted_count, 0)
    assert.ok(r.metrics.acknowledged_writes_count! > 20, `acknowledged ${r.metrics.acknowledged_writes_count}`)
    assert.ok(r.metrics.acknowledged_accounts_count! > 0)
    assert.equal(r.passed, true)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
