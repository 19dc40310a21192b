/**
 * The chain's data types, exactly as they travel and as `lucid chain export` writes them (docs/chain.md).
 * Every number in them is a non-negative safe integer and every byte string is lower-case hex, so the
 * RFC 8785 (JCS) encoding that hashes them is plain `sort keys, no spaces` JSON an independent program can
 * reproduce with any JSON library.
 */

/** A JSON value as the chain admits it: no floats (see docs/chain.md, "Canonical encoding"). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/**
 * The transaction types: the original's five, plus `task_proof`, which carries work credits on chain, and
 * `data_anchor`, a public timestamp of a digest under a label (the gateway's POST /chain/anchor), which is
 * a kind of its own so that it can never be taken for, or take the place of, a session's anchor.
 */
export const TX_TYPES = ['session_anchor', 'node_registration', 'payout_request', 'consensus_vote', 'trust_policy', 'task_proof', 'data_anchor'] as const

/** One of TX_TYPES. */
export type TxType = (typeof TX_TYPES)[number]

/** What a transaction's id hashes and its signature covers: everything but the signature. */
export interface TxBody {
  readonly type: TxType
  /** The sender's Ed25519 public key, 64 hex digits. */
  readonly from: string
  /** The sender's sequence number: 1 for its first transaction, then +1 each (no gaps, no reuse). */
  readonly nonce: number
  /** The sender's clock, ms since the epoch. */
  readonly timestamp: number
  readonly payload: Json
}

/** A signed transaction. */
export interface Transaction extends TxBody {
  /** Ed25519 signature by `from` over the signing message of the tx id, 128 hex digits. */
  readonly signature: string
}

/** A session anchor: the manifest a session recording produced, committed to by a block. */
export interface Anchor {
  readonly session_id: string
  /** The session manifest's hash, 64 hex digits. */
  readonly manifest_hash: string
  /** The Merkle root over the session's chunks, 64 hex digits. */
  readonly merkle_root: string
}

/**
 * A public data anchor: someone timestamps a digest under a label. Unlike an Anchor it commits to no
 * session: its label lives in no state key, so any number of data anchors may share a label (a session id
 * included) without touching that session's anchor.
 */
export interface DataAnchor {
  /** The submitter's label, 1..128 printable characters without '/'. */
  readonly label: string
  /** SHA-256 of the data hash the submitter gave, 64 hex digits. */
  readonly data_hash_sha256: string
  /** When the submitter says it submitted, ms since the epoch; never after the transaction's own timestamp (plus the clock skew). */
  readonly submitted_at: number
}

/** The signed and hashed part of a block. */
export interface BlockHeader {
  readonly chain_id: string
  readonly height: number
  readonly slot: number
  readonly epoch: number
  /** The producer's clock when it sealed the block, ms since the epoch. */
  readonly timestamp: number
  readonly previous_hash: string
  /** The producer's public key, 64 hex digits. */
  readonly producer: string
  /** Merkle root over the transaction leaves, then the session anchor leaves, then the data anchor leaves. */
  readonly merkle_root: string
  readonly tx_count: number
  readonly anchor_count: number
}

/** One committee member's signature in a certificate. */
export interface VoteSignature {
  readonly voter: string
  readonly signature: string
}

/** The two voting steps of a round: a prevote backs a proposal, a precommit commits to a block that a quorum prevoted. */
export type VoteType = 'prevote' | 'precommit'

/**
 * A round vote: a committee member's signature over roundVoteHash(height, round, block_hash), under
 * LUCID-PREVOTE-V1 or LUCID-VOTE-V2 (precommit). There are no nil votes: rounds end with their slot.
 */
export interface Vote extends VoteSignature {
  readonly type: VoteType
  readonly height: number
  readonly round: number
  readonly block_hash: string
}

/**
 * Proof that a block is final: precommits from more than two thirds of the committee's weight, all of one
 * round. `round` is absent only in certificates of the first chain format (single-phase LUCID-VOTE-V1 votes
 * over the block hash), which archives made before the voting rounds still hold and which are still read.
 */
export interface Certificate {
  readonly height: number
  readonly round?: number
  readonly block_hash: string
  /** Sorted by voter, one per voter. */
  readonly votes: readonly VoteSignature[]
}

/**
 * A round's proposal: the block the round's proposer (the slot's leader or, in its window, a fallback) puts
 * to the vote. A new block has `pol_round` -1 and was produced in this very slot; a block carried over from
 * an earlier round (the proposer's valid block) names the round where more than two thirds prevoted it and
 * carries those prevotes in `pol`, so that every receiver can check the proof of lock itself.
 */
export interface Proposal {
  readonly height: number
  readonly round: number
  readonly pol_round: number
  readonly block: Block
  /** Prevotes for the block at `pol_round` (empty when `pol_round` is -1), sorted by voter. */
  readonly pol: readonly VoteSignature[]
  readonly proposer: string
  /** The proposer's signature over proposalHash(height, round, pol_round, block hash), LUCID-PROPOSE-V1. */
  readonly signature: string
}

/** A block. Its hash is the hash of its header. */
export interface Block {
  readonly header: BlockHeader
  /** The producer's Ed25519 signature over the signing message of the block hash. */
  readonly signature: string
  readonly transactions: readonly Transaction[]
  /** The payloads of the block's session_anchor transactions, in transaction order (data anchors are not listed here). */
  readonly anchors: readonly Anchor[]
  /** The certificate of the parent block (blocks are built on final parents only); null at height 1. */
  readonly parent_certificate: Certificate | null
}

/** A validator known from genesis, with the seven days of history it is credited with. */
export interface GenesisValidator {
  readonly node_id: string
  /** Work credits over the seven days before genesis. */
  readonly credits: number
  /** Uptime over those days in basis points (10000 = always up). */
  readonly uptime_bp: number
}

/** The consensus rules' parameters; part of genesis, so its hash commits to them. All integers. */
export interface ChainParams {
  readonly slot_ms: number
  /** How long the slot's leader has before the first fallback may produce. */
  readonly leader_timeout_ms: number
  /** Ranked fallbacks computed per slot. */
  readonly fallbacks: number
  /** How many of them get a window to produce, one after another. */
  readonly fallback_attempts: number
  /** A node that produced within this many slots cannot lead (shrunk to eligible - 1 on small networks). */
  readonly cooldown_slots: number
  readonly max_block_bytes: number
  readonly max_block_txs: number
  readonly max_tx_bytes: number
  /** K: the finality committee is the top K live scores. */
  readonly committee_size: number
  readonly slots_per_epoch: number
  /** Below this uptime (basis points) a node can neither lead nor sit on the committee. */
  readonly min_uptime_bp: number
  /** Clock disagreement tolerated between nodes. */
  readonly max_clock_skew_ms: number
  /**
   * Credits of a final block's producer (docs/chain.md, "Credits"). The four credit parameters are optional so
   * that a genesis written before them keeps its hash; a missing one takes its DEFAULT_PARAMS value.
   */
  readonly produce_credits?: number
  /** Credits a final block gives the voters of the certificate it carries, split by their committee weight. */
  readonly vote_credits?: number
  /** Service credits (relay, storage) count towards scores up to this share (basis points) of the epoch's consensus credits. */
  readonly service_share_bp?: number
  /** The largest size a session anchor may declare (`size_bytes`), the most any session's receipts can credit. */
  readonly max_session_bytes?: number
  /**
   * The anchor rules (docs/chain.md, "Transactions"): 2 = labels and session ids by the shared rule of label.ts
   * (code points, printable defined) and a data anchor's submitted_at no more than 10 minutes before its
   * transaction. Absent (a genesis written before issue 23): 1, the rules its archived blocks were made under.
   */
  readonly anchor_rules?: number
}

/** The chain's first state: everything a node needs to validate block 1. */
export interface Genesis {
  readonly chain_id: string
  /** Start of slot 0, ms since the epoch. */
  readonly genesis_time: number
  readonly params: ChainParams
  /** Sorted by node_id. */
  readonly validators: readonly GenesisValidator[]
}
