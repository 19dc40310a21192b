/**
 * The model-based fuzz (chaos/fuzz/model.ts) at a small size: sequences of registrations, logins,
 * wallet logins, refreshes, sessions, uploads and anchors against a real `lucid serve`, every invariant
 * checked after every step. The full size (2,000 sequences) runs in `lucid chaos --suite fuzz`.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runModelFuzz } from '../../chaos/fuzz/model.ts'

test('model-based sequences break no invariant: answers in time, no 5xx, no access across users, the model holds, memory bounded', {
  timeout: 180_000
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-model-fuzz-'))
  try {
    const r = await runModelFuzz({ sequences: Number(process.env.LUCID_MODEL_SEQUENCES ?? 60), maxCommands: 15, seed: 16, dataDir: join(dir, 'data') })
    assert.equal(r.finding, undefined)
    assert.equal(r.violations, 0)
    assert.equal(r.sequences, Number(process.env.LUCID_MODEL_SEQUENCES ?? 60))
    assert.ok(r.requests > r.sequences, `${r.requests} requests`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
