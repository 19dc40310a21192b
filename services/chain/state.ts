/**
 * The chain's state after its final blocks: one flat key-value map of JSON values (docs/chain.md, "State").
 * A flat map makes three things simple: a block under validation writes into a StateDelta layered over the
 * final state (committed only when the block becomes final, dropped if a sibling wins); the state digest a
 * synced node is compared by is one hash over the sorted entries; and the simulator can copy a state cheaply.
 *
 * Keys (all values JSON):
 *   head                       {height, hash, slot, epoch, timestamp, vote_epoch} of the last final block (genesis: height 0, slot -1);
 *                              vote_epoch is the epoch whose committee voted on it (its height opened in that epoch)
 *   recent                     [[slot, node], ...] producers of the last `cooldown_slots` slots, and the leaders whose
 *                              rounds failed in them (validate.ts, failedLeaders)
 *   nodes                      [[node_id, registered_epoch], ...] sorted by node_id (-1 = genesis)
 *   eb/<epoch>                 hash of the last block before <epoch> (the epoch's seed)
 *   h/<height>                 [hash, epoch] of each final block
 *   n/<account>                last nonce used
 *   a/<session_id>             height that anchored the session
 *   t/<epoch>/<node>           credits earned in <epoch>
 *   b/<epoch>/<node>           uptime beacons in <epoch>
 *   bh/<node>/<window>, p/<slot>/<node>, v/<height>/<voter>   seen markers (replay protection; window: beaconWindow)
 *   e/<node>, paid/<node>      credits earned in total, credits paid out
 *   pol/<policy_id>            {owner, rules, height}
 */
import { createHash } from 'node:crypto'
import { canonicalJson } from '../common/hash.ts'
import { genesisHash } from './encoding.ts'
import type { Genesis, Json } from './types.ts'

/** Read access to a state (the final one, or a delta over it). */
export interface StateReader {
  readonly genesis: Genesis
  readonly genesisHash: string
  get(key: string): Json | undefined
}

/** A state that can carry the epoch memo (the final state, or a delta over it). */
export interface StateBase extends StateReader {
  readonly memo: Map<string, unknown>
}

/** Read and write access: what transaction rules apply to. */
export interface StateView extends StateReader {
  set(key: string, value: Json): void
}

/** The head of a state: the last final block. */
export interface Head {
  readonly height: number
  readonly hash: string
  readonly slot: number
  readonly epoch: number
  readonly timestamp: number
  /**
   * The epoch whose committee finalises this block with round votes: the epoch of the slot after its
   * parent's, where its height opened. Fixed per height (not per block), so that every round and every
   * rival block of a height is voted on by one committee, which the lock rules need.
   */
  readonly vote_epoch: number
}

/** The final state. */
export class ChainState implements StateBase {
  readonly genesis: Genesis
  readonly genesisHash: string
  readonly #kv = new Map<string, Json>()
  /** Derived data (epoch rankings) keyed by what determines them; never part of the digest. */
  readonly memo = new Map<string, unknown>()
  /**
   * Names this state's history within the process: two states of one lineage hold the same entries, so what
   * is derived from one holds for the other (validate.ts shares a block's validation between the nodes of a
   * simulation this way). Ledger sets it after each block from what determines the state (lineageAfter); any
   * other commit gets a lineage of its own, which only forgoes the sharing.
   */
  lineage: number

  /** The state before block 1. */
  constructor(genesis: Genesis) {
    this.genesis = genesis
    this.genesisHash = genesisHash(genesis)
    // Slot -1: block 1 may take slot 0.
    const head: Head = { height: 0, hash: this.genesisHash, slot: -1, epoch: 0, timestamp: genesis.genesis_time, vote_epoch: 0 }
    this.#kv.set('head', head as unknown as Json)
    this.#head = head
    this.#kv.set('recent', [])
    this.#kv.set(
      'nodes',
      genesis.validators.map((v) => [v.node_id, -1])
    )
    this.#kv.set('eb/0', this.genesisHash)
    this.lineage = lineageAfter(0, this.genesisHash)
  }

  /** The value at `key`. */
  get(key: string): Json | undefined {
    return this.#kv.get(key)
  }

  /** The last final block. */
  head(): Head {
    return this.#head
  }

  /** #kv's 'head', kept apart: read on every message, where a lookup in a map of ~10^5 keys showed in profiles. */
  #head: Head

  /** A delta over this state, for a block under validation. */
  begin(): StateDelta {
    return new StateDelta(this)
  }

  /**
   * Applies a delta's writes (the blocks it was made for became final). The delta must rest on this state,
   * directly or through deltas already committed (sync validates a batch over the batch before it).
   */
  commit(delta: StateDelta): void {
    if (delta.root !== this) throw new Error('delta belongs to another state')
    for (const [k, v] of delta.writes()) this.#kv.set(k, v)
    this.#head = this.#kv.get('head') as unknown as Head
    delta.committed = true
    this.lineage = ++lastLineage
  }

  /** SHA-256 (hex) over the JCS encoding of the sorted [key, value] entries: equal states, equal digests. */
  digest(): string {
    // Incremental: a day of chain holds ~10^5 keys, too many to pass as arguments.
    const h = createHash('sha256')
    for (const k of [...this.#kv.keys()].sort()) h.update(canonicalJson([k, this.#kv.get(k) as Json]) + '\n')
    return h.digest('hex')
  }

  /** How many keys the state holds. */
  get size(): number {
    return this.#kv.size
  }
}

/** Writes layered over a state (or another delta); reads fall through to it. */
export class StateDelta implements StateView, StateBase {
  readonly #writes = new Map<string, Json>()
  /** The final state under every layer. */
  readonly root: ChainState
  /** Set once the root state holds these writes. */
  committed = false
  #base: ChainState | StateDelta
  /** @param base the state this delta is relative to */
  constructor(base: ChainState | StateDelta) {
    this.#base = base
    this.root = base instanceof StateDelta ? base.root : base
  }

  /** What this delta rests on. */
  get base(): ChainState | StateDelta {
    return this.#base
  }

  /** Skips layers below that were committed (their writes are in the root now), keeping reads short. */
  collapse(): void {
    while (this.#base instanceof StateDelta && this.#base.committed) this.#base = this.#base.#base
  }
  get genesis(): Genesis {
    return this.base.genesis
  }
  get genesisHash(): string {
    return this.base.genesisHash
  }
  /** The base state's memo: what it holds is a pure function of history before the delta. */
  get memo(): Map<string, unknown> {
    return this.base.memo
  }
  get(key: string): Json | undefined {
    // A JSON value is never undefined, so a miss in the writes is a miss (one lookup per layer, not two).
    const v = this.#writes.get(key)
    return v !== undefined ? v : this.#base.get(key)
  }
  set(key: string, value: Json): void {
    this.#writes.set(key, value)
  }
  /** The writes, in order. */
  writes(): IterableIterator<[string, Json]> {
    return this.#writes.entries()
  }
  /** Copies this delta's writes into its base delta (what it checked is accepted there). */
  mergeIntoBase(): void {
    if (!(this.base instanceof StateDelta)) throw new Error('only a delta over a delta merges')
    for (const [k, v] of this.#writes) this.base.set(k, v)
  }
}

// Lineages by what determines them (a block's step, then the parent lineage; the genesis hash under parent 0):
// an id is minted once per key and never reused, so one id always names one history. Bounded by clearing: a key
// minted again gets a new id, which only keeps equal states from sharing (never makes different ones share).
// Keyed by the step text first: the nodes of a process pass the same string (memoised per shared block), whose
// hash V8 keeps.
const LINEAGES = new Map<string, Map<number, number>>()
const LINEAGES_LIMIT = 4096
let lastLineage = 0

/**
 * The lineage of the state after a block whose state writes are fixed by `step` (the block hash, which commits
 * to the header and the transactions, and the voters of its parent certificate, which vote credits follow and
 * no hash covers) applied to a state of lineage `parent`; parent 0 and a genesis hash: the genesis state's.
 */
export function lineageAfter(parent: number, step: string): number {
  let byParent = LINEAGES.get(step)
  const hit = byParent?.get(parent)
  if (hit !== undefined) return hit
  if (LINEAGES.size >= LINEAGES_LIMIT) LINEAGES.clear()
  if (byParent === undefined || !LINEAGES.has(step)) {
    byParent = new Map()
    LINEAGES.set(step, byParent)
  }
  const id = ++lastLineage
  byParent.set(parent, id)
  return id
}

/** Reads an integer value, 0 when absent. */
export function intAt(s: StateReader, key: string): number {
  const v = s.get(key)
  return typeof v === 'number' ? v : 0
}
