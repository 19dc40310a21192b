/**
 * The real-time devnet cases: block interval, consensus (proposal to finality), sustained throughput, and
 * anchoring latencies. Quick and full use the seed's 10 s slot; smoke uses a 2 s slot (stated in the
 * conditions) so a CI run sees several blocks in ~20 s.
 */
import { Ledger, ed25519Verifier, immediateSink, validateBlock } from '../../services/chain/index.ts'
import type { CaseContext, CaseResult, CaseRun, Metrics } from '../../harness/case.ts'
import { createHistogram, encodeHistogram, latencyMetrics, recordMs } from '../../harness/stats/histogram.ts'
import { runDevnet, type RunOptions, type RunResult } from './devnet-run.ts'
import { runP2pDevnet, type WireResult } from './p2p-run.ts'

/** Runs the devnet a case measures: in one process (runDevnet) or as node processes over libp2p (runP2pDevnet). */
type Runner = (ctx: CaseContext, opts: RunOptions) => Promise<RunResult & { wire?: WireResult }>

/** Bytes on the wire per final block, for a run over sockets (nothing for the in-process devnet, which has no wire). */
function wireMetrics(run: RunResult & { wire?: WireResult }): Metrics {
  if (run.wire === undefined) return {}
  const blocks = Math.max(1, run.finals.length)
  return {
    wire_bytes_per_block: run.wire.bytes / blocks,
    wire_validator_bytes_per_block: run.wire.validatorBytes / blocks,
    dropped_sends_count: run.wire.dropped,
    shed_tx_count: run.wire.txShed
  }
}

const slotMs = (ctx: CaseContext): number => (ctx.profile === 'smoke' ? 2_000 : 10_000)

function slotNote(ctx: CaseContext): Record<string, string> {
  return ctx.profile === 'smoke' ? { slot_note: "smoke uses 2 s slots to see several blocks quickly; quick and full use the seed's 10 s" } : {}
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
}
function stdev(xs: readonly number[]): number {
  const m = mean(xs)
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1))
}

/**
 * Messages delivered per final block, one per receiver: every kind, and consensus only (proposals, votes,
 * certificates, catch-up; all but transaction gossip): what a block costs the network.
 */
function messagesPerBlock(run: RunResult): { messages_per_block: number; consensus_messages_per_block: number } {
  const blocks = Math.max(1, run.finals.length)
  return { messages_per_block: run.messagesSent / blocks, consensus_messages_per_block: run.consensusMessages / blocks }
}

/** Proposal (block timestamp) to finality at the observer, per final block, in ms. */
function finalityMs(run: RunResult): number[] {
  return run.finals.map((f) => f.finalAt - f.fin.block.header.timestamp)
}

function finalityMetrics(run: RunResult): Metrics {
  const h = createHistogram()
  for (const ms of finalityMs(run)) recordMs(h, ms)
  const m = latencyMetrics(h, 'finality_')
  return { ...m, p99_s: (m.finality_p99_ms ?? NaN) / 1000, p50_s: (m.finality_p50_ms ?? NaN) / 1000, max_s: Math.max(...finalityMs(run)) / 1000 }
}

/** chain.block_interval: intervals between consecutive final blocks' timestamps. */
function blockIntervalWith(runner: Runner): CaseRun {
  return async (ctx) => {
    const run = await runner(ctx, { seconds: ctx.seconds(90, { smoke: 20, full: 600 }), slotMs: slotMs(ctx), txPerS: 10 })
    const ts = run.finals.map((f) => f.fin.block.header.timestamp)
    const intervals = ts.slice(1).map((t, i) => (t - (ts[i] as number)) / 1000)
    if (intervals.length < 2) throw new Error(`only ${run.finals.length} blocks became final`)
    const fallbacks = run.finals.filter((f) => (f.fin.block.header.timestamp - run.genesisTime) % slotMs(ctx) >= slotMs(ctx) / 2).length
    return {
      status: 'completed',
      metrics: {
        interval_mean_s: mean(intervals),
        interval_stdev_s: stdev(intervals),
        interval_max_s: Math.max(...intervals),
        blocks_count: run.finals.length,
        missed_slots_count: run.slotsRun - run.finals.length,
        fallback_blocks_count: fallbacks,
        ...messagesPerBlock(run),
        ...wireMetrics(run),
        ...finalityMetrics(run)
      },
      conditions: { ...run.conditions, ...slotNote(ctx), load: 'session anchors at 10 tx/s' }
    }
  }
}

/** chain.block_interval: on the in-process devnet. */
export const blockInterval: CaseRun = blockIntervalWith(runDevnet)
/** chain.block_interval_p2p: the same against 4 validator processes over libp2p, with bytes on the wire per block. */
export const blockIntervalP2p: CaseRun = blockIntervalWith(runP2pDevnet)

/** chain.consensus: time from a block's proposal to its finality certificate at the observer. */
function consensusWith(runner: Runner): CaseRun {
  return async (ctx) => {
    const run = await runner(ctx, { seconds: ctx.seconds(40, { smoke: 10, full: 300 }), slotMs: slotMs(ctx), txPerS: 50 })
    if (run.finals.length === 0) throw new Error('no block became final')
    const h = createHistogram()
    for (const ms of finalityMs(run)) recordMs(h, ms)
    return {
      status: 'completed',
      metrics: {
        ...finalityMetrics(run),
        blocks_count: run.finals.length,
        mean_s: mean(finalityMs(run)) / 1000,
        ...messagesPerBlock(run),
        ...wireMetrics(run)
      },
      conditions: {
        ...run.conditions,
        ...slotNote(ctx),
        measures: 'block timestamp (sealed by the producer) to the certificate forming at the observer node, same process clock'
      },
      histograms: [{ name: 'finality', encoded: encodeHistogram(h) }]
    }
  }
}

/** chain.consensus: on the in-process devnet. */
export const consensus: CaseRun = consensusWith(runDevnet)
/** chain.consensus_p2p: the same against 4 validator processes over libp2p, with bytes on the wire per block. */
export const consensusP2p: CaseRun = consensusWith(runP2pDevnet)

/**
 * chain.tx_throughput: transactions that reached finality per second of chain time, over the whole slots of
 * the run, at an offered load above the target; plus block validation on one core in tx/s (a fresh node
 * re-validating the run's blocks with a fresh verifier, every signature checked), set beside raw Ed25519.
 */
function txThroughputWith(runner: Runner): CaseRun {
  return async (ctx) => {
    const offered = 300
    const run = await runner(ctx, { seconds: ctx.seconds(50, { smoke: 10, full: 300 }), slotMs: slotMs(ctx), txPerS: offered })
    // Slot 0 is sealed at genesis, when the load has only just started: the measure is slots 1 .. end.
    const slots = run.slotsRun - 1
    const finalTx = run.finals
      .filter((f) => f.fin.block.header.slot >= 1 && f.fin.block.header.slot <= slots)
      .reduce((n, f) => n + f.fin.block.transactions.length, 0)
    const validate = measureValidation(run)
    return {
      status: 'completed',
      metrics: {
        tx_per_s: finalTx / ((slots * slotMs(ctx)) / 1000),
        final_tx_count: finalTx,
        max_block_tx_count: Math.max(0, ...run.finals.map((f) => f.fin.block.transactions.length)),
        rejected_submissions_count: run.rejectedSubmissions,
        ...messagesPerBlock(run),
        ...wireMetrics(run),
        validate_tx_per_s: validate.txPerS,
        validate_signatures_per_s: validate.sigPerS
      },
      conditions: {
        ...run.conditions,
        ...slotNote(ctx),
        measured_over_slots: `1..${slots}`,
        validation: 'one core, fresh verifier (no signature cache), every block of the run re-validated in order'
      }
    }
  }
}

/** chain.tx_throughput: on the in-process devnet. */
export const txThroughput: CaseRun = txThroughputWith(runDevnet)
/** chain.tx_throughput_p2p: the same against 4 validator processes over libp2p, with bytes on the wire per block. */
export const txThroughputP2p: CaseRun = txThroughputWith(runP2pDevnet)

function measureValidation(run: RunResult): { txPerS: number; sigPerS: number } {
  const genesis = (run.nodes[0] as { ledger: Ledger }).ledger.genesis
  const ledger = new Ledger(genesis)
  const verifier = ed25519Verifier()
  let sigs = 0
  const sink = immediateSink({
    verify: (k, m, s) => {
      sigs++
      return verifier.verify(k, m, s)
    }
  })
  let txs = 0
  let ms = 0
  for (const f of run.finals) {
    const t0 = performance.now()
    const v = validateBlock(ledger.state, f.fin.block, { sigs: sink })
    ms += performance.now() - t0
    txs += f.fin.block.transactions.length
    ledger.append(v, f.fin.certificate)
  }
  return { txPerS: txs / (ms / 1000), sigPerS: sigs / (ms / 1000) }
}

/** chain.anchoring: acknowledgement (the receipt), inclusion in a block, and finality of session anchors. */
export const anchoring: CaseRun = async (ctx): Promise<CaseResult> => {
  const run = await runDevnet(ctx, { seconds: ctx.seconds(30, { smoke: 10, full: 300 }), slotMs: slotMs(ctx), txPerS: 20 })
  const ack = createHistogram()
  const inc = createHistogram()
  const fin = createHistogram()
  let unfinished = 0
  for (const t of run.txs.values()) {
    recordMs(ack, t.ackMs)
    if (t.includedAt !== undefined) recordMs(inc, t.includedAt - t.submittedAt)
    if (t.finalAt !== undefined) recordMs(fin, t.finalAt - t.submittedAt)
    else unfinished++
  }
  if (run.txs.size === 0) throw new Error('no anchor was accepted')
  const a = latencyMetrics(ack)
  return {
    status: 'completed',
    metrics: {
      ...a,
      ...latencyMetrics(inc, 'inclusion_'),
      ...latencyMetrics(fin, 'finality_'),
      anchors_count: run.txs.size,
      unfinished_at_end_count: unfinished,
      rejected_submissions_count: run.rejectedSubmissions
    },
    conditions: {
      ...run.conditions,
      ...slotNote(ctx),
      acknowledgement: 'submit() returning a receipt: validated (signature, nonce, replay) into the pending pool',
      note: 'anchors submitted in the last slot of the run may not be final when it ends (unfinished_at_end_count)'
    },
    histograms: [
      { name: 'ack', encoded: encodeHistogram(ack) },
      { name: 'inclusion', encoded: encodeHistogram(inc) },
      { name: 'finality', encoded: encodeHistogram(fin) }
    ]
  }
}
