/**
 * The credit economy in the simulator (docs/chain.md, "Credits"; docs/sim.md, "Newcomers and Sybils"): nodes
 * that are not genesis validators register, beacon, and earn service credits with the receipts of session owners,
 * and the figures say when an honest newcomer reached the committee (E1) and whether an operator with many
 * identities flooding receipted claims reached a third of its weight (E2).
 *
 * The operator's identities are real nodes: they vote like honest ones (the best they can do to gain weight: vote
 * credits follow weight), and each claims, every other slot, the relay of a whole 100 GB session anchored by its
 * own owner key, far above what the epoch's service cap lets count. The honest newcomer relays `typicalBytes` a
 * epoch for an independent owner's sessions.
 */
import { toHex } from '../../services/common/hash.ts'
import {
  creditParams,
  epochInfo,
  receiptMessage,
  signTransaction,
  type ChainNode,
  type ChainParams,
  type ChainState,
  type Signer,
  type Transaction
} from '../../services/chain/index.ts'

/** Who joins after genesis, and what work they do. */
export interface NewcomerOptions {
  /** Honest newcomers doing `typicalBytes` of relay work an epoch (default 1). */
  readonly honest?: number
  /** Identities of one operator flooding receipted claims (default 0). */
  readonly sybils?: number
  /** Relay bytes an honest newcomer is receipted for per epoch (default 100 GB: 20,000 credits). */
  readonly typicalBytes?: number
}

/** What the credit economy came to, epoch by epoch. */
export interface CreditFigures {
  /** Epochs judged (1 .. epochs: the rankings that the run's history fixes). */
  readonly epochs: number
  /** Epoch the newcomers registered in. */
  readonly registeredEpoch: number
  /** The operator's share of the committee's weight per epoch 1..epochs. */
  readonly sybilShare: readonly number[]
  /** First epoch the operator held a third or more of the committee's weight, or null. */
  readonly sybilCaptureEpoch: number | null
  /** First epoch every honest newcomer sat on the committee, or null. */
  readonly newcomerJoinEpoch: number | null
  /** The committee had a free seat for the newcomers (fewer eligible genesis validators than committee_size). */
  readonly committeeRoom: boolean
  /** Service credits claimed over the cap, in the last judged epoch (how hard the operator pushed). */
  readonly claimedOverCap: number
  /** E1: the epoch by which an honest newcomer must sit on a committee with room. */
  readonly e1Bound: number
  /** E2: the operator must not hold a third before this epoch. */
  readonly e2Bound: number
}

/**
 * E1 for a committee with room: a node registered in epoch r counts from r + 1 and needs uptime >= min_uptime_bp,
 * beacons of at least that share of the 7-epoch window: ceil(min_uptime x 7) epochs of beacons (2 at 20 %, its
 * beacons of epoch r counting in part), so it is eligible, and on the committee, by epoch r + 1 + ceil(7 x
 * min_uptime_bp / 10000).
 */
export function joinBound(params: ChainParams, registeredEpoch: number): number {
  return registeredEpoch + 1 + Math.ceil((7 * params.min_uptime_bp) / 10_000)
}

/**
 * E2: the first epoch at which an operator that takes the whole service cap every epoch from epoch `start` on, and
 * earns its full weight share of the vote credits, can hold a third of the committee's weight. The model (an upper
 * bound on the operator: honest nodes claim no service at all, every honest vote is counted) in units of an epoch's
 * vote credits C: the operator earns s + a an epoch (a = service_share_bp / 10000), the honest 1 - s; weights are
 * 7-epoch sums; before `start` the honest hold `history` epochs of credits (0 at genesis, 7 on an established chain).
 */
export function captureBound(shareBp: number, history: number, start = 0): number {
  const a = shareBp / 10_000
  const honest: number[] = Array.from({ length: history }, () => 1)
  const mine: number[] = Array.from({ length: history }, () => 0)
  let s = 0
  for (let e = start + 1; e < start + 10_000; e++) {
    mine.push(s + a)
    honest.push(1 - s)
    const window = (xs: number[]): number => xs.slice(-7).reduce((x, y) => x + y, 0)
    const m = window(mine)
    s = m / (m + window(honest))
    if (3 * s >= 1) return e
  }
  return Number.POSITIVE_INFINITY
}

/** Signs and submits the newcomers' transactions through their own nodes. */
export class NewcomerWork {
  #sessions = 0
  readonly #owners: Map<string, { signer: Signer; nonce: number; node?: ChainNode }>
  /** Claims and anchors the nodes refused (a nonce gap after a dropped proof, a full pool). */
  refused = 0

  /**
   * @param honest the honest newcomers' node ids
   * @param sybils the operator's node ids
   * @param owners a session owner per newcomer (the operator's own keys for its identities)
   * @param params the chain's
   * @param typicalBytes what an honest newcomer relays an epoch
   */
  constructor(
    readonly honest: readonly string[],
    readonly sybils: readonly string[],
    owners: ReadonlyMap<string, Signer>,
    readonly params: ChainParams,
    readonly typicalBytes: number
  ) {
    // One nonce counter per owner key: the operator's identities share one owner, whose transactions must
    // follow one sequence.
    const byKey = new Map<string, { signer: Signer; nonce: number; node?: ChainNode }>()
    this.#owners = new Map(
      [...owners].map(([id, signer]) => {
        let entry = byKey.get(signer.publicKey)
        if (entry === undefined) {
          entry = { signer, nonce: 0 }
          byKey.set(signer.publicKey, entry)
        }
        return [id, entry]
      })
    )
  }

  /** The registration of node `signer`, its first transaction. */
  register(node: ChainNode, signer: Signer, now: number): void {
    this.#submit(
      node,
      signTransaction(signer, { type: 'node_registration', nonce: node.lastNonce(signer.publicKey) + 1, timestamp: now, payload: { endpoint: 'sim' } })
    )
  }

  /**
   * A slot's work for one newcomer: in even slots its owner anchors the session it will be receipted for, in odd
   * ones it files the claim (beacons take the first slot of each two-slot window, and a node files one proof a slot).
   * An honest newcomer works 4 sessions an epoch of typicalBytes / 4; an operator identity every other slot, 100 GB.
   */
  slot(node: ChainNode, signer: Signer, slot: number, now: number): void {
    const id = signer.publicKey
    const sybil = this.sybils.includes(id)
    const per = Math.max(2, Math.floor(this.params.slots_per_epoch / 4) & ~1)
    const phase = slot % (sybil ? 2 : per)
    if (phase > 1) return
    const owner = this.#owners.get(id)
    if (owner === undefined) return
    const size = sybil ? creditParams(this.params).max_session_bytes : Math.max(1, Math.floor(this.typicalBytes / 4))
    if (phase === 0) {
      const sid = `work-${++this.#sessions}`
      this.#current.set(id, sid)
      // An owner's anchors all go through one node (the first of its identities to work), in nonce order: sent
      // to several nodes at once they would arrive out of order and be refused for their gaps.
      owner.node ??= node
      const via = owner.node
      owner.nonce = Math.max(owner.nonce, via.lastNonce(owner.signer.publicKey)) + 1
      const ok = this.#submit(
        via,
        signTransaction(owner.signer, {
          type: 'session_anchor',
          nonce: owner.nonce,
          timestamp: now,
          payload: { session_id: sid, manifest_hash: '00'.repeat(32), merkle_root: '00'.repeat(32), size_bytes: size }
        })
      )
      if (!ok) owner.nonce = via.lastNonce(owner.signer.publicKey)
      return
    }
    const sid = this.#current.get(id)
    if (sid === undefined) return
    const receipt = toHex(owner.signer.sign(receiptMessage('relay_bandwidth', id, sid, size)))
    this.#submit(
      node,
      signTransaction(signer, {
        type: 'task_proof',
        nonce: node.lastNonce(id) + 1,
        timestamp: now,
        payload: { kind: 'relay_bandwidth', slot, session_id: sid, bytes: size, receipt }
      })
    )
  }

  readonly #current = new Map<string, string>()

  #submit(node: ChainNode, tx: Transaction): boolean {
    try {
      node.submit(tx)
      return true
    } catch (err) {
      if ((err as { code?: unknown }).code === undefined) throw err
      this.refused++
      return false
    }
  }
}

/** The credit figures of a run, from the final state of its best honest ledger. */
export function creditFigures(
  state: ChainState,
  honest: readonly string[],
  sybils: readonly string[],
  registeredEpoch: number,
  genesisValidators: number
): CreditFigures {
  const params = state.genesis.params
  const head = state.get('head') as { epoch: number }
  // Epochs whose rankings the history fixes: the head's epoch is still being written, the next is fixed by it.
  const epochs = head.epoch
  const sybilShare: number[] = []
  let capture: number | null = null
  let join: number | null = null
  for (let e = 1; e <= epochs; e++) {
    const { committee } = epochInfo(state, e)
    let w = 0
    for (const id of sybils) w += committee.members.get(id) ?? 0
    const share = committee.total > 0 ? w / committee.total : 0
    sybilShare.push(share)
    if (capture === null && sybils.length > 0 && 3 * w >= committee.total) capture = e
    if (join === null && honest.length > 0 && honest.every((id) => committee.members.has(id))) join = e
  }
  const last = Math.max(0, epochs - 1)
  const claimed = (state.get(`s/${last}`) as number | undefined) ?? 0
  const cap = Math.floor((creditParams(params).service_share_bp * ((state.get(`c/${last}`) as number | undefined) ?? 0)) / 10_000)
  return {
    epochs,
    registeredEpoch,
    sybilShare,
    sybilCaptureEpoch: capture,
    newcomerJoinEpoch: join,
    committeeRoom: genesisValidators + honest.length + sybils.length <= params.committee_size,
    claimedOverCap: cap > 0 ? claimed / cap : 0,
    e1Bound: joinBound(params, registeredEpoch),
    e2Bound: captureBound(creditParams(params).service_share_bp, 0, registeredEpoch)
  }
}

/** Why the credit figures fail their bounds (empty when they hold). */
export function creditVerdict(c: CreditFigures): string[] {
  const reasons: string[] = []
  if (c.sybilCaptureEpoch !== null && c.sybilCaptureEpoch < c.e2Bound)
    reasons.push(`the operator's identities held a third of the committee's weight at epoch ${c.sybilCaptureEpoch}, before the E2 bound ${c.e2Bound}`)
  if (c.committeeRoom && c.epochs >= c.e1Bound && (c.newcomerJoinEpoch === null || c.newcomerJoinEpoch > c.e1Bound))
    reasons.push(
      `the honest newcomer sat on the committee ${c.newcomerJoinEpoch === null ? 'never' : `at epoch ${c.newcomerJoinEpoch}`}, after the E1 bound ${c.e1Bound}`
    )
  return reasons
}
