/**
 * Who may produce in a slot and who finalises an epoch's blocks (docs/chain.md, "Leader schedule" and
 * "Committee"). Everything here is a pure function of the final chain, so every node computes the same
 * schedule; the one piece of memory is a memo of an epoch's ranking, keyed by the hash that fixes it.
 *
 * Live score of a node for epoch e, from the seven epochs before it (genesis stands in for the days before
 * epoch 0 at each validator's genesis rates):
 *   missing  = max(0, 7 - e)                     days of the window before genesis
 *   credits  = floor(genesis_credits x missing / 7) + sum for d in [max(0, e-7), e-1] of
 *              c/<d>/<node> (consensus credits: blocks produced, votes in on-chain certificates)
 *              + countedService(d, node) (receipted service credits, within the epoch's cap)
 *   uptime   = min(10000, floor((genesis_uptime_bp x 24 x missing + 10000 x beacons in the window) / (24 x 7)))
 * where a node's beacons count at most one per beacon window, 1/24 of an epoch (beaconWindow).
 *   score    = floor(credits x uptime / 10000)
 * Eligible (to lead and to vote): registered before epoch e, uptime >= min_uptime_bp, score > 0.
 */
import { tieBreakKeys } from './encoding.ts'
import { creditParams } from './params.ts'
import { intAt, type StateReader } from './state.ts'
import type { ChainParams } from './types.ts'

/** A node's standing in an epoch. */
export interface Ranked {
  readonly node: string
  readonly score: number
  readonly credits: number
  readonly uptime_bp: number
}

/** The finality committee of an epoch: member -> weight (its score). */
export interface Committee {
  readonly members: ReadonlyMap<string, number>
  /** Sum of the weights. */
  readonly total: number
}

/** An epoch's ranking and committee. */
export interface EpochInfo {
  readonly epoch: number
  /** Hash of the last block before the epoch: the tie-break seed. */
  readonly seed: string
  /** Eligible nodes, best score first; equal scores ordered by tieBreakKey(first slot of the epoch). */
  readonly ranking: readonly Ranked[]
  readonly committee: Committee
}

/** Who may produce in a slot: attempt 0 is the leader, attempt k >= 1 the k-th fallback. */
export interface SlotSchedule {
  readonly slot: number
  readonly leader: string
  /** Up to `fallbacks` ranked fallbacks; the first `fallback_attempts` of them get a window. */
  readonly fallbacks: readonly string[]
}

const WINDOW_DAYS = 7
const BP = 10_000

/**
 * Uptime beacons that count per node and epoch: an epoch is the reference's day, a beacon window its hour.
 * The window is defined in slots of the epoch, not in wall-clock hours, because the uptime formula divides
 * by 24 beacons an epoch: with wall-clock hours, any epoch shorter than a day (a devnet with short slots) would
 * cap the uptime of a validator that never missed a beacon below 1, down to under the 0.2 minimum.
 */
export const BEACONS_PER_EPOCH = 24

/** The beacon window of a slot: floor(24 x slot / slots_per_epoch); epoch e holds windows 24e..24e+23. */
export function beaconWindow(params: ChainParams, slot: number): number {
  return Math.floor((slot * BEACONS_PER_EPOCH) / params.slots_per_epoch)
}

/** The first slot of beacon window `w`. */
export function beaconWindowStart(params: ChainParams, w: number): number {
  return Math.ceil((w * params.slots_per_epoch) / BEACONS_PER_EPOCH)
}

/** The epoch of a slot. */
export function epochOf(params: ChainParams, slot: number): number {
  return Math.floor(slot / params.slots_per_epoch)
}

/** Start of a slot, ms since the epoch. */
export function slotStart(genesisTime: number, params: ChainParams, slot: number): number {
  return genesisTime + slot * params.slot_ms
}

/** The slot at time `t` (slot 0 before genesis). */
export function slotAt(genesisTime: number, params: ChainParams, t: number): number {
  return Math.max(0, Math.floor((t - genesisTime) / params.slot_ms))
}

/**
 * When attempt k's window opens, in ms after the slot start: the leader at 0; fallback k at the leader
 * timeout plus (k - 1) equal shares of the rest of the slot, so all attempts fit inside one slot.
 */
export function attemptOpensAfter(params: ChainParams, attempt: number): number {
  if (attempt === 0) return 0
  return params.leader_timeout_ms + Math.floor(((attempt - 1) * (params.slot_ms - params.leader_timeout_ms)) / params.fallback_attempts)
}

/**
 * The ranking and committee of `epoch`. `state` must hold every final block before the epoch and none of
 * the epoch's own that could change it: the rules only read epochs before `epoch` and registrations made
 * before it, so any later state gives the same answer (which is what makes the memo sound).
 */
export function epochInfo(state: StateReader & { readonly memo?: Map<string, unknown> }, epoch: number): EpochInfo {
  const seed = boundaryHash(state, epoch)
  const memoKey = `epoch/${epoch}/${seed}`
  const hit = state.memo?.get(memoKey) as EpochInfo | undefined
  if (hit !== undefined) return hit

  const { genesis } = state
  const params = genesis.params
  const boot = new Map(genesis.validators.map((v) => [v.node_id, v]))
  const missing = Math.max(0, WINDOW_DAYS - epoch)
  const nodes = (state.get('nodes') as Array<[string, number]>).filter(([, reg]) => reg < epoch)
  const shareBp = creditParams(params).service_share_bp
  const ranking: Ranked[] = []
  for (const [node] of nodes) {
    const g = boot.get(node)
    let credits = g === undefined ? 0 : Math.floor((g.credits * missing) / WINDOW_DAYS)
    let beacons = 0
    for (let d = Math.max(0, epoch - WINDOW_DAYS); d < epoch; d++) {
      credits += intAt(state, `c/${d}/${node}`) + countedService(state, d, node, shareBp)
      beacons += intAt(state, `b/${d}/${node}`)
    }
    const uptime = Math.min(BP, Math.floor(((g?.uptime_bp ?? 0) * BEACONS_PER_EPOCH * missing + BP * beacons) / (BEACONS_PER_EPOCH * WINDOW_DAYS)))
    const score = Math.floor((credits * uptime) / BP)
    if (uptime >= params.min_uptime_bp && score > 0) ranking.push({ node, score, credits, uptime_bp: uptime })
  }
  sortRanked(ranking, epoch * params.slots_per_epoch, seed)
  const members = new Map(ranking.slice(0, params.committee_size).map((r) => [r.node, r.score]))
  let total = 0
  for (const w of members.values()) total += w
  const info = internInfo({ epoch, seed, ranking, committee: { members, total } })
  state.memo?.set(memoKey, info)
  return info
}

/**
 * The service credits of `node` that count in epoch `d`: all of them while the epoch's service claims stay
 * within `service_share_bp` of its consensus credits, else their pro-rata share of that cap. This is what bounds
 * an operator with any number of identities and any number of self-anchored sessions: all claims together earn
 * at most the cap, which only the committee's verified consensus work sets (docs/chain.md, "Credits").
 */
export function countedService(state: StateReader, d: number, node: string, shareBp: number): number {
  const mine = intAt(state, `s/${d}/${node}`)
  if (mine === 0) return 0
  const claimed = intAt(state, `s/${d}`)
  const cap = Math.floor((shareBp * intAt(state, `c/${d}`)) / BP)
  if (claimed <= cap) return mine
  const product = mine * cap
  return Number.isSafeInteger(product) ? Math.floor(product / claimed) : Number((BigInt(mine) * BigInt(cap)) / BigInt(claimed))
}

// Every node of one process computes the same epoch's info from its own state: one shared object per
// (epoch, seed) when equal entry by entry (never merely by key), so that the slot schedule memo below is keyed
// by its identity. Read-only like every EpochInfo. Bounded by clearing.
const INFOS = new Map<string, EpochInfo>()
const INFOS_LIMIT = 256

function internInfo(info: EpochInfo): EpochInfo {
  const key = `${info.epoch}/${info.seed}`
  const hit = INFOS.get(key)
  if (hit !== undefined && sameInfo(hit, info)) return hit
  if (INFOS.size >= INFOS_LIMIT) INFOS.clear()
  for (const r of info.ranking) Object.freeze(r)
  Object.freeze(info.ranking)
  INFOS.set(key, Object.freeze(info))
  return info
}

function sameInfo(a: EpochInfo, b: EpochInfo): boolean {
  if (a.ranking.length !== b.ranking.length || a.committee.total !== b.committee.total || a.committee.members.size !== b.committee.members.size) return false
  for (let i = 0; i < a.ranking.length; i++) {
    const x = a.ranking[i] as Ranked
    const y = b.ranking[i] as Ranked
    if (x.node !== y.node || x.score !== y.score || x.credits !== y.credits || x.uptime_bp !== y.uptime_bp) return false
  }
  for (const [m, w] of a.committee.members) if (b.committee.members.get(m) !== w) return false
  return true
}

/** The hash of the last block before `epoch` in this state's history (the genesis hash for epoch 0). */
function boundaryHash(state: StateReader, epoch: number): string {
  const known = state.get(`eb/${epoch}`)
  if (typeof known === 'string') return known
  // The state has no block of this epoch yet: its head is the last block before it.
  const head = state.get('head') as { hash: string; epoch: number }
  if (head.epoch >= epoch) throw new Error(`no boundary recorded for epoch ${epoch}`)
  return head.hash
}

/**
 * The schedule of `slot` for the height after a final block of slot `parentSlot`, given the epoch's info and the
 * producers of recent slots. Undefined when no node is eligible (the chain cannot progress; genesis must name
 * at least one eligible validator).
 *
 * The height's first slot (parentSlot + 1) orders the ranking: nodes out of cooldown first, then the others.
 * Cooldown: a node that produced within the last C slots before it, C = min(cooldown_slots, eligible - 1), so
 * that a network smaller than the cooldown still has a leader (it becomes a rotation). Each later slot of the
 * same height (a later voting round, after one that did not decide) moves one place down that order: the
 * leader of round k of a height is the k-th node of the order, its fallbacks the ones after it. So a leader
 * whose round failed (crashed, cut off, equivocating) does not lead the height's next round, and a run of
 * failed rounds rotates through every eligible node; on a good day (k = 0) it is the slot's own order.
 */
export function slotSchedule(
  info: EpochInfo,
  params: ChainParams,
  slot: number,
  recent: ReadonlyArray<readonly [number, string]>,
  parentSlot: number
): SlotSchedule | undefined {
  if (info.ranking.length === 0 || slot <= parentSlot) return undefined
  const base = parentSlot + 1
  const cooldown = Math.min(params.cooldown_slots, info.ranking.length - 1)
  // The schedule depends on recent only through the producers cooling down, in recent's order: a memo hit
  // must have the very same list (and the same info object, params and slots).
  const coolingList: string[] = []
  // Indexed, not destructured: called for every node at every attempt of every slot, and array destructuring
  // allocated an iterator per entry there (about 5 % of a simulation's allocations, sampling heap profiler).
  for (let i = 0; i < recent.length; i++) {
    const e = recent[i] as readonly [number, string]
    if (e[0] < base && e[0] >= base - cooldown) coolingList.push(e[1])
  }
  let memo = SCHEDULES.get(info)
  if (memo === undefined) {
    memo = new Map()
    SCHEDULES.set(info, memo)
  }
  const key = `${slot}/${parentSlot}/${params.cooldown_slots}/${params.fallbacks}`
  const hit = memo.get(key)
  if (hit !== undefined && sameList(hit.cooling, coolingList)) return hit.schedule
  const schedule = computeSchedule(info, params, slot, base, coolingList)
  if (schedule !== undefined) {
    Object.freeze(schedule.fallbacks)
    Object.freeze(schedule)
  }
  if (memo.size >= SCHEDULES_LIMIT) memo.clear()
  memo.set(key, { cooling: coolingList, schedule })
  return schedule
}

/** Schedules by epoch info (shared across the nodes of a process, see internInfo), slots and cooling producers. */
const SCHEDULES = new WeakMap<EpochInfo, Map<string, { readonly cooling: readonly string[]; readonly schedule: SlotSchedule | undefined }>>()
const SCHEDULES_LIMIT = 4096

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function computeSchedule(info: EpochInfo, params: ChainParams, slot: number, base: number, coolingList: readonly string[]): SlotSchedule | undefined {
  const ranked = slotOrder(info, base)
  const cooling = new Set<string>(coolingList)
  const free = ranked.filter((r) => !cooling.has(r.node))
  const hot = ranked.filter((r) => cooling.has(r.node))
  const order = [...free, ...hot].map((r) => r.node)
  const n = order.length
  const k = (slot - base) % n
  const leader = order[k]
  if (leader === undefined) return undefined
  const fallbacks: string[] = []
  for (let i = 1; i < n && fallbacks.length < params.fallbacks; i++) fallbacks.push(order[(k + i) % n] as string)
  return { slot, leader, fallbacks }
}

/** The attempt (0 = leader) `producer` holds in a slot, or -1 when it has none. */
export function attemptOf(schedule: SlotSchedule, params: ChainParams, producer: string): number {
  if (schedule.leader === producer) return 0
  const i = schedule.fallbacks.indexOf(producer)
  return i >= 0 && i < params.fallback_attempts ? i + 1 : -1
}

/** True when the signed weight is more than two thirds of the committee's (3 x signed > 2 x total). */
export function hasQuorum(committee: Committee, signedWeight: number): boolean {
  return committee.total > 0 && 3 * signedWeight > 2 * committee.total
}

/** A slot's ranking memoised with the epoch ranking it was sorted from (to check a hit against). */
interface SlotOrder {
  readonly base: readonly Ranked[]
  readonly order: readonly Ranked[]
}

// Every node of one process (a devnet, the simulator's hundred) sorts the same epoch ranking for the same
// slot, twice per slot each (to produce, to validate), and with equal scores that is one SHA-256 per node per
// sort. The order is a pure function of (ranking, slot, seed), so it is memoised process-wide by (seed, slot)
// and a hit is used only when its ranking equals this one entry by entry (the seed commits to the history the
// ranking comes from, the comparison makes the memo sound even for hand-made states). Bounded by clearing.
const SLOT_ORDERS = new Map<string, SlotOrder>()
const SLOT_ORDERS_LIMIT = 4096

function slotOrder(info: EpochInfo, slot: number): readonly Ranked[] {
  const key = `${info.seed}/${slot}`
  const hit = SLOT_ORDERS.get(key)
  if (hit !== undefined && sameRanking(hit.base, info.ranking)) return hit.order
  const order = info.ranking.slice()
  sortRanked(order, slot, info.seed)
  if (SLOT_ORDERS.size >= SLOT_ORDERS_LIMIT) SLOT_ORDERS.clear()
  SLOT_ORDERS.set(key, { base: info.ranking, order })
  return order
}

function sameRanking(a: readonly Ranked[], b: readonly Ranked[]): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Ranked
    const y = b[i] as Ranked
    if (x.node !== y.node || x.score !== y.score) return false
  }
  return true
}

// Score descending; equal scores by the slot's tie-break hash, computed only for nodes whose score another
// shares (no other node is ever compared by key). Decorated once, so that the comparator reads fields rather
// than a map: the same comparison on the same input, so the same (stable) sort and the same order.
function sortRanked(list: Ranked[], slot: number, seed: string): void {
  const scores = new Map<number, number>()
  for (const r of list) scores.set(r.score, (scores.get(r.score) ?? 0) + 1)
  const tied = list.filter((r) => (scores.get(r.score) ?? 0) > 1)
  const keys = new Map<Ranked, string>()
  tieBreakKeys(
    slot,
    seed,
    tied.map((r) => r.node)
  ).forEach((k, i) => {
    keys.set(tied[i] as Ranked, k)
  })
  const decorated = list.map((r) => ({ r, k: keys.get(r) ?? '' }))
  decorated.sort((a, b) => b.r.score - a.r.score || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
  for (let i = 0; i < decorated.length; i++) list[i] = (decorated[i] as { r: Ranked }).r
}
