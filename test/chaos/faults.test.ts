/**
 * The faults suite in small: three kill -9 cycles of `lucid serve` (uploads, creations, finalisations;
 * the block moment waits for a 10 s slot and is left to the suite's own runs), then checks that its
 * checkers are not vacuous: a damaged chunk file and a reused nonce are found.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../chaos/faults/index.ts'
import { NonceRegistry, checkStore, parseEnvelopeKeyNonce } from '../../chaos/faults/scan.ts'

test('three kill -9 cycles lose no acknowledged write, tear nothing and reuse no nonce', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-faults-'))
  try {
    const lines: string[] = []
    const r = await run(
      { full: false, progress: (t) => lines.push(t), tmpdir: dir },
      { cycles: 3, seed: 7, moments: ['upload', 'create', 'finalise'], powerCut: false, p2pCycles: false }
    )
    assert.deepEqual(r.findings, [])
    assert.equal(r.metrics.cycles_count, 3)
    assert.ok(r.metrics.acknowledged_writes_count! > 10, `acknowledged ${r.metrics.acknowledged_writes_count}`)
    assert.equal(r.metrics.lost_writes_count, 0)
    assert.equal(r.metrics.torn_records_count, 0)
    assert.equal(r.metrics.nonce_collisions_count, 0)
    assert.equal(r.metrics.chain_reverted_count, 0)
    assert.ok(r.metrics.envelopes_scanned_count! > 0)
    assert.equal(r.passed, true)
    assert.equal(lines.length, 3)
    assert.match(String(r.conditions.mongodb), /^skipped|^run/)

    // The store check reads real bytes: a flipped bit in an acknowledged chunk is reported.
    const data = join(dir, 'faults-data')
    assert.deepEqual((await checkStore(data)).torn, [])
    const sessions = join(data, 'sessions')
    let victim: string | undefined
    for (const sid of await readdir(sessions)) {
      const chunks = (await readdir(join(sessions, sid, 'chunks')).catch(() => [])).filter((n) => n.endsWith('.lsc'))
      if (chunks.length > 0) {
        victim = join(sessions, sid, 'chunks', chunks[0]!)
        break
      }
    }
    assert.ok(victim !== undefined)
    const bytes = await readFile(victim)
    bytes[bytes.length - 1]! ^= 1
    await writeFile(victim, bytes)
    const after = await checkStore(data)
    assert.equal(after.torn.length, 1)
    assert.match(after.torn[0]!, /differs from its document/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('kills while the validators vote (a vote above the archive, a prevote before its precommit): the restarted chain finalises again, nothing reverted', {
  timeout: 240_000
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-faults-votes-'))
  try {
    const r = await run(
      { full: false, progress: () => {}, tmpdir: dir },
      { cycles: 2, seed: 11, moments: ['vote', 'prevote'], mongo: false, powerCut: false, p2pCycles: false }
    )
    assert.deepEqual(r.findings, [])
    assert.equal(r.metrics.vote_kills_count, 2)
    assert.ok(r.metrics.vote_kills_in_window_count! >= 1, `${r.metrics.vote_kills_in_window_count} of 2 kills landed in their voting window`)
    assert.equal(r.metrics.chain_stalls_count, 0)
    assert.equal(r.metrics.chain_reverted_count, 0)
    assert.ok(r.metrics.chain_advance_max_s! > 0 && r.metrics.chain_advance_max_s! <= 60)
    assert.equal(r.passed, true)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

/** A minimal envelope header (docs/envelope.md) with the given salt byte, nonce byte and trailing byte. */
function envelope(sid: string, salt: number, nonce: number, tail: number): Buffer {
  const id = Buffer.from(sid)
  const b = Buffer.alloc(70 + id.length + 16 + 1)
  b.write('LUCS', 0, 'latin1')
  b[4] = 1
  b[5] = 1
  b.fill(salt, 24, 56)
  b[67] = nonce
  b.writeUInt16BE(id.length, 68)
  id.copy(b, 70)
  b[b.length - 1] = tail
  return b
}

test('the nonce scan finds a (key, nonce) pair sealing two envelopes, across scans, and not a file seen twice', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-nonce-'))
  try {
    const chunks = join(dir, 's1', 'chunks')
    await import('node:fs/promises').then(async (fs) => await fs.mkdir(chunks, { recursive: true }))
    assert.deepEqual(parseEnvelopeKeyNonce(envelope('s1', 5, 9, 0)), { sessionId: 's1', salt: '05'.repeat(32), nonce: '00'.repeat(11) + '09' })
    await writeFile(join(chunks, '000000000000.lsc'), envelope('s1', 5, 0, 0))
    await writeFile(join(chunks, '000000000001.lsc'), envelope('s1', 5, 1, 0))
    await writeFile(join(chunks, '000000000002.lsc'), envelope('s1', 6, 1, 0)) // same nonce, another key
    const reg = new NonceRegistry()
    assert.deepEqual(await reg.scan(dir), [])
    assert.deepEqual(await reg.scan(dir), [], 'the same envelopes scanned again are no reuse')
    // Chunk 1 rewritten (after a crash) with other bytes under the same key and nonce: a reuse.
    await writeFile(join(chunks, '000000000001.lsc'), envelope('s1', 5, 1, 7))
    const found = await reg.scan(dir)
    assert.equal(found.length, 1)
    assert.match(found[0]!, /nonce 0+1 reused/)
    assert.equal(reg.collisions.length, 1)
    assert.equal(reg.pairs, 3)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
