/**
 * The chain's state after its final blocks: one flat key-value map of JSON values (docs/chain.md, "State").
 * A flat map makes three things simple: a block under validation writes into a StateDelta layered over the
 * final state (committed only when the block becomes final, dropped if a sibling wins); the state digest a
 * synced node is compared by is one hash over the sorted entries; and the nodes of a process whose states are
 * equal can share one copy of it (ChainState: copy-on-write versions over one map).
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
import { deepFreeze } from '../common/frozen.ts'
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

/** No entry at this key (in a version's differences: the key is absent there). */
const ABSENT: unique symbol = Symbol('absent')

/** A version's differences from the next version toward the root. */
type Diff = Map<string, Json | typeof ABSENT>

/**
 * One version of a state, in a tree of versions over one materialised map (persistent maps by rerooting,
 * Baker's trick): the root holds the map (`kv`); every other version holds only what differs from the version
 * `next` toward the root. Moving the root to a neighbour swaps the neighbour's differences into the map and
 * leaves the old root the differences back (`reroot`), so every version reads the same entries before and
 * after. Versions are immutable as seen by their readers: only rerooting changes their representation.
 */
class Version {
  /** What differs from `next` (null at the root). */
  diff: Diff | null
  /** The neighbour toward the root (null at the root). */
  next: Version | null
  /** The materialised entries (at the root only). */
  kv: Map<string, Json> | null
  readonly lineage: number
  /** The entry 'head', kept apart: read on every message. */
  readonly head: Head

  constructor(diff: Diff | null, next: Version | null, kv: Map<string, Json> | null, lineage: number, head: Head) {
    this.diff = diff
    this.next = next
    this.kv = kv
    this.lineage = lineage
    this.head = head
  }
}

/** Makes `v` the root of its tree (through every version between), preserving what each version reads. */
function reroot(v: Version): void {
  const path: Version[] = []
  for (let x = v; x.kv === null; x = x.next as Version) path.push(x)
  // From the root's neighbour outward: each step swaps one version's differences into the map.
  for (let i = path.length - 1; i >= 0; i--) {
    const x = path[i] as Version
    const root = x.next as Version
    const kv = root.kv as Map<string, Json>
    const undo: Diff = new Map()
    for (const [k, val] of x.diff as Diff) {
      const old = kv.get(k)
      undo.set(k, old === undefined ? ABSENT : old)
      if (val === ABSENT) kv.delete(k)
      else kv.set(k, val)
    }
    root.diff = undo
    root.next = x
    root.kv = null
    x.diff = null
    x.next = null
    x.kv = kv
  }
}

/** The entries `v` reads, as a map of its own (a copy: the tree is not touched). */
function materialise(v: Version): Map<string, Json> {
  const path: Version[] = []
  let x = v
  for (; x.kv === null; x = x.next as Version) path.push(x)
  const out = new Map(x.kv)
  // Nearest the root first: a version's differences override those of the versions beyond it.
  for (let i = path.length - 1; i >= 0; i--) {
    for (const [k, val] of (path[i] as Version).diff as Diff) {
      if (val === ABSENT) out.delete(k)
      else out.set(k, val)
    }
  }
  return out
}

/**
 * Versions by lineage, process-wide: the nodes of a simulation (or an in-process devnet) whose final states are
 * of one lineage point at one version, so a final block's writes are stored once per lineage, not once per
 * node. Bounded (the oldest forgotten first): a forgotten lineage only forgoes the sharing.
 */
const VERSIONS = new Map<number, Version>()
const VERSIONS_LIMIT = 64
/** Versions this many steps or fewer from the root are made the root when created (the frontier moves on). */
const REROOT_DISTANCE = 4
/** A read that walks more differences than this gives its state a map of its own (a node far behind). */
const MAX_WALK = 48

function remember(v: Version): void {
  VERSIONS.delete(v.lineage)
  if (VERSIONS.size >= VERSIONS_LIMIT) VERSIONS.delete(VERSIONS.keys().next().value as number)
  VERSIONS.set(v.lineage, v)
}

/**
 * The final state, copy-on-write: this object is one node's, the entries it reads are a version that every
 * state of the same lineage in the process shares (docs/sim.md, "Cost and speed"). A state changes only by
 * `commit`, which moves it to another version (an existing one of the target lineage, or a new one over its
 * own): it can never change what another state reads, and a state outside any shared lineage (a commit outside
 * a ledger) gets versions no other state can reach.
 */
export class ChainState implements StateBase {
  readonly genesis: Genesis
  readonly genesisHash: string
  #v: Version
  /** Derived data (epoch rankings) keyed by what determines them; never part of the digest. */
  readonly memo = new Map<string, unknown>()

  /** The state before block 1. */
  constructor(genesis: Genesis) {
    this.genesis = genesis
    this.genesisHash = genesisHash(genesis)
    const lineage = lineageAfter(0, this.genesisHash)
    const known = VERSIONS.get(lineage)
    if (known !== undefined) {
      this.#v = known
      return
    }
    // Slot -1: block 1 may take slot 0.
    const head: Head = { height: 0, hash: this.genesisHash, slot: -1, epoch: 0, timestamp: genesis.genesis_time, vote_epoch: 0 }
    const kv = new Map<string, Json>()
    kv.set('head', deepFreeze(head) as unknown as Json)
    kv.set('recent', deepFreeze([]))
    kv.set('nodes', deepFreeze(genesis.validators.map((v) => [v.node_id, -1])))
    kv.set('eb/0', this.genesisHash)
    this.#v = new Version(null, null, kv, lineage, head)
    remember(this.#v)
  }

  /**
   * Names this state's history within the process: two states of one lineage hold the same entries (they are
   * one version), so what is derived from one holds for the other (validate.ts shares a block's validation
   * between the nodes of a simulation this way). Ledger commits each block to the lineage lineageAfter derives
   * from what determines the state; any other commit gets a lineage of its own, which only forgoes the sharing.
   */
  get lineage(): number {
    return this.#v.lineage
  }

  /** The value at `key`. */
  get(key: string): Json | undefined {
    let v = this.#v
    let walked = 0
    while (v.kv === null) {
      const x = (v.diff as Diff).get(key)
      if (x !== undefined) return x === ABSENT ? undefined : x
      v = v.next as Version
      if (++walked > MAX_WALK) return this.#detach().get(key)
    }
    return v.kv.get(key)
  }

  /** The last final block. */
  head(): Head {
    return this.#v.head
  }

  /** A delta over this state, for a block under validation. */
  begin(): StateDelta {
    return new StateDelta(this)
  }

  /**
   * Applies a delta's writes (the blocks it was made for became final). The delta must rest on this state,
   * directly or through deltas already committed (sync validates a batch over the batch before it).
   * @param lineage the lineage of the state after the delta, when the caller knows it (Ledger: lineageAfter);
   *   a state of that lineage elsewhere in the process holds these very entries, so its version is taken as it
   *   is. Without it, the state gets a lineage (and versions) of its own.
   */
  commit(delta: StateDelta, lineage?: number): void {
    if (delta.root !== this) throw new Error('delta belongs to another state')
    delta.committed = true
    if (lineage !== undefined) {
      const known = VERSIONS.get(lineage)
      if (known !== undefined) {
        this.#v = known
        return
      }
    }
    const parent = this.#v
    const diff: Diff = new Map()
    // Frozen: the version's entries are read by every state that shares it, none of which may change them.
    for (const [k, val] of delta.writes()) diff.set(k, lineage === undefined ? val : deepFreeze(val))
    const written = diff.get('head')
    const head = written === undefined || written === ABSENT ? parent.head : (written as unknown as Head)
    const v = new Version(diff, parent, null, lineage ?? ++lastLineage, head)
    this.#v = v
    if (lineage === undefined) return
    remember(v)
    // The frontier: the newest shared version near the root becomes the root, so that the states that take
    // it read the map directly and those a block behind read one small difference first.
    let d = 0
    for (let x = parent; x.kv === null && d <= REROOT_DISTANCE; x = x.next as Version) d++
    if (d <= REROOT_DISTANCE) reroot(v)
  }

  /** Gives this state a tree of its own, rooted at a copy of its entries (it was too far from the shared root). */
  #detach(): this {
    const v = this.#v
    this.#v = new Version(null, null, materialise(v), v.lineage, v.head)
    return this
  }

  /** SHA-256 (hex) over the JCS encoding of the sorted [key, value] entries: equal states, equal digests. */
  digest(): string {
    // Incremental: a day of chain holds ~10^5 keys, too many to pass as arguments.
    const kv = materialise(this.#v)
    const h = createHash('sha256')
    for (const k of [...kv.keys()].sort()) h.update(canonicalJson([k, kv.get(k) as Json]) + '\n')
    return h.digest('hex')
  }

  /** How many keys the state holds. */
  get size(): number {
    return materialise(this.#v).size
  }
}

/** Writes layered over a state (or another delta); reads fall through to it. */
export class StateDelta implements StateView, StateBase {
  #writes: Map<string, Json>
  /** False while #writes is a map shared read-only with other deltas (copied at the first write). */
  #own: boolean
  /** The final state under every layer. */
  readonly root: ChainState
  /** Set once the root state holds these writes. */
  committed = false
  #base: ChainState | StateDelta
  /**
   * @param base the state this delta is relative to
   * @param writes writes it starts with, shared read-only (validate.ts gives the nodes that validated a block
   *   alike one map): never changed here, copied at the first `set`
   */
  constructor(base: ChainState | StateDelta, writes?: ReadonlyMap<string, Json>) {
    this.#base = base
    this.root = base instanceof StateDelta ? base.root : base
    this.#writes = (writes as Map<string, Json> | undefined) ?? new Map()
    this.#own = writes === undefined
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
    if (!this.#own) {
      this.#writes = new Map(this.#writes)
      this.#own = true
    }
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
