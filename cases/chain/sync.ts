/**
 * chain.sync: a fresh node syncs one day of chain from a peer and verifies all of it (every block, every
 * transaction signature, every certificate), batched across cores on worker threads.
 *
 * The default load of "one day of chain": 8640 blocks (10 s slots), 20 registered validators with a
 * committee of K = 16 (so every certificate carries >= 11 votes and the node checks all it gets: 16), and a
 * steady 1 session anchor per second (86,400 anchors from 1000 accounts). The chain is generated once per
 * run with real keys and signatures into the run's shared directory (genesis.json + blocks.jsonl); the
 * timed part starts with the peer's JSON lines in memory and ends when the last batch is verified and in
 * the ledger. Smoke syncs one hour of the same chain.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { Ledger, VerifyPool, generateChain, syncLedger, type FinalBlock, type Genesis, type SyncSource } from '../../services/chain/index.ts'
import type { CaseRun } from '../../harness/case.ts'
import { sharedFixture } from '../../harness/fixture.ts'

const TX_PER_S = 1
const VALIDATORS = 20

/** Runs the case. */
export const run: CaseRun = async (ctx) => {
  const slots = ctx.profile === 'smoke' ? 360 : 8640
  const dir = await sharedFixture(ctx.sharedDir, `chain-day-v1-${slots}`, async (out) => {
    ctx.progress(`generating ${slots} blocks with real signatures`)
    const lines: string[] = []
    const g = generateChain({
      slots,
      validators: VALIDATORS,
      txPerS: TX_PER_S,
      onBlock: (fin) => {
        lines.push(JSON.stringify(fin))
        if (lines.length % 500 === 0) ctx.progress(`generated ${lines.length} of ${slots} blocks`)
      }
    })
    await writeFile(join(out, 'genesis.json'), JSON.stringify(g.genesis))
    await writeFile(join(out, 'blocks.jsonl'), lines.join('\n') + '\n')
  })
  const genesis = JSON.parse(await readFile(join(dir, 'genesis.json'), 'utf8')) as Genesis
  const lines = (await readFile(join(dir, 'blocks.jsonl'), 'utf8')).split('\n').filter((l) => l !== '')
  const source: SyncSource = {
    height: async () => lines.length,
    blocks: async (from, to) => lines.slice(from - 1, to).map((l) => JSON.parse(l) as FinalBlock)
  }

  const cores = availableParallelism()
  const pool = new VerifyPool(cores)
  const ledger = new Ledger(genesis)
  try {
    const t0 = performance.now()
    const r = await syncLedger(ledger, source, {
      pool,
      progress: (h, target) => {
        if (h % 1024 < 256) ctx.progress(`synced ${h} of ${target}`)
      }
    })
    const s = (performance.now() - t0) / 1000
    if (ledger.head().height !== lines.length) throw new Error(`synced to ${ledger.head().height}, peer has ${lines.length}`)
    return {
      status: 'completed',
      metrics: {
        sync_s: s,
        blocks_count: r.blocks,
        tx_count: r.transactions,
        signatures_count: r.signatures,
        sync_blocks_per_s: r.blocks / s,
        sync_verify_per_s: r.signatures / s,
        sync_verify_per_core_per_s: r.signatures / s / cores
      },
      conditions: {
        chain: ctx.profile === 'smoke' ? 'one hour (360 blocks)' : 'one day (8640 blocks of 10 s)',
        load: `${TX_PER_S} session anchor per second from 1000 accounts`,
        validators: VALIDATORS,
        committee_size: genesis.params.committee_size,
        verification: `every block, transaction signature and certificate; Ed25519 on ${cores} worker threads, structure on the main thread`,
        cores
      }
    }
  } finally {
    await pool.close()
  }
}
