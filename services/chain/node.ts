/**
 * A PoOT node: proposes in its slots, prevotes and precommits in voting rounds, forms certificates, keeps a
 * pending pool, catches up on what it missed, and answers anchoring clients with receipts (docs/chain.md,
 * "Voting rounds"). Time, timers, signing, the network and the durable consensus record are injected, so the
 * same node runs on real timers in the devnet and on a virtual clock in the simulator.
 *
 * Consensus, Tendermint-style, where **a round is a slot**: for the open height (the final head + 1), round r
 * runs during slot r. The slot's leader proposes at the slot start, its fallbacks in their windows if no
 * proposal came. A committee member prevotes the first valid proposal of the round unless it is locked on
 * another block (and the proposal carries no proof of lock at or above its lock's round); on more than 2/3
 * of the weight prevoting one block in its current round it locks on it and precommits it; more than 2/3 of
 * the weight precommitting one block in one round makes it final. A proposer with a valid block (one it saw
 * more than 2/3 prevote) proposes it again, with those prevotes as its proof of lock. Safety: two blocks at a
 * height would each need precommits from more than 2/3 of the weight, and a lock is only released by a proof
 * of lock from a later round, which honest locked nodes' refusals rule out, so with less than a third of the
 * weight byzantine no two blocks at one height become final, whatever the network does. Liveness: a round
 * ends with its slot, whatever happened in it, and once messages flow again a round with an honest proposer
 * carries the latest valid block (which every honest lock is at or below) to a quorum.
 *
 * What keeps it going when messages are lost: votes and proposals are re-sent at the fallback windows of a
 * round that has not finished, the last precommit again when the next round starts; a node that sees a vote
 * or certificate for a block it lacks asks the sender for it at once; a node that sees traffic of a later
 * height asks the sender for the final blocks it lacks, and a node hearing from one behind sends them.
 *
 * Crash recovery: every step that matters (own prevote, precommit, proposal, the lock, the valid block with
 * its proof) goes to the ConsensusStore, and no message depending on it leaves before the store says it is
 * durable (grouped, asynchronous syncs). A restarted node resumes at its height and round with its lock and
 * never signs two different votes of one type in one round.
 *
 * Liveness of the schedule: every registered node sends one uptime beacon per beacon window (an hour of a
 * daily epoch), the most the uptime rule counts.
 */
import { errors, isLucidError, type LucidError } from '../common/errors.ts'
import { isShared, memoShared, parseFrozen } from '../common/frozen.ts'
import { signTransaction } from './client.ts'
import { checkCertificate, checkQuorum, headCommittee, makeCertificate, signProposal, signVote, sortVotes, voteMessage } from './certificate.ts'
import { memoryConsensusStore, type ConsensusRecord, type ConsensusStore, type RoundChoice } from './consensus-store.ts'
import { proposalHash, signingMessage } from './encoding.ts'
import { buildBlock } from './produce.ts'
import { Ledger, type FinalBlock } from './ledger.ts'
import { TxPool } from './pool.ts'
import type { BlockContext } from './rules.ts'
import {
  attemptOf,
  attemptOpensAfter,
  beaconWindow,
  beaconWindowStart,
  epochInfo,
  epochOf,
  hasQuorum,
  slotAt,
  slotSchedule,
  slotStart,
  type Committee,
  type SlotSchedule
} from './schedule.ts'
import type { Cancel, Scheduler } from './scheduler.ts'
import { ed25519Verifier, type Signer, type Verifier } from './signer.ts'
import { VerifiedCache, immediateSink, type SignatureSink } from './sink.ts'
import type { MessageHandler, Transport } from './transport.ts'
import { checkedHash, validateBlock, type ValidBlock } from './validate.ts'
import type { Block, Certificate, Genesis, Proposal, Transaction, Vote, VoteSignature, VoteType } from './types.ts'

/** What a node needs. */
export interface NodeOptions {
  readonly genesis: Genesis
  readonly signer: Signer
  /** Default: the real Ed25519 verifier. */
  readonly verifier?: Verifier
  readonly scheduler: Scheduler
  /** Joins the network: returns this node's transport, delivering incoming messages to the handler. */
  readonly connect: (id: string, handler: MessageHandler) => Transport
  /** Start from this ledger (e.g. one filled by a sync) instead of genesis. */
  readonly ledger?: Ledger
  /**
   * Final blocks this node's own ledger keeps in memory when it starts from genesis (default: all; see
   * Ledger's `retainBlocks`). A node with an archive (the gateway's) keeps only the latest and reads older
   * blocks from disk, so that its memory does not grow with the chain.
   */
  readonly retainBlocks?: number
  /** Most pending transactions (default 100,000). */
  readonly poolLimit?: number
  /**
   * Most verified signatures remembered so that a transaction or vote verified on arrival is not verified
   * again in its block or certificate (default 200,000). Entries also age out after 8 to 16 final blocks.
   */
  readonly verifiedCache?: number
  /**
   * Final blocks whose transactions txStatus answers `final` for, newest first (default 8,640, a day of
   * 10 s slots; at most 1,000,000 transactions either way). Older ones answer `unknown`.
   */
  readonly finalIndexBlocks?: number
  /**
   * Where this validator records its consensus steps before the messages that depend on them leave
   * (default: in memory, which a restarted process does not have; give a durable one, e.g.
   * fileConsensusStore, to a node that can crash and come back).
   */
  readonly consensus?: ConsensusStore
  /** Send an uptime beacon every beacon window (default true; false only to test a validator that stops). */
  readonly uptimeBeacons?: boolean
}

/** The answer to an anchoring client: accepted into the pending pool after validation. */
export interface Receipt {
  readonly tx_id: string
  /** The node's clock when it accepted the transaction, ms since the epoch. */
  readonly accepted_at: number
}

/** Where a transaction is. */
export type TxStatus =
  | { readonly status: 'pending' }
  | { readonly status: 'included'; readonly height: number; readonly block_hash: string }
  | { readonly status: 'final'; readonly height: number }
  | { readonly status: 'unknown' }

/** Observes a node (benchmarks, the gateway's API). */
export interface NodeEvents {
  /** A valid block at the open height arrived (or was produced here); `txIds` in block order. */
  candidate?: (block: Block, hash: string, txIds: readonly string[], atMs: number) => void
  /** A block became final here. */
  final?: (fin: FinalBlock, atMs: number) => void
  /** The consensus store failed: the node stopped rather than vote unrecorded. */
  fault?: (err: Error) => void
}

/** The messages nodes exchange (JSON text on the wire). */
export type Message =
  | { t: 'proposal'; proposal: Proposal }
  | { t: 'vote'; vote: Vote }
  | { t: 'commit'; certificate: Certificate }
  | { t: 'tx'; tx: Transaction }
  | { t: 'want_block'; height: number; hash: string }
  | { t: 'block'; block: Block }
  | { t: 'want_final'; from: number }
  | { t: 'final'; blocks: Array<{ block: Block; certificate: Certificate }> }

/** One round's votes of one type: the first vote of each voter counts (a second, different one is ignored). */
interface Tally {
  readonly byVoter: Map<string, string>
  readonly byHash: Map<string, Map<string, string>>
  readonly weight: Map<string, number>
}

/** Everything about the open height; replaced when it becomes final. */
interface HeightState {
  readonly height: number
  /** The committee that votes on this height (the epoch it opened in). */
  readonly committee: Committee
  round: number
  readonly blocks: Map<string, ValidBlock>
  /** The first acceptable proposal of each round, with its block's hash. */
  readonly proposals: Map<number, { readonly p: Proposal; readonly hash: string }>
  readonly prevotes: Map<number, Tally>
  readonly precommits: Map<number, Tally>
  /** Weight of distinct voters seen per round (either type), for moving to a later round. */
  readonly roundVoters: Map<number, Map<string, number>>
  prevote: RoundChoice | undefined
  precommit: RoundChoice | undefined
  proposed: number
  locked: RoundChoice | undefined
  valid: (RoundChoice & { pol: readonly VoteSignature[] }) | undefined
  /** Certificates heard for blocks not held yet. */
  readonly pendingCerts: Map<string, Certificate>
  /** Blocks asked for, and when. */
  readonly wanted: Map<string, number>
  readonly receivedAt: Map<string, number>
}

const MAX_BLOCKS_PER_HEIGHT = 64
const MAX_FUTURE_MESSAGES = 512
const MAX_FINAL_INDEX = 1_000_000
const MAX_FINAL_BATCH = 16
/** Rounds of votes kept behind the current one (older ones cannot matter but for the valid block, kept apart). */
const ROUNDS_KEPT = 16
const WANT_RETRY_MS = 1000
const WANT_ATTEMPTS = 8
/** A day of 10 s slots. */
const DEFAULT_FINAL_INDEX_BLOCKS = 8640

/** Shared (deep-frozen) votes found well formed, and proposals' signed messages: once per message in a process. */
const WELL_FORMED_VOTES = new WeakSet<object>()
const PROPOSAL_MESSAGES = new WeakMap<Proposal, Uint8Array>()

function wellFormedVote(v: Vote): boolean {
  if (WELL_FORMED_VOTES.has(v)) return true
  const ok =
    v !== null &&
    typeof v === 'object' &&
    (v.type === 'prevote' || v.type === 'precommit') &&
    typeof v.block_hash === 'string' &&
    /^[0-9a-f]{64}$/.test(v.block_hash) &&
    typeof v.voter === 'string' &&
    typeof v.signature === 'string' &&
    /^[0-9a-f]{128}$/.test(v.signature) &&
    Number.isSafeInteger(v.round) &&
    v.round >= 0
  if (ok && isShared(v)) WELL_FORMED_VOTES.add(v)
  return ok
}

/** One PoOT node. */
export class ChainNode {
  readonly id: string
  readonly ledger: Ledger
  readonly #o: NodeOptions
  readonly #transport: Transport
  readonly #sigs: SignatureSink
  readonly #pool: TxPool
  readonly #finalIndex = new Map<string, number>()
  readonly #finalIndexBlocks: Array<{ readonly height: number; readonly ids: readonly string[] }> = []
  readonly #verified: VerifiedCache
  readonly #timers = new Set<Cancel>()
  readonly #events: NodeEvents[] = []
  readonly #store: ConsensusStore
  /** Messages for a later height, replayed when it opens. */
  #future: Array<{ from: string; msg: Message }> = []
  #h: HeightState
  /**
   * A record read at start for a height above the open one (this node's ledger is behind its last votes): it
   * casts nothing below that height, and takes the record back when its ledger gets there.
   */
  #floor = 0
  #laterRecord: ConsensusRecord | undefined
  /** Saves not yet durable; messages wait in #outbox meanwhile. */
  #unsynced = 0
  readonly #outbox: Array<() => void> = []
  #lastWantFinal = -Infinity
  /** When the last height became final here. */
  #finalAt = -Infinity
  /**
   * Precommits for the last final block that came after its certificate formed, by voter (height `#lateHeight`):
   * the parent certificate of this node's next block carries them too, so that vote credits (docs/chain.md,
   * "Credits") reach every member that voted, not only the first quorum to arrive (which would always leave out
   * the farthest members, and shrink their weight epoch after epoch).
   */
  #late = new Map<string, string>()
  #lateHeight = 0
  readonly #lastServed = new Map<string, number>()
  #running = false
  #faulted = false
  /** Messages refused, by error code (what a misbehaving peer sent). */
  readonly rejected = new Map<string, number>()

  constructor(opts: NodeOptions) {
    this.#o = opts
    this.id = opts.signer.publicKey
    this.ledger = opts.ledger ?? new Ledger(opts.genesis, opts.retainBlocks !== undefined ? { retainBlocks: opts.retainBlocks } : {})
    this.#verified = new VerifiedCache(opts.verifiedCache)
    this.#sigs = immediateSink(opts.verifier ?? ed25519Verifier(), this.#verified)
    this.#pool = new TxPool(this.ledger.state, opts.poolLimit)
    this.#store = opts.consensus ?? memoryConsensusStore()
    this.#h = this.#openHeight()
    this.#recover(this.#store.load())
    this.#transport = opts.connect(this.id, (from, data) => {
      this.#onMessage(from, data)
    })
    this.ledger.onFinal((fin) => {
      const now = this.#now()
      for (const ev of this.#events) ev.final?.(fin, now)
    })
  }

  /** Subscribes to this node's events. */
  on(events: NodeEvents): void {
    this.#events.push(events)
  }

  /** Starts taking part: slot timers from the current slot on. */
  start(): void {
    if (this.#running || this.#faulted) return
    this.#running = true
    const slot = this.#slotNow()
    this.#scheduleSlot(slot)
    // A restarted node may have missed what happened while it was down: ask at once rather than at the next slot.
    this.#enterRound(slot)
    this.#resend()
  }

  /** Stops timers (messages still arriving are ignored). */
  stop(): void {
    this.#running = false
    for (const c of this.#timers) c()
    this.#timers.clear()
  }

  /** Resolves when every consensus step recorded so far is durable. */
  async flush(): Promise<void> {
    await this.#store.flush()
  }

  /** The best block at the open height (the valid block, else the current round's proposal), else the last final block. */
  head(): { height: number; hash: string; final: boolean } {
    const h = this.#h
    const hash = h.valid?.block_hash ?? h.proposals.get(h.round)?.hash
    if (hash !== undefined) return { height: h.height, hash, final: false }
    const f = this.ledger.head()
    return { height: f.height, hash: f.hash, final: true }
  }

  /** The open height's current round (its slot) and lock, for observers and tests. */
  consensusState(): { height: number; round: number; locked: RoundChoice | undefined; valid: RoundChoice | undefined } {
    const h = this.#h
    return {
      height: h.height,
      round: h.round,
      locked: h.locked,
      valid: h.valid === undefined ? undefined : { round: h.valid.round, block_hash: h.valid.block_hash }
    }
  }

  /** Pending transactions. */
  get poolSize(): number {
    return this.#pool.size
  }

  /**
   * The last nonce `account` used, counting its transactions pending here: the next one it sends must carry
   * this plus one. What a client re-reads when a submission was refused for its nonce.
   */
  lastNonce(account: string): number {
    return this.#pool.lastNonce(account)
  }

  /**
   * Accepts a transaction into the pending pool (validated as if in the next block, signature included) and
   * gossips it; returns at once with a receipt. Throws the LUCID_ERR_5xxx rule it breaks.
   */
  submit(tx: Transaction): Receipt {
    const id = this.#admit(tx)
    this.#broadcast({ t: 'tx', tx }, false)
    return { tx_id: id, accepted_at: this.#now() }
  }

  /** Where a transaction is: pending, in a block awaiting finality, final, or unknown here. */
  txStatus(id: string): TxStatus {
    const height = this.#finalIndex.get(id)
    if (height !== undefined) return { status: 'final', height }
    for (const v of this.#h.blocks.values()) {
      if (v.txIds.includes(id)) return { status: 'included', height: v.block.header.height, block_hash: v.hash }
    }
    return this.#pool.has(id) ? { status: 'pending' } : { status: 'unknown' }
  }

  #now(): number {
    return this.#o.scheduler.clock.now()
  }

  #slotNow(): number {
    const { genesis_time: g, params } = this.#o.genesis
    return slotAt(g, params, this.#now())
  }

  #timer(at: number, fn: () => void): void {
    const cancel = this.#o.scheduler.at(at, () => {
      this.#timers.delete(cancel)
      if (this.#running) fn()
    })
    this.#timers.add(cancel)
  }

  // ---- sending: every consensus message waits until the records it depends on are durable ----

  #broadcast(msg: Message, ordered = true): void {
    const data = JSON.stringify(msg)
    const send = (): void => {
      this.#transport.broadcast(data)
    }
    if (ordered && this.#unsynced > 0) this.#outbox.push(send)
    else send()
  }

  #sendTo(to: readonly string[], msg: Message): void {
    if (to.length === 0) return
    const data = JSON.stringify(msg)
    const send = (): void => {
      for (const id of to) this.#transport.send(id, data)
    }
    if (this.#unsynced > 0) this.#outbox.push(send)
    else send()
  }

  /** Votes go to the committee only: every node hears proposals and certificates, not every vote. */
  #toCommittee(msg: Message): void {
    this.#sendTo(
      [...this.#h.committee.members.keys()].filter((m) => m !== this.id),
      msg
    )
  }

  #persist(): void {
    const h = this.#h
    // Below a height recorded before a restart this node casts nothing, so it has nothing to record (and must
    // not overwrite that record).
    if (h.height < this.#floor) return
    const blocks: Block[] = []
    for (const hash of new Set([h.locked?.block_hash, h.valid?.block_hash])) {
      const b = hash === undefined ? undefined : h.blocks.get(hash)?.block
      if (b !== undefined) blocks.push(b)
    }
    // The parent, final with its certificate: if the archive had not written it when the process died, the
    // record still brings it back (all validators' ledgers may be behind their records after a crash).
    const parent = h.height > 1 ? this.ledger.at(h.height - 1) : undefined
    const record: ConsensusRecord = {
      height: h.height,
      ...(h.prevote !== undefined ? { prevote: h.prevote } : {}),
      ...(h.precommit !== undefined ? { precommit: h.precommit } : {}),
      ...(h.proposed >= 0 ? { proposed: h.proposed } : {}),
      ...(h.locked !== undefined ? { locked: h.locked } : {}),
      ...(h.valid !== undefined ? { valid: h.valid } : {}),
      blocks,
      ...(parent !== undefined ? { final: { block: parent.block, certificate: parent.certificate } } : {})
    }
    this.#unsynced++
    this.#store.save(record, (err) => {
      if (err !== undefined) {
        this.#fault(err)
        return
      }
      if (--this.#unsynced === 0) for (const send of this.#outbox.splice(0)) send()
    })
  }

  /** The store failed: stop rather than vote unrecorded; nothing waiting in the outbox is sent. */
  #fault(err: Error): void {
    if (this.#faulted) return
    this.#faulted = true
    this.#outbox.length = 0
    this.stop()
    for (const ev of this.#events) ev.fault?.(err)
  }

  // ---- heights and rounds ----

  #openHeight(): HeightState {
    const head = this.ledger.head()
    const state = this.ledger.state
    return {
      height: head.height + 1,
      committee: epochInfo(state, epochOf(state.genesis.params, head.slot + 1)).committee,
      round: head.slot,
      blocks: new Map(),
      proposals: new Map(),
      prevotes: new Map(),
      precommits: new Map(),
      roundVoters: new Map(),
      prevote: undefined,
      precommit: undefined,
      proposed: -1,
      locked: undefined,
      valid: undefined,
      pendingCerts: new Map(),
      wanted: new Map(),
      receivedAt: new Map()
    }
  }

  /**
   * After a restart: the record's final parent, if the ledger lacks it, is validated with its certificate and
   * appended; a record of the open height is taken back; one of a later height waits (#floor).
   */
  #recover(r: ConsensusRecord | undefined): void {
    if (r === undefined) return
    const f = r.final
    if (r.height === this.#h.height + 1 && f !== undefined && f.block.header.height === this.#h.height) {
      const valid = validateBlock(this.ledger.state, f.block, { sigs: this.#sigs })
      checkCertificate(f.certificate, valid.block.header.height, valid.hash, headCommittee(valid.delta, f.certificate), this.#sigs)
      this.ledger.append(valid, f.certificate)
      this.#pool.rebase(valid.txIds, this.#blockContext(this.#slotNow()), this.#sigs)
      this.#h = this.#openHeight()
    }
    if (r.height > this.#h.height) {
      this.#floor = r.height
      this.#laterRecord = r
      return
    }
    this.#restore(r)
  }

  /** Takes back the record of the open height after a restart (a record of an earlier height is spent). */
  #restore(r: ConsensusRecord | undefined): void {
    const h = this.#h
    if (r === undefined || r.height !== h.height) return
    h.prevote = r.prevote
    h.precommit = r.precommit
    h.proposed = r.proposed ?? -1
    h.locked = r.locked
    h.valid = r.valid
    h.round = Math.max(h.round, r.prevote?.round ?? -1, r.precommit?.round ?? -1, r.proposed ?? -1)
    for (const b of r.blocks) {
      try {
        this.#validBlock(b)
      } catch (err) {
        if (!isLucidError(err)) throw err
      }
    }
    // Own votes count again in the tallies (the same signatures: Ed25519 is deterministic).
    if (h.prevote !== undefined)
      this.#tally(
        'prevote',
        h.prevote.round,
        h.prevote.block_hash,
        this.id,
        signVote(this.#o.signer, 'prevote', h.height, h.prevote.round, h.prevote.block_hash).signature
      )
    if (h.precommit !== undefined)
      this.#tally(
        'precommit',
        h.precommit.round,
        h.precommit.block_hash,
        this.id,
        signVote(this.#o.signer, 'precommit', h.height, h.precommit.round, h.precommit.block_hash).signature
      )
    if (h.valid !== undefined) for (const v of h.valid.pol) this.#tally('prevote', h.valid.round, h.valid.block_hash, v.voter, v.signature)
  }

  // One timer per attempt window of every slot (the round of the open height that slot is); whether this node
  // holds that attempt is decided when the window opens, from the final chain as it is then.
  #scheduleSlot(slot: number): void {
    const { genesis_time: g, params } = this.#o.genesis
    const start = slotStart(g, params, slot)
    const beacons = this.#o.uptimeBeacons !== false
    for (let a = 0; a <= params.fallback_attempts; a++) {
      this.#timer(start + attemptOpensAfter(params, a), () => {
        if (a === 0) {
          // The beacon rides on the slot-start timer, before proposing, so a leader's own beacon can go in its block.
          if (beacons) this.#beacon(slot)
          this.#enterRound(slot)
        } else {
          // A round still open at a fallback window: what may have been lost is sent again.
          if (this.#h.round === slot) this.#resend()
        }
        this.#tryPropose(slot)
      })
    }
    this.#timer(start + params.slot_ms, () => {
      this.#scheduleSlot(slot + 1)
    })
  }

  /** Moves the open height to round `r` (never back), re-sending the last precommit when an earlier round ended undecided. */
  #enterRound(r: number): void {
    const h = this.#h
    if (r <= h.round) return
    const undecided = h.round > this.ledger.head().slot
    h.round = r
    // Rounds long past cannot matter any more (the valid block keeps its own proof of lock): a stall of hours
    // must not grow the height's state.
    for (const map of [h.prevotes, h.precommits, h.roundVoters, h.proposals]) for (const k of [...map.keys()]) if (k < r - ROUNDS_KEPT) map.delete(k)
    if (undecided) this.#resend()
    // A proposal of this round may have arrived while the node was still in an earlier one.
    const p = h.proposals.get(r)
    if (p !== undefined) this.#considerPrevote(p.p, p.hash)
    this.#checkPolka(r)
  }

  /** Re-sends this node's votes of the current round, its last precommit, and its proposal of the round. */
  #resend(): void {
    const h = this.#h
    const s = this.#o.signer
    if (h.prevote !== undefined && h.prevote.round === h.round)
      this.#toCommittee({ t: 'vote', vote: signVote(s, 'prevote', h.height, h.prevote.round, h.prevote.block_hash) })
    if (h.precommit !== undefined) this.#toCommittee({ t: 'vote', vote: signVote(s, 'precommit', h.height, h.precommit.round, h.precommit.block_hash) })
    const mine = h.proposals.get(h.round)?.p
    if (mine !== undefined && mine.proposer === this.id) this.#broadcast({ t: 'proposal', proposal: mine })
  }

  #blockContext(slot: number): BlockContext {
    const head = this.ledger.head()
    return { height: head.height + 1, slot, epoch: epochOf(this.#o.genesis.params, slot), timestamp: this.#now() }
  }

  #admit(tx: Transaction): string {
    return this.#pool.admit(tx, this.#blockContext(this.#slotNow()), this.#sigs)
  }

  /**
   * Sends this node's uptime beacon for the slot's beacon window unless the final chain or the pool already
   * holds one (docs/chain.md, "Uptime beacons"): one per window at a per-node offset into its first half,
   * retried at later slots of the window while missing.
   */
  #beacon(slot: number): void {
    const params = this.#o.genesis.params
    const w = beaconWindow(params, slot)
    const first = beaconWindowStart(params, w)
    const spread = Math.max(1, Math.floor((beaconWindowStart(params, w + 1) - first) / 2))
    if (slot < first + (Number.parseInt(this.id.slice(0, 8), 16) % spread)) return
    if (this.#pool.view(`bh/${this.id}/${w}`) !== undefined) return
    // Only registered nodes earn credits; another key's beacon would only be refused.
    if (!(this.#pool.view('nodes') as Array<[string, number]>).some(([n]) => n === this.id)) return
    const tx = signTransaction(this.#o.signer, {
      type: 'task_proof',
      nonce: this.#pool.lastNonce(this.id) + 1,
      timestamp: this.#now(),
      payload: { kind: 'uptime_beacon', slot }
    })
    try {
      this.submit(tx)
    } catch (err) {
      if (!isLucidError(err)) throw err
    }
  }

  /** The attempt this node holds in slot `slot` (-1 for none). */
  #attempt(slot: number): number {
    return this.#attemptOf(this.id, slot)
  }

  /**
   * Proposes for round `slot` if this node holds an attempt whose window is open, no proposal of the round
   * has been seen, and it has not proposed in the round: its valid block again with its proof of lock, or a
   * new block of this slot.
   */
  #tryPropose(slot: number): void {
    const { genesis } = this.#o
    const params = genesis.params
    const h = this.#h
    const now = this.#now()
    const start = slotStart(genesis.genesis_time, params, slot)
    if (h.round !== slot || slot <= this.ledger.head().slot || now >= start + params.slot_ms || h.height < this.#floor) return
    if (h.proposed >= slot || h.proposals.has(slot)) return
    const attempt = this.#attempt(slot)
    if (attempt < 0 || now < start + attemptOpensAfter(params, attempt)) return
    const valid = h.valid === undefined ? undefined : h.blocks.get(h.valid.block_hash)
    let block: Block
    let hash: string
    if (valid !== undefined && h.valid !== undefined) {
      block = valid.block
      hash = valid.hash
    } else {
      block = this.#build(slot, epochOf(params, slot), Math.max(now, start + attemptOpensAfter(params, attempt)))
      hash = this.#validBlock(block).hash
    }
    const pol = valid !== undefined && h.valid !== undefined ? h.valid : undefined
    const proposal = signProposal(this.#o.signer, h.height, slot, block, hash, pol?.round ?? -1, pol?.pol ?? [])
    h.proposed = slot
    this.#persist()
    h.proposals.set(slot, { p: proposal, hash })
    this.#broadcast({ t: 'proposal', proposal })
    this.#considerPrevote(proposal, hash)
  }

  #build(slot: number, epoch: number, timestamp: number): Block {
    const head = this.ledger.head()
    const parentCertificate = this.#parentCertificate()
    const ctx: BlockContext = { height: head.height + 1, slot, epoch, timestamp }
    return buildBlock(
      this.ledger.state,
      this.#o.signer,
      ctx,
      parentCertificate,
      [...this.#pool.pending()].map(([, tx]) => tx),
      this.#sigs
    )
  }

  // ---- messages ----

  #onMessage(from: string, data: string): void {
    if (!this.#running) return
    let msg: Message
    try {
      // Parsed once per text in this process and deep-frozen: the receivers of a broadcast read one object.
      msg = parseFrozen(data) as Message
    } catch {
      this.#reject('LUCID_ERR_5001')
      return
    }
    this.#handle(from, msg)
  }

  #handle(from: string, msg: Message): void {
    try {
      if (msg === null || typeof msg !== 'object') throw new errors.InvalidBlock('a message is an object')
      switch (msg.t) {
        case 'proposal':
          this.#onProposal(from, msg.proposal)
          break
        case 'vote':
          this.#onVote(from, msg.vote)
          break
        case 'commit':
          this.#onCommit(from, msg.certificate)
          break
        case 'tx':
          this.#admit(msg.tx)
          break
        case 'want_block':
          this.#onWantBlock(from, msg.height, msg.hash)
          break
        case 'block':
          this.#onBlockData(msg.block)
          break
        case 'want_final':
          this.#serveFinal(from, msg.from)
          break
        case 'final':
          this.#onFinal(msg.blocks)
          break
        default:
          throw new errors.InvalidBlock('unknown message type')
      }
    } catch (err) {
      // A peer's invalid message is counted and dropped; a bug in this node is not swallowed.
      if (!isLucidError(err)) throw err
      this.#reject((err as LucidError).code)
    }
  }

  #reject(code: string): void {
    this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1)
  }

  /**
   * A message about another height: an earlier one means the sender is behind (it gets the final blocks it
   * lacks); a later one means this node is behind (it asks for them, and keeps the message for when that
   * height opens). Returns true when the message is for the open height.
   */
  #heightCheck(from: string, height: unknown, msg: Message): boolean {
    if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 1) throw new errors.InvalidBlock('a height is a positive integer')
    const open = this.#h.height
    if (height === open) return true
    if (height < open) {
      if (msg.t === 'vote' && height === open - 1) this.#lateVote(msg.vote)
      this.#serveLagging(from, height)
      return false
    }
    if (height === open + 1 && msg.t === 'proposal') {
      // The proposal's block carries the certificate of the open height's block: that may make it final.
      const cert = msg.proposal?.block?.parent_certificate
      if (cert !== null && cert !== undefined && typeof cert === 'object') this.#onCommit(from, cert)
      if (height === this.#h.height) return true
    }
    if (height > this.#h.height) {
      if (this.#future.length >= MAX_FUTURE_MESSAGES) this.#future.shift()
      this.#future.push({ from, msg })
      this.#wantFinal(from)
    }
    return false
  }

  #wantFinal(from: string): void {
    const now = this.#now()
    if (now - this.#lastWantFinal < WANT_RETRY_MS) return
    this.#lastWantFinal = now
    this.#sendTo([from], { t: 'want_final', from: this.#h.height })
  }

  /** A precommit of the last final block's deciding round from a member its certificate lacks: kept for the next block (#late). */
  #lateVote(v: Vote): void {
    const head = this.ledger.head()
    const cert = this.ledger.at(head.height)?.certificate
    if (!wellFormedVote(v) || v.type !== 'precommit' || cert === undefined || cert === null || cert.round === undefined) return
    if (v.height !== head.height || v.block_hash !== head.hash || v.round !== cert.round) return
    if (this.#lateHeight !== head.height) {
      this.#late.clear()
      this.#lateHeight = head.height
    }
    if (this.#late.has(v.voter) || cert.votes.some((x) => x.voter === v.voter)) return
    if (!headCommittee(this.ledger.state, cert).members.has(v.voter)) return
    this.#sigs.check(
      v.voter,
      voteMessage('precommit', v.height, v.round, v.block_hash),
      v.signature,
      () => new errors.InvalidCertificate(`precommit of ${v.voter} has a bad signature`)
    )
    this.#late.set(v.voter, v.signature)
  }

  /** The certificate of the final head for the next block: the one that made it final, with the late precommits. */
  #parentCertificate(): Certificate | null {
    const head = this.ledger.head()
    if (head.height === 0) return null
    const cert = (this.ledger.at(head.height) as FinalBlock).certificate
    if (this.#lateHeight !== head.height || this.#late.size === 0 || cert.round === undefined) return cert
    const late = [...this.#late].map(([voter, signature]) => ({ voter, signature }))
    return makeCertificate(cert.height, cert.round, cert.block_hash, [...cert.votes, ...late])
  }

  /**
   * A message of an earlier height: the sender may be behind. The votes that simply came after the quorum (a
   * few ms behind it) are no sign of that; a message of the height before the open one is answered only once a
   * quarter of a slot has passed since that height became final here (a lagging node re-sends its votes at the
   * round's fallback windows), one of an older height at once.
   */
  #serveLagging(from: string, height: number): void {
    const open = this.#h.height
    if (height === open - 1 && this.#now() - this.#finalAt < this.#o.genesis.params.slot_ms / 4) return
    this.#serveFinal(from, height)
  }

  /** Sends a peer that is behind the final blocks from `height` on (those still in memory), at most once a second per peer. */
  #serveFinal(to: string, height: unknown): void {
    if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 1) return
    const now = this.#now()
    if (now - (this.#lastServed.get(to) ?? -Infinity) < WANT_RETRY_MS) return
    const blocks = this.ledger
      .range(height, Math.min(this.ledger.head().height, height + MAX_FINAL_BATCH - 1))
      .map((f) => ({ block: f.block, certificate: f.certificate }))
    if (blocks.length === 0) return
    if (this.#lastServed.size > 1024) this.#lastServed.clear()
    this.#lastServed.set(to, now)
    this.#sendTo([to], { t: 'final', blocks })
  }

  /** Final blocks from a peer: each that continues this node's chain is validated with its certificate and appended. */
  #onFinal(blocks: unknown): void {
    if (!Array.isArray(blocks)) throw new errors.InvalidBlock('final: blocks is an array')
    for (const f of blocks.slice(0, MAX_FINAL_BATCH) as Array<{ block: Block; certificate: Certificate }>) {
      if (f === null || typeof f !== 'object' || f.block?.header?.height !== this.#h.height) continue
      const valid = validateBlock(this.ledger.state, f.block, { sigs: this.#sigs })
      checkCertificate(f.certificate, valid.block.header.height, valid.hash, headCommittee(valid.delta, f.certificate), this.#sigs)
      this.#finalise(valid, f.certificate, false)
    }
  }

  /** Validates a block for the open height once (cached by hash), announcing it as a candidate. */
  #validBlock(block: Block): ValidBlock {
    const h = this.#h
    const hash = checkedHash(this.ledger.state, block)
    const known = h.blocks.get(hash)
    if (known !== undefined) return known
    if (block.header.height !== h.height) throw new errors.NotOnFinalChain(`block at height ${block.header.height}, open height ${h.height}`)
    if (h.blocks.size >= MAX_BLOCKS_PER_HEIGHT) this.#evictBlock()
    const valid = validateBlock(this.ledger.state, block, { sigs: this.#sigs, now: this.#now() })
    h.blocks.set(hash, valid)
    h.wanted.delete(hash)
    const at = this.#now()
    h.receivedAt.set(hash, at)
    for (const ev of this.#events) ev.candidate?.(block, hash, valid.txIds, at)
    return valid
  }

  /**
   * Makes room for a block at a height that has seen MAX_BLOCKS_PER_HEIGHT (a long stall proposes a block a
   * round): drops the oldest one that is neither locked, valid, a current proposal nor named by a certificate.
   */
  #evictBlock(): void {
    const h = this.#h
    const keep = new Set<string>(
      [h.locked?.block_hash, h.valid?.block_hash, ...[...h.proposals.values()].map((p) => p.hash), ...h.pendingCerts.keys()].filter(
        (x): x is string => x !== undefined
      )
    )
    let oldest: string | undefined
    for (const [hash] of h.blocks)
      if (!keep.has(hash) && (oldest === undefined || (h.receivedAt.get(hash) ?? 0) < (h.receivedAt.get(oldest) ?? 0))) oldest = hash
    if (oldest === undefined) throw new errors.InvalidBlock(`more than ${MAX_BLOCKS_PER_HEIGHT} blocks held at height ${h.height}`)
    h.blocks.delete(oldest)
    h.receivedAt.delete(oldest)
  }

  #onProposal(from: string, p: Proposal): void {
    if (p === null || typeof p !== 'object' || typeof p.block !== 'object' || p.block === null) throw new errors.InvalidBlock('malformed proposal')
    if (!this.#heightCheck(from, p.height, { t: 'proposal', proposal: p })) return
    const h = this.#h
    const { genesis } = this.#o
    const params = genesis.params
    const r = p.round
    if (
      !Number.isSafeInteger(r) ||
      !Number.isSafeInteger(p.pol_round) ||
      p.pol_round < -1 ||
      p.pol_round >= r ||
      typeof p.proposer !== 'string' ||
      typeof p.signature !== 'string' ||
      !/^[0-9a-f]{128}$/.test(p.signature) ||
      !Array.isArray(p.pol)
    ) {
      throw new errors.InvalidBlock('malformed proposal')
    }
    // Rounds of this height are the slots after the parent's, up to the next one (clock skew).
    if (r <= this.ledger.head().slot || r > slotAt(genesis.genesis_time, params, this.#now() + params.max_clock_skew_ms))
      throw new errors.SlotOrTimestampOutOfBounds(`proposal for round ${r} outside this height's rounds`)
    if (h.proposals.has(r) || r < h.round - ROUNDS_KEPT) {
      // Known already: but a proposal re-sent by a proposer that missed its own round's votes is answered.
      return
    }
    const attempt = this.#attemptOf(p.proposer, r)
    if (attempt < 0) throw new errors.WrongLeader(`${p.proposer} proposes in round ${r}`)
    if (this.#now() + params.max_clock_skew_ms < slotStart(genesis.genesis_time, params, r) + attemptOpensAfter(params, attempt))
      throw new errors.FallbackTooEarly(`attempt ${attempt} of round ${r} before its window`)
    const valid = this.#validBlock(p.block)
    if (valid.block.header.slot > r) throw new errors.SlotOrTimestampOutOfBounds(`block of slot ${valid.block.header.slot} proposed in round ${r}`)
    // p.height is the open height (#heightCheck) and valid.hash its block's hash: a pure function of p.
    this.#sigs.check(
      p.proposer,
      memoShared(PROPOSAL_MESSAGES, p, () => signingMessage('LUCID-PROPOSE-V1', proposalHash(h.height, r, p.pol_round, valid.hash))),
      p.signature,
      () => new errors.BadBlockSignature(`proposal of round ${r} is not signed by ${p.proposer}`)
    )
    if (p.pol_round >= 0) {
      if (p.pol_round < valid.block.header.slot)
        throw new errors.SlotOrTimestampOutOfBounds(`proof of lock of round ${p.pol_round} for a block of slot ${valid.block.header.slot}`)
      checkQuorum(p.pol, voteMessage('prevote', h.height, p.pol_round, valid.hash), h.committee, `the proof of lock of round ${p.pol_round}`, this.#sigs)
      for (const v of p.pol) this.#tally('prevote', p.pol_round, valid.hash, v.voter, v.signature)
    }
    h.proposals.set(r, { p, hash: valid.hash })
    if (p.pol_round >= 0) this.#checkPolka(p.pol_round)
    if (r > h.round && r <= this.#slotNow()) this.#enterRound(r)
    else if (r === h.round) this.#considerPrevote(p, valid.hash)
  }

  #attemptOf(producer: string, slot: number): number {
    const schedule = this.#schedule(slot)
    return schedule === undefined ? -1 : attemptOf(schedule, this.#o.genesis.params, producer)
  }

  /** The schedule of `slot` for the open height: a function of the final chain, kept while the final head and the slot stay. */
  #schedule(slot: number): SlotSchedule | undefined {
    const head = this.ledger.head()
    const m = this.#scheduleMemo
    if (m !== undefined && m.slot === slot && m.hash === head.hash) return m.schedule
    const params = this.#o.genesis.params
    const state = this.ledger.state
    const schedule = slotSchedule(epochInfo(state, epochOf(params, slot)), params, slot, state.get('recent') as Array<[number, string]>, head.slot)
    this.#scheduleMemo = { slot, hash: head.hash, schedule }
    return schedule
  }

  #scheduleMemo: { readonly slot: number; readonly hash: string; readonly schedule: SlotSchedule | undefined } | undefined

  /** Prevotes the round's proposal if this node may (committee member, not yet prevoted this round, lock rules). */
  #considerPrevote(p: Proposal, hash: string): void {
    const h = this.#h
    if (p.round !== h.round || !h.committee.members.has(this.id) || h.height < this.#floor) return
    if (h.prevote !== undefined && h.prevote.round >= p.round) return
    if (!h.blocks.has(hash)) return
    // Locked on another block: only a proof of lock from the lock's round or later releases it.
    if (h.locked !== undefined && h.locked.block_hash !== hash && !(p.pol_round >= 0 && p.pol_round >= h.locked.round)) return
    this.#castVote('prevote', p.round, hash)
  }

  #castVote(type: VoteType, round: number, hash: string): void {
    const h = this.#h
    const vote = signVote(this.#o.signer, type, h.height, round, hash)
    if (type === 'prevote') h.prevote = { round, block_hash: hash }
    else {
      h.precommit = { round, block_hash: hash }
      h.locked = { round, block_hash: hash }
    }
    // Durable before the vote exists outside this node.
    this.#persist()
    this.#toCommittee({ t: 'vote', vote })
    this.#tally(type, round, hash, this.id, vote.signature)
    if (type === 'prevote') this.#checkPolka(round)
    else this.#checkCommit(round, hash)
  }

  #onVote(from: string, v: Vote): void {
    if (!wellFormedVote(v)) throw new errors.InvalidCertificate('malformed vote')
    if (!this.#heightCheck(from, v.height, { t: 'vote', vote: v })) return
    const h = this.#h
    const params = this.#o.genesis.params
    if (
      v.round <= this.ledger.head().slot ||
      v.round > slotAt(this.#o.genesis.genesis_time, params, this.#now() + params.max_clock_skew_ms) ||
      v.round < h.round - ROUNDS_KEPT
    )
      return
    if (!h.committee.members.has(v.voter)) throw new errors.InvalidCertificate(`${v.voter} is not on the committee of height ${h.height}`)
    const tally = (v.type === 'prevote' ? h.prevotes : h.precommits).get(v.round)
    const seen = tally?.byVoter.get(v.voter)
    if (seen !== undefined) return
    if (v.voter !== this.id)
      this.#sigs.check(
        v.voter,
        voteMessage(v.type, h.height, v.round, v.block_hash),
        v.signature,
        () => new errors.InvalidCertificate(`${v.type} of ${v.voter} has a bad signature`)
      )
    this.#tally(v.type, v.round, v.block_hash, v.voter, v.signature)
    // Votes of more than a third of the weight for a block this node lacks (so an honest node holds it): ask the
    // voter for it at once. A lone early vote usually only overtook its proposal.
    if (!h.blocks.has(v.block_hash)) {
      const t = (v.type === 'prevote' ? h.prevotes : h.precommits).get(v.round)
      if (3 * (t?.weight.get(v.block_hash) ?? 0) > h.committee.total) this.#want(from, v.block_hash)
    }
    // More than a third of the weight in a later round: this node's clock is behind; move there.
    if (v.round > h.round) {
      let w = 0
      for (const x of (h.roundVoters.get(v.round) ?? new Map<string, number>()).values()) w += x
      if (3 * w > h.committee.total) this.#enterRound(v.round)
    }
    if (v.type === 'prevote') this.#checkPolka(v.round)
    else this.#checkCommit(v.round, v.block_hash)
  }

  #tally(type: VoteType, round: number, hash: string, voter: string, signature: string): void {
    const h = this.#h
    const w = h.committee.members.get(voter)
    if (w === undefined) return
    const map = type === 'prevote' ? h.prevotes : h.precommits
    let t = map.get(round)
    if (t === undefined) {
      t = { byVoter: new Map(), byHash: new Map(), weight: new Map() }
      map.set(round, t)
    }
    if (t.byVoter.has(voter)) return
    t.byVoter.set(voter, hash)
    let votes = t.byHash.get(hash)
    if (votes === undefined) {
      votes = new Map()
      t.byHash.set(hash, votes)
    }
    votes.set(voter, signature)
    t.weight.set(hash, (t.weight.get(hash) ?? 0) + w)
    let rv = h.roundVoters.get(round)
    if (rv === undefined) {
      rv = new Map()
      h.roundVoters.set(round, rv)
    }
    rv.set(voter, w)
  }

  /**
   * Asks `from` for a block this node lacks; while it is still missing, asks again every WANT_RETRY_MS, each
   * time another node known to hold it (a voter for it), at most WANT_ATTEMPTS times: a lost request or answer
   * must not leave the node waiting for the round's re-sends.
   */
  #want(from: string, hash: string, attempt = 0): void {
    const h = this.#h
    const now = this.#now()
    if (attempt === 0 && (now - (h.wanted.get(hash) ?? -Infinity) < WANT_RETRY_MS || h.wanted.size >= MAX_BLOCKS_PER_HEIGHT)) return
    h.wanted.set(hash, now)
    this.#sendTo([from], { t: 'want_block', height: h.height, hash })
    if (attempt + 1 >= WANT_ATTEMPTS) return
    this.#timer(now + WANT_RETRY_MS, () => {
      if (this.#h !== h || h.blocks.has(hash)) return
      const holders = this.#holders(hash)
      this.#want(holders[(attempt + 1) % Math.max(1, holders.length)] ?? from, hash, attempt + 1)
    })
  }

  /** Nodes known to hold a block of the open height: its voters (votes and certificates heard), not this node. */
  #holders(hash: string): string[] {
    const h = this.#h
    const out = new Set<string>()
    for (const tallies of [h.prevotes, h.precommits]) for (const t of tallies.values()) for (const v of t.byHash.get(hash)?.keys() ?? []) out.add(v)
    for (const v of h.pendingCerts.get(hash)?.votes ?? []) out.add(v.voter)
    out.delete(this.id)
    return [...out].sort()
  }

  #onWantBlock(from: string, height: unknown, hash: unknown): void {
    if (typeof height !== 'number' || typeof hash !== 'string') throw new errors.InvalidBlock('malformed block request')
    if (height < this.#h.height) {
      this.#serveLagging(from, height)
      return
    }
    const b = this.#h.blocks.get(hash)
    if (height === this.#h.height && b !== undefined) this.#sendTo([from], { t: 'block', block: b.block })
  }

  #onBlockData(block: Block): void {
    if (block === null || typeof block !== 'object' || block.header?.height !== this.#h.height) return
    const hash = checkedHash(this.ledger.state, block)
    // Only a block this node asked for (a vote or certificate named it): anything else could be any producer's.
    if (!this.#h.wanted.has(hash)) return
    const valid = this.#validBlock(block)
    const cert = this.#h.pendingCerts.get(valid.hash)
    if (cert !== undefined) {
      this.#onCommit('', cert)
      return
    }
    for (const r of this.#h.prevotes.keys()) this.#checkPolka(r)
    for (const [r, t] of this.#h.precommits) if (t.byHash.has(valid.hash)) this.#checkCommit(r, valid.hash)
  }

  /** More than 2/3 prevoted one block in round `r`: it becomes the valid block, and in the current round this node locks and precommits. */
  #checkPolka(r: number): void {
    const h = this.#h
    const t = h.prevotes.get(r)
    if (t === undefined) return
    for (const [hash, w] of t.weight) {
      if (!hasQuorum(h.committee, w) || !h.blocks.has(hash)) continue
      if (h.valid === undefined || r > h.valid.round) {
        h.valid = {
          round: r,
          block_hash: hash,
          pol: sortVotes([...(t.byHash.get(hash) ?? new Map<string, string>())].map(([voter, signature]) => ({ voter, signature })))
        }
        this.#persist()
      }
      if (r === h.round && h.committee.members.has(this.id) && h.height >= this.#floor && (h.precommit === undefined || h.precommit.round < r))
        this.#castVote('precommit', r, hash)
      return
    }
  }

  /** More than 2/3 precommitted `hash` in round `r`: final. */
  #checkCommit(r: number, hash: string): void {
    const h = this.#h
    const t = h.precommits.get(r)
    const w = t?.weight.get(hash) ?? 0
    if (t === undefined || !hasQuorum(h.committee, w)) return
    const valid = h.blocks.get(hash)
    const votes = [...(t.byHash.get(hash) ?? new Map<string, string>())].map(([voter, signature]) => ({ voter, signature }))
    const cert = makeCertificate(h.height, r, hash, votes)
    if (valid === undefined) {
      h.pendingCerts.set(hash, cert)
      return
    }
    this.#finalise(valid, cert, true)
  }

  /** A certificate from a peer (a commit message, or a later block's parent certificate). */
  #onCommit(from: string, cert: Certificate): void {
    if (cert === null || typeof cert !== 'object') throw new errors.InvalidCertificate('malformed certificate')
    const h = this.#h
    if (cert.height !== h.height) {
      if (typeof cert.height === 'number' && cert.height > h.height && from !== '') this.#wantFinal(from)
      return
    }
    if (typeof cert.block_hash !== 'string') throw new errors.InvalidCertificate('malformed certificate')
    const valid = h.blocks.get(cert.block_hash)
    if (valid === undefined) {
      if (h.pendingCerts.size < MAX_BLOCKS_PER_HEIGHT) h.pendingCerts.set(cert.block_hash, cert)
      if (from !== '') this.#want(from, cert.block_hash)
      return
    }
    checkCertificate(cert, h.height, valid.hash, h.committee, this.#sigs)
    this.#finalise(valid, cert, false)
  }

  /** Indexes a final block's transactions for txStatus, dropping the oldest blocks' beyond the bounds. */
  #indexFinal(ids: readonly string[], height: number): void {
    for (const id of ids) this.#finalIndex.set(id, height)
    this.#finalIndexBlocks.push({ height, ids: [...ids] })
    const maxBlocks = Math.max(1, this.#o.finalIndexBlocks ?? DEFAULT_FINAL_INDEX_BLOCKS)
    while (this.#finalIndexBlocks.length > 1 && (this.#finalIndexBlocks.length > maxBlocks || this.#finalIndex.size > MAX_FINAL_INDEX)) {
      const old = this.#finalIndexBlocks.shift() as { height: number; ids: readonly string[] }
      for (const id of old.ids) if (this.#finalIndex.get(id) === old.height) this.#finalIndex.delete(id)
    }
  }

  /**
   * Appends a block that became final, opens the next height, and replays what arrived for it early. A
   * committee member that formed the certificate itself passes it on to the nodes outside the committee (two
   * members each, so that one lost message does not leave a node behind).
   */
  #finalise(valid: ValidBlock, certificate: Certificate, formedHere: boolean): void {
    const prev = this.#h
    if (valid.block.header.height !== prev.height || this.ledger.head().height !== prev.height - 1) return
    const fin = this.ledger.append(valid, certificate)
    this.#finalAt = this.#now()
    if (formedHere) this.#spreadCertificate(prev.committee, certificate)
    this.#indexFinal(valid.txIds, fin.block.header.height)
    this.#verified.blockFinal()
    const slot = this.#slotNow()
    this.#pool.rebase(valid.txIds, this.#blockContext(slot), this.#sigs)
    this.#h = this.#openHeight()
    if (this.#laterRecord?.height === this.#h.height) {
      this.#restore(this.#laterRecord)
      this.#laterRecord = undefined
    }
    const future = this.#future
    this.#future = []
    for (const { from, msg } of future) this.#handle(from, msg)
    if (!this.#running) return
    this.#enterRound(slot)
    this.#tryPropose(slot)
  }

  #spreadCertificate(committee: Committee, certificate: Certificate): void {
    const nodes = this.ledger.state.get('nodes') as Array<[string, number]>
    let memo = this.#spreadMemo
    if (memo === undefined || memo.committee !== committee || memo.nodes !== nodes) {
      memo = { committee, nodes, to: this.#spreadTargets(committee, nodes) }
      this.#spreadMemo = memo
    }
    this.#sendTo(memo.to, { t: 'commit', certificate })
  }

  /** Who a committee member passes certificates on to (a function of the committee and the registered nodes, kept while both stay). */
  #spreadMemo: { readonly committee: Committee; readonly nodes: ReadonlyArray<[string, number]>; readonly to: readonly string[] } | undefined

  #spreadTargets(committee: Committee, nodes: ReadonlyArray<[string, number]>): string[] {
    const members = [...committee.members.keys()].sort()
    const i = members.indexOf(this.id)
    if (i < 0) return []
    const k = members.length
    const others = nodes.map(([n]) => n).filter((n) => !committee.members.has(n))
    return others.filter((_, j) => j % k === i || j % k === (i + 1) % k)
  }
}
