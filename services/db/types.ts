/**
 * The documents of the Lucid collections (docs/reference.md section 6), as the repositories hand them
 * out. Field names follow the original system's MongoDB documents (snake_case) so a dump of either backend
 * reads the same. Times are integer milliseconds since the Unix epoch; heights, slots and epochs are
 * non-negative integers.
 */

/** An account: a TRON wallet user or a password user of the load contract. */
export interface User {
  user_id: string
  email: string
  /** Base58check TRON address, when the account signs in with a wallet. Unique when present. */
  tron_address?: string
  roles: string[]
  status: string
  created_at: number
}

/** Where a session was anchored on the chain. */
export interface BlockchainAnchor {
  block_height: number
  hash: string
}

/** A recorded remote-desktop session. */
export interface Session {
  session_id: string
  user_id: string
  status: string
  chunk_count: number
  created_at: number
  merkle_root?: string
  blockchain_anchor?: BlockchainAnchor
}

/** One encrypted chunk of a session; `(session_id, idx)` is unique. */
export interface Chunk {
  session_id: string
  idx: number
  ciphertext_sha256: string
  size_bytes: number
  created_at: number
}

/** A block of the PoOT chain; `height` and `hash` are each unique. */
export interface Block {
  height: number
  hash: string
  previous_hash: string
  /** Transaction ids in block order. */
  transactions: string[]
  merkle_root: string
  producer: string
  timestamp: number
}

/** A chain transaction; `block_height` is set once it is included. */
export interface Transaction {
  tx_id: string
  tx_type: string
  payload: unknown
  signature: string
  timestamp: number
  block_height?: number
}

/** A node's proof of work done in a slot; `(slot, node_id)` is unique. */
export interface TaskProof {
  slot: number
  node_id: string
  epoch: number
  kind: string
  credits: number
  timestamp: number
}

/** Credits of one entity in one epoch; `(epoch, entity_id)` is unique, `(epoch, rank)` orders the ranking. */
export interface WorkTally {
  epoch: number
  entity_id: string
  credits: number
  rank: number
}

/**
 * A document of the original DB performance test (1000 of them: user_0..99, session_0..49, status
 * active|inactive|pending): a per-session activity record. Its five indexes and six queries are the
 * `db.*` benchmark workload.
 */
export interface Activity {
  activity_id: string
  user_id: string
  session_id: string
  status: string
  timestamp: number
  data?: unknown
}

/** Counts grouped by a field's value, e.g. `{ active: 3, pending: 1 }`; absent groups are absent. */
export type GroupCounts = Record<string, number>
