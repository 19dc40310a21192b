/**
 * The narrow port through which the gateway talks to the PoOT chain: exactly what its routes need and
 * nothing of the chain's internals. The chain (services/chain, issue 6) is adapted to it in
 * chain-adapter.ts; tests may drive the routes through a test double under test/.
 *
 * Shapes are the gateway's wire shapes (snake_case, times in ms since the epoch, hashes as lower-case hex),
 * so an adapter does the mapping once and the routes serialise what they get.
 */

/** GET /chain/info */
export interface ChainInfo {
  readonly chain_id: string
  readonly consensus: string
  /** Height of the newest block (0 = genesis). */
  readonly height: number
  readonly latest_hash: string
  /** Height of the newest final block. */
  readonly finalized_height: number
  readonly validators: number
  readonly slot_ms: number
  /** Transactions waiting for a block. */
  readonly pending_transactions: number
}

/** One anchored item in a block: a session's manifest or a public data anchor. */
export interface AnchorView {
  readonly kind: 'session' | 'data'
  readonly tx_id: string
  /** The session id (kind session) or the caller's label (kind data). */
  readonly label: string
  /** manifest_hash (kind session) or SHA-256 of the data hash (kind data). */
  readonly digest: string
  /** The manifest's Merkle root (kind session only; '' otherwise). */
  readonly merkle_root: string
}

/** A block as the gateway shows it. */
export interface BlockView {
  readonly height: number
  readonly hash: string
  readonly previous_hash: string
  readonly timestamp: number
  readonly slot: number
  readonly epoch: number
  readonly producer: string
  readonly merkle_root: string
  /** Transaction ids in block order. */
  readonly transactions: readonly string[]
  readonly anchors: readonly AnchorView[]
  /** True once a quorum finalised it. */
  readonly final: boolean
}

/** The answer to a submission: accepted into the pool, not yet in a block. */
export interface TxReceipt {
  readonly tx_id: string
  readonly status: 'pending'
  readonly accepted_at: number
}

/** Where a transaction stands. */
export interface TxStatus {
  readonly tx_id: string
  readonly status: 'pending' | 'included' | 'final' | 'rejected'
  readonly block_height: number | null
  readonly block_hash: string | null
  /** Why it was rejected (status rejected), else ''. */
  readonly reason: string
}

/** GET /chain/consensus/status */
export interface ConsensusStatus {
  readonly algorithm: string
  readonly slot: number
  readonly epoch: number
  readonly leader: string
  readonly height: number
  readonly finalized_height: number
  readonly validators: number
  /** Fraction of validators needed to finalise (0.67). */
  readonly quorum: number
  /** False when blocks stopped being finalised. */
  readonly healthy: boolean
}

/** GET /nodes/status: one node with its PoOT work credits and rank. */
export interface NodeStatus {
  readonly node_id: string
  readonly status: string
  readonly credits: number
  /** 1 = top ranked in the current epoch. */
  readonly rank: number
  /** Fraction of the 7-day window the node was up. */
  readonly uptime: number
}

/**
 * A transaction submitted through POST /transactions: one the client signed with its own key
 * (docs/gateway.md, "Transactions"). The gateway does not sign it or vouch for it.
 */
export interface TransactionSubmission {
  /** The id the client computed; when given it must be the transaction's id. */
  readonly tx_id?: string
  /** One of the chain's transaction types. */
  readonly type: string
  /** The rest of the signed transaction: `{from, nonce, payload, signature}`. */
  readonly data: unknown
  /** The signed transaction's timestamp, ms since the epoch. */
  readonly timestamp: number
  /** The authenticated subject that submitted it. */
  readonly submitter: string
}

/** A public timestamping anchor (POST /chain/anchor): never a session's own anchor. */
export interface DataAnchorRequest {
  readonly label: string
  /** SHA-256 (hex) of the data hash the caller gave. */
  readonly digest: string
  readonly timestamp: number
}

/** A session's anchor, submitted by its owner at finalisation. */
export interface SessionAnchorRequest {
  readonly session_id: string
  readonly owner: string
  readonly manifest_hash: string
  readonly merkle_root: string
  readonly chunk_count: number
}

/**
 * One page of the final chain, for `lucid chain export --from URL` (GET /chain/export): the chain's own
 * objects exactly as `lucid chain export --data DIR` writes them, so that the two exports are identical.
 */
export interface ExportPage {
  readonly schema: 'lucid-chain-export-page/2'
  /** The chain's genesis (the services/chain Genesis object). */
  readonly genesis: unknown
  readonly genesis_hash: string
  /** The final height when the page was read: a client exporting stops there. */
  readonly finalized_height: number
  /** Final blocks from the requested height, each `{block, hash, certificate}`. */
  readonly blocks: readonly unknown[]
}

/**
 * The chain's figures behind GET /metrics (docs/observability.md). Read synchronously at every scrape, so
 * an implementation keeps them in memory (counters updated from its own events), never asks over I/O.
 */
export interface ChainTelemetry {
  /** Height of the fork-choice head the gateway answers from (blockchain_current_height). */
  readonly height: number
  /** Height of its newest final block. */
  readonly finalized_height: number
  /** Final blocks the best-synced peer has that this node has not (blockchain_sync_lag_blocks). */
  readonly sync_lag_blocks: number
  /** Blocks that became final since the gateway started (blockchain_blocks_created_total). */
  readonly blocks_created: number
  /** Slots that ended without a final block since the gateway started (consensus_failures_total). */
  readonly consensus_failures: number
  /** Transactions waiting for a block: anchors and any other submission (blockchain_anchoring_queue_size). */
  readonly pending_transactions: number
}

/**
 * What the gateway needs from the chain. Implementations throw LUCID_ERR_5002 for an invalid transaction
 * and LUCID_ERR_5004 when the chain cannot answer; everything else is a bug. A data anchor must be
 * recorded so that it can never be mistaken for a session anchor (a different kind of item), whatever
 * label it carries.
 */
export interface ChainPort {
  /** One line for the start-up banner and GET /config, e.g. `PoOT devnet, 4 validators, in-process`. */
  readonly description: string
  info(): Promise<ChainInfo>
  latestBlock(): Promise<BlockView>
  /** The block at `height`, or undefined above the tip. */
  blockAt(height: number): Promise<BlockView | undefined>
  submitTransaction(tx: TransactionSubmission): Promise<TxReceipt>
  anchorData(a: DataAnchorRequest): Promise<TxReceipt>
  anchorSession(a: SessionAnchorRequest): Promise<TxReceipt>
  /** Where a transaction stands, or undefined for an id the chain never saw. */
  transactionStatus(txId: string): Promise<TxStatus | undefined>
  consensusStatus(): Promise<ConsensusStatus>
  nodes(): Promise<NodeStatus[]>
  /** Final blocks from `from` (1-based), at most `limit`, fewer when they pass `maxBytes` of JSON (never none while any is left). */
  exportPage(from: number, limit: number, maxBytes: number): Promise<ExportPage>
  /** In-memory figures for GET /metrics; must be cheap and must not throw. */
  telemetry(): ChainTelemetry
  /** Stops the chain (the gateway owns it). */
  close(): Promise<void>
}
