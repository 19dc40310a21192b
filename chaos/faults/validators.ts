/**
 * The faults suite's check across processes: a devnet of 4 validator processes (`lucid node`, one OS process
 * each, talking through js-libp2p), and `kill -9` of single validators, at most f = 1 of 4 down at a time,
 * each restarted from its archive and consensus record. A following node in this process (a PeerNode whose
 * key is not in genesis, like the gateway's `--chain` node) watches finality.
 *
 * Per cycle: one validator drawn from the seeded generator is killed at a random instant of a slot (so some
 * kills land mid-round, between a vote and the next); the other three must finalise 2 new blocks while it is
 * down (bound 30 s, else a stall); it is restarted on its port and data directory and must reach the
 * follower's final height (bound 60 s, else a failed catch-up). At the end every node's archive must hold
 * one chain (never two blocks at a height, none different from what the follower saw final), and node 0's
 * archive must replay from genesis with every signature and certificate verified.
 *
 * Short slots (1 s) through the chain's parameters: the check is about kills and restarts, not the interval.
 */
import { validatorKillVerdict } from './verdict.ts'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import type { Rng } from '../../services/common/rng.ts'
import { keySeeds, readArchive, replayLedgers } from '../../services/chain/index.ts'
import { PeerNode, ProcessDevnet, rpcCall, type PeerStatus } from '../../services/chain/p2p/index.ts'
import { median } from '../../harness/stats/median.ts'

const LUCID = fileURLToPath(new URL('../../bin/lucid.js', import.meta.url))
const SLOT_MS = 1000
const ADVANCE_BLOCKS = 2
const ADVANCE_BOUND_MS = 30_000
const CATCH_UP_BOUND_MS = 60_000

/** Options of the check. */
export interface ValidatorKillOptions {
  /** Kill cycles (quick 8, full 40). */
  readonly cycles: number
  readonly dir: string
  readonly rng: Rng
  readonly progress: (text: string) => void
}

/** What the check found (metrics are prefixed `p2p_` by the suite). */
export interface ValidatorKillResult {
  readonly metrics: Record<string, number>
  readonly findings: string[]
  readonly passed: boolean
}

/** Runs the cycles. */
export async function runValidatorKills(o: ValidatorKillOptions): Promise<ValidatorKillResult> {
  const findings: string[] = []
  const seen = new Map<number, string>()
  let reverted = 0
  let stalls = 0
  let failedCatchUps = 0
  const advances: number[] = []
  const catchUps: number[] = []
  let cycle = 0
  const devnet = await ProcessDevnet.start({
    nodes: 4,
    dir: join(o.dir, 'devnet'),
    command: [process.execPath, LUCID, 'node'],
    params: { slot_ms: SLOT_MS, leader_timeout_ms: SLOT_MS / 2 },
    genesisDelayMs: 3000,
    readyTimeoutMs: 90_000
  })
  let follower: PeerNode | undefined
  try {
    follower = await PeerNode.open({
      dataDir: join(o.dir, 'follower'),
      seed: keySeeds(79, 1)[0] as Uint8Array,
      genesis: devnet.genesis,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      peers: devnet.nodes.map((n) => n.address),
      archive: false
    })
    const f = follower
    f.node.on({
      final: (fin) => {
        const h = fin.block.header.height
        const had = seen.get(h)
        if (had !== undefined && had !== fin.hash) {
          reverted++
          findings.push(`height ${h} final as ${had.slice(0, 16)} and then ${fin.hash.slice(0, 16)}`)
        }
        seen.set(h, fin.hash)
      }
    })
    await f.start()
    const height = (): number => f.node.ledger.head().height
    if ((await until(() => height() >= 2, 60_000)) === undefined) throw new Error('the devnet finalised no block within 60 s of its start')
    for (; cycle < o.cycles; cycle++) {
      const victim = o.rng.int(0, devnet.nodes.length - 1)
      // A random instant of the slot: some kills land between a validator's votes of a round.
      await sleep(o.rng.int(0, SLOT_MS - 1))
      o.progress(`faults: validator processes, cycle ${cycle + 1}/${o.cycles}: kill -9 node ${victim} at height ${height()}`)
      await devnet.kill(victim)
      const from = height()
      const t0 = performance.now()
      if ((await until(() => height() >= from + ADVANCE_BLOCKS, ADVANCE_BOUND_MS)) === undefined) {
        stalls++
        findings.push(`cycle ${cycle + 1}: no ${ADVANCE_BLOCKS} new final blocks within ${ADVANCE_BOUND_MS / 1000} s with node ${victim} down`)
      } else advances.push((performance.now() - t0) / 1000)
      const t1 = performance.now()
      await devnet.restart(victim)
      const addr = multiaddr((devnet.nodes[victim] as { address: string }).address)
      const caught = await until(async () => {
        const s = (await rpcCall(f.host, addr, { m: 'status' }).catch(() => undefined)) as PeerStatus | undefined
        return s !== undefined && s.final_height >= height() - 1
      }, CATCH_UP_BOUND_MS)
      if (caught === undefined) {
        failedCatchUps++
        findings.push(`cycle ${cycle + 1}: node ${victim} did not catch up within ${CATCH_UP_BOUND_MS / 1000} s of its restart`)
      } else catchUps.push((performance.now() - t1) / 1000)
    }
  } finally {
    await follower?.close()
    await devnet.stop()
  }
  // One chain in every archive, the same the follower saw final; node 0's verifies from genesis.
  const archives = await checkArchives(devnet.nodes, seen, findings)
  reverted += archives.reverted
  failedCatchUps += archives.failed
  const blocks = archives.blocks
  return {
    metrics: {
      kill_cycles_count: cycle,
      final_blocks_count: blocks,
      reverted_count: reverted,
      stalls_count: stalls,
      failed_catch_ups_count: failedCatchUps,
      advance_while_down_p50_s: advances.length > 0 ? median(advances) : 0,
      advance_while_down_max_s: advances.length > 0 ? Math.max(...advances) : 0,
      catch_up_p50_s: catchUps.length > 0 ? median(catchUps) : 0,
      catch_up_max_s: catchUps.length > 0 ? Math.max(...catchUps) : 0
    },
    findings,
    passed: validatorKillVerdict({ cycles: cycle, reverted, stalls, failedCatchUps }).passed
  }
}

/**
 * Every node's archive against the heights seen final (a different block at a height is a revert); node 0's
 * replays from genesis. Resolves with the reverts, the archives that did not read or replay, and node 0's blocks.
 */
async function checkArchives(
  nodes: ReadonlyArray<{ index: number; dataDir: string }>,
  seen: Map<number, string>,
  findings: string[]
): Promise<{ reverted: number; failed: number; blocks: number }> {
  let reverted = 0
  let failed = 0
  let blocks = 0
  for (const n of nodes) {
    try {
      const a = await readArchive(n.dataDir)
      for (const fin of a.blocks) {
        const h = fin.block.header.height
        const had = seen.get(h)
        if (had !== undefined && had !== fin.hash) {
          reverted++
          findings.push(`node ${n.index}'s archive holds ${fin.hash.slice(0, 16)} at height ${h}, final elsewhere as ${had.slice(0, 16)}`)
        }
        seen.set(h, fin.hash)
      }
      if (n.index === 0) {
        replayLedgers(a.genesis, a.blocks, 1)
        blocks = a.blocks.length
      }
    } catch (err) {
      failed++
      findings.push(`node ${n.index}'s archive: ${(err as Error).message}`)
    }
  }
  return { reverted, failed, blocks }
}

/** Polls `fn` every 100 ms until it is true; resolves true, or undefined after `ms`. */
async function until(fn: () => boolean | Promise<boolean>, ms: number): Promise<true | undefined> {
  const end = performance.now() + ms
  while (performance.now() < end) {
    if (await fn()) return true
    await sleep(100)
  }
  return undefined
}
