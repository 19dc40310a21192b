/**
 * A PoOT node: produces blocks in its slots, validates and votes for the blocks of others, forms
 * certificates from the committee's votes, keeps a pending pool, and answers anchoring clients with
 * receipts (docs/chain.md, "Node"). Time, timers, signing and the network are all injected, so the same
 * node runs on real timers in the devnet and on a virtual clock in the simulator.
 *
 * Finality discipline: a block is only ever built on a final parent and carries the parent's certificate,
 * so the unfinalised part of the chain is at most one height deep; an honest committee member votes for at
 * most one block per height, and remembers that in a durable VoteStore before the vote leaves it, so that a
 * crash and restart cannot make it sign a second block at a height. Two blocks at one height would each need
 * more than 2/3 of the weight, so with less than 1/3 byzantine weight at most one becomes final, and a final
 * block is never reverted.
 *
 * Liveness of the schedule: every registered node sends one uptime beacon per beacon window (an hour of a
 * daily epoch), the most the uptime rule counts, so an online validator's uptime stays at 1 once the genesis
 * days have left the 7-epoch window, and a validator that is down stops beaconing and, within days, stops
 * being scheduled.
 */
import { errors, isLucidError, type LucidError } from '../common/errors.ts'
import { signTransaction } from './client.ts'
import { fromHex } from '../common/hash.ts'
import { checkCertificate, makeCertificate, signVote } from './certificate.ts'
import { signingMessage } from './encoding.ts'
import { buildBlock } from './produce.ts'
import { Ledger, type FinalBlock } from './ledger.ts'
import { TxPool } from './pool.ts'
import type { BlockContext } from './rules.ts'
import { attemptOf, attemptOpensAfter, beaconWindow, beaconWindowStart, epochInfo, epochOf, hasQuorum, slotAt, slotSchedule, slotStart } from './schedule.ts'
import type { Cancel, Scheduler } from './scheduler.ts'
import { ed25519Verifier, type Signer, type Verifier } from './signer.ts'
import { VerifiedCache, immediateSink, type SignatureSink } from './sink.ts'
import type { MessageHandler, Transport } from './transport.ts'
import { checkedHash, validateBlock, type ValidBlock } from './validate.ts'
import { memoryVoteStore, type VoteRecord, type VoteStore } from './votes.ts'
import type { Block, Genesis, Transaction, Vote } from './types.ts'

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
   * again in its block or certificate (default 200,000, a few tens of MB; the simulator's hundred nodes use
   * a few thousand). Entries also age out after 8 to 16 final blocks (VerifiedCache).
   */
  readonly verifiedCache?: number
  /**
   * Final blocks whose transactions txStatus answers `final` for, newest first (default 8,640, a day of
   * 10 s slots; at most 1,000,000 transactions either way). Older ones answer `unknown`: a caller with an
   * archive (the gateway: its database's transactions) looks them up there.
   */
  readonly finalIndexBlocks?: number
  /**
   * Where this validator records its last vote before sending it (default: in memory, which a restarted
   * process does not have; give a durable one, e.g. fileVoteStore, to a node that can crash and come back).
   */
  readonly votes?: VoteStore
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
  | { readonly status: 'included', readonly height: number, readonly block_hash: string }
  | { readonly status: 'final', readonly height: number }
  | { readonly status: 'unknown' }

/** A block seen by this node, not yet final. */
interface Candidate {
  readonly valid: ValidBlock
  readonly votes: Map<string, string>
  weight: number
  readonly receivedAt: number
}

/** Observes a node (benchmarks, the gateway's API). */
export interface NodeEvents {
  /** A valid block at the next height arrived (or was produced here); `txIds` in block order. */
  candidate?: (block: Block, hash: string, txIds: readonly string[], atMs: number) => void
  /** A block became final here. */
  final?: (fin: FinalBlock, atMs: number) => void
}

type Message = { t: 'block', block: Block } | { t: 'vote', vote: Vote } | { t: 'tx', tx: Transaction }

const MAX_ORPHANS = 64
const MAX_EARLY_VOTE_BLOCKS = 256
const MAX_FINAL_INDEX = 1_000_000
/** A day of 10 s slots. */
const DEFAULT_FINAL_INDEX_BLOCKS = 8640

/** One PoOT node. */
export class ChainNode {
  readonly id: string
  readonly ledger: Ledger
  readonly #o: NodeOptions
  readonly #transport: Transport
  readonly #sigs: SignatureSink
  readonly #pool: TxPool
  readonly #candidates = new Map<string, Candidate>()
  readonly #earlyVotes = new Map<string, Vote[]>()
  readonly #orphans: Block[] = []
  readonly #finalIndex = new Map<string, number>()
  /** The transaction ids of the blocks in #finalIndex, oldest first, to drop them block by block. */
  readonly #finalIndexBlocks: Array<{ readonly height: number, readonly ids: readonly string[] }> = []
  readonly #verified: VerifiedCache
  readonly #timers = new Set<Cancel>()
  readonly #events: NodeEvents[] = []
  readonly #votes: VoteStore
  /** The last vote this key cast, here or before a restart (from #votes). */
  #lastVote: VoteRecord | undefined
  #producedSlot = -1
  #running = false
  /** Messages refused, by error code (what a misbehaving peer sent). */
  readonly rejected = new Map<string, number>()

  constructor (opts: NodeOptions) {
    this.#o = opts
    this.id = opts.signer.publicKey
    this.ledger = opts.ledger ?? new Ledger(opts.genesis, opts.retainBlocks !== undefined ? { retainBlocks: opts.retainBlocks } : {})
    this.#verified = new VerifiedCache(opts.verifiedCache)
    this.#sigs = immediateSink(opts.verifier ?? ed25519Verifier(), this.#verified)
    this.#pool = new TxPool(this.ledger.state, opts.poolLimit)
    this.#votes = opts.votes ?? memoryVoteStore()
    this.#lastVote = this.#votes.last()
    this.#transport = opts.connect(this.id, (from, data) => { this.#onMessage(data) })
    this.ledger.onFinal((fin) => {
      const now = this.#now()
      for (const ev of this.#events) ev.final?.(fin, now)
    })
  }

  /** Subscribes to this node's events. */
  on (events: NodeEvents): void { this.#events.push(events) }

  /** Starts taking part: slot timers from the current slot on. */
  start (): void {
    if (this.#running) return
    this.#running = true
    this.#scheduleSlot(slotAt(this.#o.genesis.genesis_time, this.#o.genesis.params, this.#now()))
  }

  /** Stops timers (messages still arriving are ignored). */
  stop (): void {
    this.#running = false
    for (const c of this.#timers) c()
    this.#timers.clear()
  }

  /** The fork-choice head: the best pending block at the next height, else the last final block. */
  head (): { height: number, hash: string, final: boolean } {
    let best: Candidate | undefined
    for (const c of this.#candidates.values()) {
      if (best === undefined || c.weight > best.weight || (c.weight === best.weight && (c.valid.attempt < best.valid.attempt || (c.valid.attempt === best.valid.attempt && c.valid.hash < best.valid.hash)))) best = c
    }
    if (best !== undefined) return { height: best.valid.block.header.height, hash: best.valid.hash, final: false }
    const h = this.ledger.head()
    return { height: h.height, hash: h.hash, final: true }
  }

  /** Pending transactions. */
  get poolSize (): number { return this.#pool.size }

  /**
   * The last nonce `account` used, counting its transactions pending here: the next one it sends must carry
   * this plus one. What a client re-reads when a submission was refused for its nonce.
   */
  lastNonce (account: string): number { return this.#pool.lastNonce(account) }

  /**
   * Accepts a transaction into the pending pool (validated as if in the next block, signature included) and
   * gossips it; returns at once with a receipt. Throws the LUCID_ERR_5xxx rule it breaks.
   */
  submit (tx: Transaction): Receipt {
    const id = this.#admit(tx)
    this.#transport.broadcast(JSON.stringify({ t: 'tx', tx } satisfies Message))
    return { tx_id: id, accepted_at: this.#now() }
  }

  /** Where a transaction is: pending, in a block awaiting finality, final, or unknown here. */
  txStatus (id: string): TxStatus {
    const height = this.#finalIndex.get(id)
    if (height !== undefined) return { status: 'final', height }
    for (const c of this.#candidates.values()) {
      if (c.valid.txIds.includes(id)) return { status: 'included', height: c.valid.block.header.height, block_hash: c.valid.hash }
    }
    return this.#pool.has(id) ? { status: 'pending' } : { status: 'unknown' }
  }

  #now (): number { return this.#o.scheduler.clock.now() }

  #timer (at: number, fn: () => void): void {
    const cancel = this.#o.scheduler.at(at, () => { this.#timers.delete(cancel); if (this.#running) fn() })
    this.#timers.add(cancel)
  }

  // One timer per attempt window of every slot; whether this node holds that attempt is decided when the
  // window opens, from the final chain as it is then.
  #scheduleSlot (slot: number): void {
    const { genesis_time: g, params } = this.#o.genesis
    const start = slotStart(g, params, slot)
    // The beacon check rides on the slot-start timer (no timer of its own: a hundred nodes' extra timer each
    // slot cost the simulator more events than the beacons themselves), before producing, so that a leader's
    // own beacon can go in its block.
    const beacons = this.#o.uptimeBeacons !== false
    for (let a = 0; a <= params.fallback_attempts; a++) {
      this.#timer(start + attemptOpensAfter(params, a), () => {
        if (a === 0 && beacons) this.#beacon(slot)
        this.#tryProduce(slot)
      })
    }
    this.#timer(start + params.slot_ms, () => { this.#scheduleSlot(slot + 1) })
  }

  #blockContext (slot: number): BlockContext {
    const head = this.ledger.head()
    return { height: head.height + 1, slot, epoch: epochOf(this.#o.genesis.params, slot), timestamp: this.#now() }
  }

  #admit (tx: Transaction): string {
    const { genesis_time: g, params } = this.#o.genesis
    return this.#pool.admit(tx, this.#blockContext(slotAt(g, params, this.#now())), this.#sigs)
  }

  /**
   * Sends this node's uptime beacon for the slot's beacon window unless the final chain or the pool already
   * holds one. One per window is exactly what the uptime rule counts: fewer would understate an online
   * node's uptime, more would be refused. Each node sends at its own offset into the first half of the
   * window (from its key), so a hundred nodes' beacons spread over the window instead of all landing in one
   * block, and the second half is left for retries: a beacon dropped from the pool (an epoch boundary, a
   * full pool) is sent again at the next slot while the window lasts. The beacon is an ordinary signed
   * task_proof through submit, so the pool and every block check it with the same rules as any other.
   */
  #beacon (slot: number): void {
    const params = this.#o.genesis.params
    const w = beaconWindow(params, slot)
    const first = beaconWindowStart(params, w)
    const spread = Math.max(1, Math.floor((beaconWindowStart(params, w + 1) - first) / 2))
    if (slot < first + (Number.parseInt(this.id.slice(0, 8), 16) % spread)) return
    if (this.#pool.view(`bh/${this.id}/${w}`) !== undefined) return
    // Only registered nodes earn credits; another key's beacon would only be refused.
    if (!(this.#pool.view('nodes') as Array<[string, number]>).some(([n]) => n === this.id)) return
    const tx = signTransaction(this.#o.signer, { type: 'task_proof', nonce: this.#pool.lastNonce(this.id) + 1, timestamp: this.#now(), payload: { kind: 'uptime_beacon', slot } })
    try {
      this.submit(tx)
    } catch (err) {
      // Refused now (e.g. a full pool): the next slot of the window tries again.
      if (!isLucidError(err)) throw err
    }
  }

  #tryProduce (slot: number): void {
    const { genesis } = this.#o
    const params = genesis.params
    const now = this.#now()
    const start = slotStart(genesis.genesis_time, params, slot)
    if (now >= start + params.slot_ms || this.#producedSlot >= slot) return
    const head = this.ledger.head()
    // A pending block waits for its certificate: its voters will not vote for a rival at the same height.
    if (head.slot >= slot || this.#candidates.size > 0) return
    const epoch = epochOf(params, slot)
    const schedule = slotSchedule(epochInfo(this.ledger.state, epoch), params, slot, this.ledger.state.get('recent') as Array<[number, string]>)
    if (schedule === undefined) return
    const attempt = attemptOf(schedule, params, this.id)
    if (attempt < 0 || now < start + attemptOpensAfter(params, attempt)) return
    this.#producedSlot = slot
    const block = this.#build(slot, epoch, Math.max(now, start + attemptOpensAfter(params, attempt)))
    this.#transport.broadcast(JSON.stringify({ t: 'block', block } satisfies Message))
    this.#onBlock(block)
  }

  #build (slot: number, epoch: number, timestamp: number): Block {
    const head = this.ledger.head()
    const parentCertificate = head.height === 0 ? null : (this.ledger.at(head.height) as FinalBlock).certificate
    const ctx: BlockContext = { height: head.height + 1, slot, epoch, timestamp }
    return buildBlock(this.ledger.state, this.#o.signer, ctx, parentCertificate, [...this.#pool.pending()].map(([, tx]) => tx), this.#sigs)
  }

  #onMessage (data: string): void {
    if (!this.#running) return
    let msg: Message
    try {
      msg = JSON.parse(data) as Message
    } catch {
      this.#reject('LUCID_ERR_5001')
      return
    }
    try {
      if (msg.t === 'block') this.#onBlock(msg.block)
      else if (msg.t === 'vote') this.#onVote(msg.vote)
      else if (msg.t === 'tx') this.#admit(msg.tx)
    } catch (err) {
      // A peer's invalid message is counted and dropped; a bug in this node is not swallowed.
      if (!isLucidError(err)) throw err
      this.#reject((err as LucidError).code)
    }
  }

  #reject (code: string): void { this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1) }

  #onBlock (block: Block): void {
    const state = this.ledger.state
    const hash = checkedHash(state, block)
    const head = this.ledger.head()
    const height = block.header.height
    if (height <= head.height || this.#candidates.has(hash)) return
    if (height === head.height + 2) {
      // The block carries its parent's certificate: if the parent is one of ours, that finalises it.
      const parent = this.#candidates.get(block.header.previous_hash)
      if (parent !== undefined && block.parent_certificate !== null) {
        checkCertificate(block.parent_certificate, parent.valid.block.header.height, parent.valid.hash, epochInfo(state, parent.valid.block.header.epoch).committee, this.#sigs)
        this.#finalise(parent, block.parent_certificate)
      }
    }
    if (block.header.height !== this.ledger.head().height + 1) {
      if (this.#orphans.length >= MAX_ORPHANS) this.#orphans.shift()
      this.#orphans.push(block)
      return
    }
    const valid = validateBlock(this.ledger.state, block, { sigs: this.#sigs, now: this.#now() })
    const c: Candidate = { valid, votes: new Map(), weight: 0, receivedAt: this.#now() }
    this.#candidates.set(hash, c)
    for (const ev of this.#events) ev.candidate?.(block, hash, valid.txIds, c.receivedAt)
    const committee = epochInfo(this.ledger.state, block.header.epoch).committee
    if (committee.members.has(this.id) && this.#mayVote(height, hash)) {
      if (this.#lastVote === undefined || height > this.#lastVote.height) {
        // Durable before the vote exists outside this function: once a peer may hold it, a restart must
        // know it. A store that cannot record throws, and the node stops rather than vote unrecorded.
        const record = { height, block_hash: hash }
        this.#votes.record(record)
        this.#lastVote = record
      }
      const vote = signVote(this.#o.signer, height, hash)
      this.#transport.broadcast(JSON.stringify({ t: 'vote', vote } satisfies Message))
      this.#count(c, vote)
    }
    const early = this.#earlyVotes.get(hash)
    this.#earlyVotes.delete(hash)
    for (const v of early ?? []) {
      if (this.#candidates.get(hash) !== c) break
      try { this.#onVote(v) } catch (err) { if (!isLucidError(err)) throw err; this.#reject(err.code) }
    }
  }

  /**
   * Votes only above the last recorded height, or again for the very block recorded there (after a restart
   * that block may come back; the same signature twice is no second vote, and it can still help finalise it).
   */
  #mayVote (height: number, hash: string): boolean {
    const last = this.#lastVote
    return last === undefined || height > last.height || (height === last.height && hash === last.block_hash)
  }

  #onVote (vote: Vote): void {
    if (vote === null || typeof vote !== 'object' || typeof vote.block_hash !== 'string' || typeof vote.voter !== 'string' || typeof vote.signature !== 'string' || !/^[0-9a-f]{128}$/.test(vote.signature)) {
      this.#reject('LUCID_ERR_5015')
      return
    }
    if (vote.height <= this.ledger.head().height) return
    const c = this.#candidates.get(vote.block_hash)
    if (c === undefined) {
      // Votes can overtake their block; keep a bounded number of blocks' worth.
      const list = this.#earlyVotes.get(vote.block_hash) ?? []
      if (list.length === 0 && this.#earlyVotes.size >= MAX_EARLY_VOTE_BLOCKS) return
      list.push(vote)
      this.#earlyVotes.set(vote.block_hash, list)
      return
    }
    this.#count(c, vote)
  }

  #count (c: Candidate, vote: Vote): void {
    if (c.votes.has(vote.voter) || vote.height !== c.valid.block.header.height) return
    const committee = epochInfo(this.ledger.state, c.valid.block.header.epoch).committee
    const w = committee.members.get(vote.voter)
    if (w === undefined) { this.#reject('LUCID_ERR_5015'); return }
    if (vote.voter !== this.id) {
      this.#sigs.check(vote.voter, signingMessage('LUCID-VOTE-V1', fromHex(c.valid.hash)), vote.signature, () => new errors.LUCID_ERR_5015(`vote of ${vote.voter} for ${vote.block_hash} has a bad signature`))
    }
    c.votes.set(vote.voter, vote.signature)
    c.weight += w
    if (hasQuorum(committee, c.weight)) {
      this.#finalise(c, makeCertificate(c.valid.block.header.height, c.valid.hash, [...c.votes].map(([voter, signature]) => ({ voter, signature }))))
    }
  }

  /** Indexes a final block's transactions for txStatus, dropping the oldest blocks' beyond the bounds. */
  #indexFinal (ids: readonly string[], height: number): void {
    for (const id of ids) this.#finalIndex.set(id, height)
    this.#finalIndexBlocks.push({ height, ids: [...ids] })
    const maxBlocks = Math.max(1, this.#o.finalIndexBlocks ?? DEFAULT_FINAL_INDEX_BLOCKS)
    while (this.#finalIndexBlocks.length > 1 && (this.#finalIndexBlocks.length > maxBlocks || this.#finalIndex.size > MAX_FINAL_INDEX)) {
      const old = this.#finalIndexBlocks.shift() as { height: number, ids: readonly string[] }
      for (const id of old.ids) if (this.#finalIndex.get(id) === old.height) this.#finalIndex.delete(id)
    }
  }

  #finalise (c: Candidate, certificate: ReturnType<typeof makeCertificate>): void {
    if (this.#candidates.get(c.valid.hash) !== c) return
    const fin = this.ledger.append(c.valid, certificate)
    this.#candidates.clear()
    this.#indexFinal(c.valid.txIds, fin.block.header.height)
    this.#verified.blockFinal()
    const { genesis_time: g, params } = this.#o.genesis
    const slot = slotAt(g, params, this.#now())
    this.#pool.rebase(c.valid.txIds, this.#blockContext(slot), this.#sigs)
    for (const [hash, votes] of this.#earlyVotes) if ((votes[0]?.height ?? 0) <= fin.block.header.height) this.#earlyVotes.delete(hash)
    // Blocks that arrived ahead of their parent may now connect.
    const waiting = this.#orphans.splice(0)
    for (const b of waiting) {
      try { this.#onBlock(b) } catch (err) { if (!isLucidError(err)) throw err; this.#reject(err.code) }
    }
    if (this.#running) this.#tryProduce(slot)
  }
}
