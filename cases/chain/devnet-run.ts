/**
 * Runs the real-time devnet for the chain cases: 4 nodes in this process on real timers, real Ed25519
 * signatures, clients submitting session anchors at a steady rate (open model: a tick every 10 ms submits
 * what the rate owes, whatever happened to earlier submissions). Node 0 is the observer whose clock times
 * proposals (block timestamps, sealed by the producer on the same process clock), inclusion and finality.
 */
import { systemClock } from '../../services/common/clock.ts'
import { Account, createDevnet, ed25519Signer, realScheduler, type ChainNode, type FinalBlock } from '../../services/chain/index.ts'
import type { CaseContext, Conditions } from '../../harness/case.ts'

/** What one final block looked like from the observer. */
export interface FinalSample {
  readonly fin: FinalBlock
  /** Observer clock when the block became final there, ms since the epoch. */
  readonly finalAt: number
}

/** One submitted transaction's timeline. */
export interface TxSample {
  readonly submittedAt: number
  /** How long submit() took to hand back its receipt, ms. */
  readonly ackMs: number
  includedAt?: number
  finalAt?: number
}

/** Options of runDevnet. */
export interface RunOptions {
  /** Wall time to run, s (after genesis). */
  readonly seconds: number
  /** Slot length, ms. */
  readonly slotMs: number
  /** Session anchors per second offered. */
  readonly txPerS: number
  readonly nodes?: number
}

/** The observations of one run. */
export interface RunResult {
  readonly finals: FinalSample[]
  readonly txs: Map<string, TxSample>
  readonly rejectedSubmissions: number
  readonly slotsRun: number
  readonly genesisTime: number
  readonly nodes: readonly ChainNode[]
  /** Messages the validators sent, every kind (proposals, votes, certificates, transactions, catch-up). */
  readonly messagesSent: number
  /** Of those, consensus messages (proposals, votes, certificates, catch-up): all but transaction gossip. */
  readonly consensusMessages: number
  readonly conditions: Conditions
}

/**
 * Records, from one node's events, every final block with when it became final there, and when each transaction
 * the caller tracks in `txs` was included in a candidate block and became final (the in-process and the
 * multi-process runs observe alike).
 */
export function observe(node: ChainNode): { finals: FinalSample[]; txs: Map<string, TxSample> } {
  const finals: FinalSample[] = []
  const txs = new Map<string, TxSample>()
  const idsOf = new Map<string, readonly string[]>()
  node.on({
    candidate: (_block, hash, ids, at) => {
      idsOf.set(hash, ids)
      for (const id of ids) {
        const t = txs.get(id)
        if (t !== undefined && t.includedAt === undefined) t.includedAt = at
      }
    },
    final: (fin, at) => {
      finals.push({ fin, finalAt: at })
      for (const id of idsOf.get(fin.hash) ?? []) {
        const t = txs.get(id)
        if (t !== undefined) t.finalAt = at
      }
      idsOf.clear()
    }
  })
  return { finals, txs }
}

/** Runs a devnet for `seconds` under load and collects what the observer saw. */
export async function runDevnet(ctx: CaseContext, opts: RunOptions): Promise<RunResult> {
  const net = createDevnet({
    nodes: opts.nodes ?? 4,
    scheduler: realScheduler(),
    seed: 1,
    params: { slot_ms: opts.slotMs, leader_timeout_ms: opts.slotMs / 2 }
  })
  const observer = net.nodes[0] as ChainNode
  const { finals, txs } = observe(observer)

  // 16 accounts per node, each always sending to the same node, so its nonces arrive there in order.
  const accounts = net.nodes.map((_, n) => Array.from({ length: 16 }, (_, i) => new Account(ed25519Signer(seedBytes(n * 16 + i)))))
  let rejected = 0
  let sent = 0
  net.start()
  const startAt = net.genesis.genesis_time
  const endAt = startAt + opts.seconds * 1000
  await sleepUntil(startAt)
  const timer = setInterval(() => {
    const owed = Math.floor(((systemClock.now() - startAt) / 1000) * opts.txPerS) - sent
    for (let k = 0; k < owed; k++, sent++) {
      const n = sent % net.nodes.length
      const acct = (accounts[n] as Account[])[Math.floor(sent / net.nodes.length) % 16] as Account
      const tx = acct.anchor({ session_id: `bench-${sent}`, manifest_hash: hex64(sent), merkle_root: hex64(sent + 1) }, systemClock.now())
      const t0 = performance.now()
      const submittedAt = systemClock.now()
      try {
        const r = (net.nodes[n] as ChainNode).submit(tx)
        txs.set(r.tx_id, { submittedAt, ackMs: performance.now() - t0 })
      } catch {
        rejected++
      }
    }
  }, 10)
  const progress = setInterval(() => {
    ctx.progress(`height ${observer.ledger.head().height}, ${sent} anchors sent, ${observer.poolSize} pending`)
  }, 2000)
  await sleepUntil(endAt)
  clearInterval(timer)
  clearInterval(progress)
  net.stop()
  return {
    finals,
    txs,
    rejectedSubmissions: rejected,
    slotsRun: Math.floor((endAt - startAt) / opts.slotMs),
    genesisTime: startAt,
    nodes: net.nodes,
    // Counted where they arrive, one per receiver, as the simulator counts them.
    messagesSent: net.network.delivered,
    consensusMessages: net.network.delivered - net.network.deliveredTx,
    conditions: {
      network: `${net.nodes.length} nodes in one process, in-process message passing (JSON text, delivered on the next event-loop turn)`,
      timers: 'real',
      signatures: 'Ed25519 (node:crypto), real',
      slot_ms: opts.slotMs,
      committee_size: Math.min(net.genesis.params.committee_size, net.nodes.length),
      max_block_txs: net.genesis.params.max_block_txs,
      offered_tx_per_s: opts.txPerS,
      duration_s: opts.seconds
    }
  }
}

/** A load account's key seed: `i` and a tag byte that keeps each run's accounts apart. */
export function seedBytes(i: number, tag = 0xbe): Uint8Array {
  const b = new Uint8Array(32)
  new DataView(b.buffer).setUint32(0, i + 1)
  b[31] = tag
  return b
}

/** `n` as 64 hex digits (a stand-in manifest hash or Merkle root). */
export function hex64(n: number): string {
  return n.toString(16).padStart(64, '0')
}

/** Resolves at wall-clock time `t` (at once when it has passed). */
export async function sleepUntil(t: number): Promise<void> {
  const ms = t - systemClock.now()
  if (ms > 0) await new Promise((r) => setTimeout(r, ms))
}
