/**
 * The figures of a run (what `lucid sim chain` prints and the bench cases report), from the best honest
 * ledger (the reference chain), the observer's records and the network's counters. Everything but the wall
 * times is a function of the options and the seed.
 */
import { slotStart, type FinalBlock, type Genesis, type Ledger, type Transaction } from '../../services/chain/index.ts'
import type { AdversaryStats } from './byzantine.ts'
import { creditVerdict, type CreditFigures } from './credits.ts'
import type { LoadStats } from './load.ts'
import type { NetworkStats } from './network.ts'
import type { Observer, SafetyViolation } from './observer.ts'

/** The figures of one run. Times in seconds unless the name says otherwise. */
export interface SimFigures {
  readonly nodes: number
  readonly simS: number
  readonly slots: number
  /** Final blocks on the reference chain. */
  readonly blocks: number
  readonly intervalMeanS: number
  readonly intervalStdevS: number
  /** Slots of the run without a final block. */
  readonly missedSlots: number
  /** Final blocks sealed by a fallback (after the leader timeout). */
  readonly fallbacks: number
  /** Proposal (block timestamp) to finality, over every (block, live honest node). */
  readonly finalityP50S: number
  readonly finalityP95S: number
  readonly finalityP99S: number
  readonly finalityMaxS: number
  /** Client transactions final per second of the run (the validators' uptime beacons not counted). */
  readonly txPerS: number
  readonly offeredTxPerS: number
  /** Client transactions final: all but the validators' uptime beacons, so that it compares with the load. */
  readonly finalTx: number
  /** The validators' uptime beacons final (one per validator and beacon window when all goes well). */
  readonly beaconTx: number
  readonly load: LoadStats
  readonly forks: number
  readonly orphans: number
  /** The hard check: two honest nodes with different final blocks at one height. */
  readonly safetyViolations: readonly SafetyViolation[]
  /** Longest time without a new final block, the end of the run included. */
  readonly longestStallS: number
  /** True when the last final block is more than three slots before the end: the chain has stopped. */
  readonly stalledAtEnd: boolean
  /** When the last partition or crash window ended (0 when there is none: loss and byzantine nodes last the whole run). */
  readonly faultEndS: number
  /**
   * Longest time without a new final block counted from the fault's end (faultEndS), the end of the run
   * included: how long the chain took to recover, or how long it stalls under a fault that lasts.
   */
  readonly stallAfterFaultS: number
  /** Messages sent per final block (every kind: proposals, votes, certificates, transactions, catch-up). */
  readonly messagesPerBlock: number
  /** Fraction of live honest nodes whose final chain is the reference's, at most one block behind. */
  readonly convergedRatio: number
  readonly syncRounds: number
  readonly syncFailures: number
  /** Restarts and catch-ups: from leaving (or restarting) to running live again. */
  readonly rejoinP50S: number
  readonly rejoinMaxS: number
  /** A fresh node syncing the reference chain at the end: modelled virtual time, and this process's time. */
  readonly freshSync: { readonly blocks: number; readonly signatures: number; readonly virtualS: number; readonly wallS: number } | undefined
  readonly network: NetworkStats
  readonly adversary: AdversaryStats
  /** Messages honest nodes refused, by error code. */
  readonly rejected: Readonly<Record<string, number>>
  readonly signatures: number
  readonly events: number
  /** Wall time of the run itself (without the fresh sync). */
  readonly wallS: number
  /** The credit economy, when the run had newcomers (sim/network/credits.ts); absent otherwise. */
  readonly credits?: CreditFigures
}

/** Inputs of computeFigures. */
export interface FigureInputs {
  readonly genesis: Genesis
  readonly durationMs: number
  /** The reference chain: the best honest node's final blocks, from the archive. */
  readonly chain: readonly FinalBlock[]
  readonly honest: ReadonlyArray<{ readonly ledger: Ledger; readonly live: boolean }>
  readonly observer: Observer
  readonly network: NetworkStats
  readonly adversary: AdversaryStats
  readonly load: LoadStats | undefined
  readonly offeredTxPerS: number
  readonly sync: { readonly rounds: number; readonly failures: number; readonly rejoinMs: readonly number[] }
  readonly fresh: { readonly blocks: number; readonly signatures: number; readonly virtualMs: number; readonly wallMs: number } | undefined
  readonly rejected: Readonly<Record<string, number>>
  readonly runWallS: number
  readonly events: number
  readonly signatures: number
  /** When the last partition or crash ends, ms after genesis (0 for none). */
  readonly faultEndMs: number
  readonly credits: CreditFigures | undefined
}

/** Nearest-rank percentile of ascending `sorted` (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number
}

/** Mean and sample standard deviation (NaN when undefined). */
export function meanStdev(xs: readonly number[]): { mean: number; stdev: number } {
  if (xs.length === 0) return { mean: NaN, stdev: NaN }
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const stdev = xs.length < 2 ? NaN : Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1))
  return { mean, stdev }
}

/** Computes the figures. */
export function computeFigures(i: FigureInputs): SimFigures {
  const { params, genesis_time: g } = i.genesis
  const slots = Math.floor(i.durationMs / params.slot_ms)
  const chain = i.chain
  const inRun = chain.filter((f) => f.block.header.slot < slots)
  const ts = chain.map((f) => f.block.header.timestamp)
  const intervals = ts.slice(1).map((t, k) => (t - (ts[k] as number)) / 1000)
  const { mean, stdev } = meanStdev(intervals)
  const fallbacks = inRun.filter((f) => f.block.header.timestamp - slotStart(g, params, f.block.header.slot) >= params.leader_timeout_ms).length

  const finality = i.observer.finalityMs.slice().sort((a, b) => a - b)
  const end = g + i.durationMs
  const gaps = [...ts, end].map((t, k) => (t - (k === 0 ? g : (ts[k - 1] as number))) / 1000)
  const last = ts[ts.length - 1] ?? g
  const beaconTx = chain.reduce((n, f) => n + f.block.transactions.filter(isBeacon).length, 0)
  const finalTx = chain.reduce((n, f) => n + f.block.transactions.length, 0) - beaconTx

  const refHeight = chain.length
  const live = i.honest.filter((h) => h.live)
  const converged = live.filter((h) => {
    const head = h.ledger.head()
    return head.height >= refHeight - 1 && (head.height === 0 || chain[head.height - 1]?.hash === head.hash)
  }).length
  const rejoin = i.sync.rejoinMs.slice().sort((a, b) => a - b)
  const { forks, orphans } = i.observer.forks(refHeight)
  return {
    nodes: i.honest.length,
    simS: i.durationMs / 1000,
    slots,
    blocks: chain.length,
    intervalMeanS: mean,
    intervalStdevS: stdev,
    missedSlots: slots - inRun.length,
    fallbacks,
    finalityP50S: percentile(finality, 50) / 1000,
    finalityP95S: percentile(finality, 95) / 1000,
    finalityP99S: percentile(finality, 99) / 1000,
    finalityMaxS: (finality[finality.length - 1] ?? NaN) / 1000,
    txPerS: finalTx / (i.durationMs / 1000),
    offeredTxPerS: i.offeredTxPerS,
    finalTx,
    beaconTx,
    load: i.load ?? { submitted: 0, refused: 0 },
    forks,
    orphans,
    safetyViolations: i.observer.violations,
    longestStallS: Math.max(...gaps),
    stalledAtEnd: end - last > 3 * params.slot_ms,
    faultEndS: i.faultEndMs / 1000,
    stallAfterFaultS: stallAfter(ts, g + i.faultEndMs, end) / 1000,
    messagesPerBlock: chain.length === 0 ? NaN : i.network.sent / chain.length,
    convergedRatio: live.length === 0 ? NaN : converged / live.length,
    syncRounds: i.sync.rounds,
    syncFailures: i.sync.failures,
    rejoinP50S: percentile(rejoin, 50) / 1000,
    rejoinMaxS: (rejoin[rejoin.length - 1] ?? NaN) / 1000,
    freshSync:
      i.fresh === undefined
        ? undefined
        : { blocks: i.fresh.blocks, signatures: i.fresh.signatures, virtualS: i.fresh.virtualMs / 1000, wallS: i.fresh.wallMs / 1000 },
    network: { ...i.network },
    adversary: { ...i.adversary },
    rejected: i.rejected,
    signatures: i.signatures,
    events: i.events,
    wallS: i.runWallS,
    ...(i.credits === undefined ? {} : { credits: i.credits })
  }
}

/** Slots of stall after the fault ends beyond which a run fails (the battery's must; its goal is 3). */
export const MAX_STALL_SLOTS = 10

/** A run's verdict: it fails on any safety violation, on no final block at all, or on a stall of more than MAX_STALL_SLOTS after the fault ends. */
export function simVerdict(f: SimFigures): { readonly pass: boolean; readonly reasons: readonly string[] } {
  const reasons: string[] = []
  if (f.safetyViolations.length > 0) reasons.push(`two final blocks at one height (${f.safetyViolations.length} heights)`)
  if (f.blocks === 0) reasons.push('no block became final')
  if (f.credits !== undefined) reasons.push(...creditVerdict(f.credits))
  const slotS = f.slots > 0 ? f.simS / f.slots : Infinity
  if (f.stallAfterFaultS > MAX_STALL_SLOTS * slotS)
    reasons.push(
      `stalled ${f.stallAfterFaultS.toFixed(0)} s (${(f.stallAfterFaultS / slotS).toFixed(1)} slots) after the fault ended at ${f.faultEndS.toFixed(0)} s; at most ${MAX_STALL_SLOTS} slots`
    )
  return { pass: reasons.length === 0, reasons }
}

/**
 * The longest time without a final block within [from, end]: the gaps between final blocks, clipped to
 * start at `from` (the last block before it counts from `from`), the end of the run included.
 */
function stallAfter(ts: readonly number[], from: number, end: number): number {
  let prev = from
  let longest = 0
  for (const t of ts) {
    if (t <= from) continue
    longest = Math.max(longest, t - prev)
    prev = t
  }
  return Math.max(longest, end - prev)
}

/** A validator's uptime beacon (protocol overhead, not client load). */
function isBeacon(tx: Transaction): boolean {
  return tx.type === 'task_proof' && (tx.payload as { kind?: unknown }).kind === 'uptime_beacon'
}
