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
import type { ChildProcess } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { CHAIN_DIR, keySeeds } from '../../services/chain/index.ts'
import { freePorts, peerKey, rpcSyncSource, spawnNode, startHost, type Host } from '../../services/chain/p2p/index.ts'
import { Ledger, VerifyPool, generateChain, syncLedger, type FinalBlock, type Genesis, type SyncSource } from '../../services/chain/index.ts'
import type { CaseContext, CaseRun } from '../../harness/case.ts'
import { sharedFixture } from '../../harness/fixture.ts'

const TX_PER_S = 1
const VALIDATORS = 20

/** The generated chain of the run (genesis.json + blocks.jsonl in the run's shared directory), made once per run. */
async function dayFixture(ctx: CaseContext): Promise<{ dir: string; slots: number }> {
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
  return { dir, slots }
}

/** Runs the case. */
export const run: CaseRun = async (ctx) => {
  const { dir } = await dayFixture(ctx)
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

const LUCID = fileURLToPath(new URL('../../bin/lucid.js', import.meta.url))

/**
 * chain.sync_p2p: the same day of chain synced over real sockets. A `lucid node` process serves it from its
 * archive (the generated chain copied in as DIR/chain; the node replays and verifies it before it listens,
 * which is not timed); a fresh libp2p host in this process syncs it through the node's request/response
 * protocol (pages of up to 256 blocks as JSON over Noise and yamux) into a fresh ledger, verifying everything
 * on all cores as chain.sync does. Timed: from the first request to the last batch in the ledger.
 */
export const runP2p: CaseRun = async (ctx) => {
  const { dir } = await dayFixture(ctx)
  const genesis = JSON.parse(await readFile(join(dir, 'genesis.json'), 'utf8')) as Genesis
  const work = await mkdtemp(join(tmpdir(), 'lucid-bench-sync-'))
  let child: ChildProcess | undefined
  let host: Host | undefined
  const cores = availableParallelism()
  const pool = new VerifyPool(cores)
  try {
    await mkdir(join(work, 'serve', CHAIN_DIR), { recursive: true })
    await copyFile(join(dir, 'genesis.json'), join(work, 'serve', CHAIN_DIR, 'genesis.json'))
    await copyFile(join(dir, 'blocks.jsonl'), join(work, 'serve', CHAIN_DIR, 'blocks.jsonl'))
    ctx.progress('starting a lucid node on the generated chain (it replays and verifies its archive first)')
    const [port] = await freePorts(1)
    const started = await spawnNode(
      [process.execPath, LUCID, 'node', '--data', join(work, 'serve'), '--key', join(work, 'serve.key'), '--listen', `/ip4/127.0.0.1/tcp/${String(port)}`],
      { readyTimeoutMs: ctx.profile === 'smoke' ? 90_000 : 300_000, label: 'the serving node' }
    )
    child = started.child
    host = await startHost({ key: await peerKey(keySeeds(78, 1)[0] as Uint8Array), listen: [], peers: [started.address] })
    const h = host
    const peer = multiaddr(started.address)
    const ledger = new Ledger(genesis)
    const t0 = performance.now()
    const r = await syncLedger(ledger, rpcSyncSource(h, peer), {
      pool,
      progress: (height, target) => {
        if (height % 1024 < 256) ctx.progress(`synced ${height} of ${target} over libp2p`)
      }
    })
    const s = (performance.now() - t0) / 1000
    return {
      status: 'completed',
      metrics: {
        sync_s: s,
        blocks_count: r.blocks,
        tx_count: r.transactions,
        signatures_count: r.signatures,
        sync_blocks_per_s: r.blocks / s,
        wire_bytes: h.wire.bytesIn + h.wire.bytesOut,
        wire_bytes_per_block: (h.wire.bytesIn + h.wire.bytesOut) / Math.max(1, r.blocks)
      },
      conditions: {
        chain: ctx.profile === 'smoke' ? 'one hour (360 blocks)' : 'one day (8640 blocks of 10 s)',
        network: 'a lucid node process serving its archive on loopback TCP through js-libp2p 2.x (Noise, yamux), request/response pages of up to 256 blocks',
        verification: `every block, transaction signature and certificate; Ed25519 on ${cores} worker threads`,
        cores
      }
    }
  } finally {
    await pool.close()
    await host?.stop()
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r))
      child.kill('SIGINT')
      await exited
    }
    await rm(work, { recursive: true, force: true })
  }
}
