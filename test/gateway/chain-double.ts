/**
 * A test double of the ChainPort, for driving the gateway's chain routes in unit tests only (the real
 * devnet behind the gateway is tested in chain-e2e.test.ts). It is not a chain:
 * blocks are made when the test calls produceBlock(), and finalised when it calls finalise(). What it
 * does model is what the gateway relies on: submissions are pending until a block includes them, a
 * block lists its session and data anchors as different kinds, and heights are contiguous.
 */
import { createHash } from 'node:crypto'
import { errors } from '../../services/common/errors.ts'
import type {
  AnchorView,
  BlockView,
  ChainInfo,
  ChainPort,
  ChainTelemetry,
  ConsensusStatus,
  DataAnchorRequest,
  ExportPage,
  NodeStatus,
  SessionAnchorRequest,
  TransactionSubmission,
  TxReceipt,
  TxStatus
} from '../../services/gateway/chain-port.ts'

interface Pending {
  tx_id: string
  anchor?: AnchorView
}

const hex = (s: string): string => createHash('sha256').update(s).digest('hex')

/** An in-memory, hand-driven ChainPort. */
export class ChainDouble implements ChainPort {
  readonly description = 'test double (not a chain)'
  readonly blocks: BlockView[] = []
  readonly #pending: Pending[] = []
  readonly #status = new Map<string, TxStatus>()
  #finalised = 0
  #n = 0
  closed = false

  constructor() {
    this.blocks.push(this.#block([], []))
  }

  /** Puts every pending submission into a new block. */
  produceBlock(): BlockView {
    const txs = this.#pending.splice(0)
    const b = this.#block(
      txs.map((t) => t.tx_id),
      txs.flatMap((t) => (t.anchor === undefined ? [] : [t.anchor]))
    )
    this.blocks.push(b)
    for (const t of txs) this.#status.set(t.tx_id, { tx_id: t.tx_id, status: 'included', block_height: b.height, block_hash: b.hash, reason: '' })
    return b
  }

  /** Finalises every block produced so far. */
  finalise(): void {
    for (let i = 0; i < this.blocks.length; i++) this.blocks[i] = { ...(this.blocks[i] as BlockView), final: true }
    this.#finalised = this.blocks.length - 1
    for (const [id, s] of this.#status) if (s.status === 'included') this.#status.set(id, { ...s, status: 'final' })
  }

  async info(): Promise<ChainInfo> {
    const tip = this.blocks.at(-1) as BlockView
    return {
      chain_id: 'double',
      consensus: 'PoOT',
      height: tip.height,
      latest_hash: tip.hash,
      finalized_height: this.#finalised,
      validators: 4,
      slot_ms: 10_000,
      pending_transactions: this.#pending.length
    }
  }

  async latestBlock(): Promise<BlockView> {
    return this.blocks.at(-1) as BlockView
  }
  async blockAt(height: number): Promise<BlockView | undefined> {
    return this.blocks[height]
  }

  async submitTransaction(tx: TransactionSubmission): Promise<TxReceipt> {
    if (tx.data === null || typeof tx.data !== 'object') throw new errors.InvalidTransaction('data must be an object')
    return this.#accept({ tx_id: tx.tx_id ?? `tx-${++this.#n}` })
  }

  async anchorData(a: DataAnchorRequest): Promise<TxReceipt> {
    const tx_id = `data-${++this.#n}`
    return this.#accept({ tx_id, anchor: { kind: 'data', tx_id, label: a.label, digest: a.digest, merkle_root: '' } })
  }

  async anchorSession(a: SessionAnchorRequest): Promise<TxReceipt> {
    const tx_id = `anchor-${++this.#n}`
    return this.#accept({ tx_id, anchor: { kind: 'session', tx_id, label: a.session_id, digest: a.manifest_hash, merkle_root: a.merkle_root } })
  }

  async transactionStatus(txId: string): Promise<TxStatus | undefined> {
    return this.#status.get(txId)
  }

  async consensusStatus(): Promise<ConsensusStatus> {
    const tip = this.blocks.at(-1) as BlockView
    return {
      algorithm: 'PoOT',
      slot: tip.slot,
      epoch: 0,
      leader: 'node-1',
      height: tip.height,
      finalized_height: this.#finalised,
      validators: 4,
      quorum: 0.67,
      healthy: true
    }
  }

  async nodes(): Promise<NodeStatus[]> {
    return [1, 2, 3, 4].map((i) => ({ node_id: `node-${i}`, status: 'active', credits: 1000 - i, rank: i, uptime: 1 }))
  }

  /**
   * A page of the double's finalised block views (it keeps no chain objects: the real chain's export, which
   * `lucid chain export` can verify, is tested in chain-e2e.test.ts).
   */
  async exportPage(from: number, limit: number): Promise<ExportPage> {
    const blocks = this.blocks.slice(Math.max(1, from), Math.min(this.#finalised, from + limit - 1) + 1)
    return {
      schema: 'lucid-chain-export-page/2',
      genesis: { chain_id: 'double' },
      genesis_hash: (this.blocks[0] as BlockView).hash,
      finalized_height: this.#finalised,
      blocks
    }
  }

  /** Final blocks beyond genesis count as created; the double never misses a slot nor lags. */
  telemetry(): ChainTelemetry {
    const tip = this.blocks.at(-1) as BlockView
    return {
      height: tip.height,
      finalized_height: this.#finalised,
      sync_lag_blocks: 0,
      blocks_created: this.#finalised,
      consensus_failures: 0,
      pending_transactions: this.#pending.length
    }
  }

  async close(): Promise<void> {
    this.closed = true
  }

  #accept(p: Pending): TxReceipt {
    if (this.#status.has(p.tx_id)) throw new errors.InvalidTransaction(`duplicate id ${p.tx_id}`)
    this.#pending.push(p)
    this.#status.set(p.tx_id, { tx_id: p.tx_id, status: 'pending', block_height: null, block_hash: null, reason: '' })
    return { tx_id: p.tx_id, status: 'pending', accepted_at: Date.now() }
  }

  #block(txs: string[], anchors: AnchorView[]): BlockView {
    const height = this.blocks.length
    const previous = this.blocks.at(-1)?.hash ?? '0'.repeat(64)
    return {
      height,
      hash: hex(`${height}:${previous}:${txs.join(',')}`),
      previous_hash: previous,
      timestamp: Date.now(),
      slot: height,
      epoch: 0,
      producer: 'node-1',
      merkle_root: hex(txs.join(',')),
      transactions: txs,
      anchors,
      final: false
    }
  }
}
