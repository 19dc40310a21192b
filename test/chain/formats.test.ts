/**
 * The certificate's format change: certificates of the voting rounds carry their round (precommits signed over
 * (height, round, block hash) under LUCID-VOTE-V2); an archive written before the rounds holds round-less
 * certificates (LUCID-VOTE-V1 over the block hash alone), and it is still read: replayed, synced, exported
 * and recomputed by the independent Python program.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fromHex, toHex } from '../../services/common/hash.ts'
import {
  Ledger,
  chainExport,
  epochInfo,
  generateChain,
  ledgerSource,
  replayLedgers,
  signingMessage,
  sortVotes,
  syncLedger,
  type Certificate,
  type FinalBlock,
  type Signer
} from '../../services/chain/index.ts'
import { generatedSigners } from './helpers.ts'

const SCRIPT = fileURLToPath(new URL('./recompute.py', import.meta.url))

/** The first-format certificate of a block: every committee member's LUCID-VOTE-V1 signature over its hash. */
function v1Certificate(fin: FinalBlock, members: Iterable<string>, signers: Map<string, Signer>): Certificate {
  const votes = [...members].map((m) => ({ voter: m, signature: toHex((signers.get(m) as Signer).sign(signingMessage('LUCID-VOTE-V1', fromHex(fin.hash)))) }))
  return { height: fin.block.header.height, block_hash: fin.hash, votes: sortVotes(votes) }
}

test('an archive of round-less (first-format) certificates is replayed, synced, exported and recomputed', async () => {
  const chain = generateChain({ slots: 12, validators: 20, txPerS: 0.5, clients: 4 })
  const signers = generatedSigners(20)
  const blocks = chain.ledger.range(1, 12)
  assert.ok(
    blocks.every((f) => f.certificate.round === f.block.header.slot),
    'generated certificates are round certificates'
  )
  // Rewrite it as the first format would have written it: every certificate, and each block's parent certificate.
  const state = new Ledger(chain.genesis).state
  const certs = blocks.map((f) => v1Certificate(f, epochInfo(state, f.block.header.epoch).committee.members.keys(), signers))
  const old: FinalBlock[] = blocks.map((f, i) => ({
    hash: f.hash,
    certificate: certs[i] as Certificate,
    block: { ...f.block, parent_certificate: i === 0 ? null : (certs[i - 1] as Certificate) }
  }))

  const [replayed] = replayLedgers(chain.genesis, old, 1)
  assert.equal(replayed?.head().hash, chain.ledger.head().hash)
  const synced = new Ledger(chain.genesis)
  await syncLedger(synced, { height: async () => 12, blocks: async (from, to) => old.slice(from - 1, to) })
  assert.equal(synced.head().hash, chain.ledger.head().hash)

  // A forged round certificate made from those signatures does not pass: the round is in what is signed.
  const forged = old.map((f, i) => (i === 5 ? { ...f, certificate: { ...f.certificate, round: f.block.header.slot } } : f))
  assert.throws(
    () => replayLedgers(chain.genesis, forged.slice(0, 6), 1),
    (err: Error & { code?: string }) => err.code === 'LUCID_ERR_5015'
  )

  const dir = await mkdtemp(join(tmpdir(), 'lucid-formats-'))
  try {
    for (const [name, doc] of [
      ['old', { ...chainExport(chain.genesis, old), schema: 'lucid-chain-export/1' }],
      ['new', chainExport(chain.genesis, await (await ledgerSource(chain.ledger)).blocks(1, 12))]
    ] as const) {
      const file = join(dir, `${name}.json`)
      await writeFile(file, JSON.stringify(doc))
      const r = spawnSync('/usr/bin/python3', [SCRIPT, file], { encoding: 'utf8' })
      assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`)
      assert.match(r.stdout, /^ok 12 /)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
