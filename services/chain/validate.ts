/**
 * Block validation (docs/chain.md, "Validation"): every rule a block must pass to be voted for, synced or
 * exported, each rejection with its LUCID_ERR_5xxx code. Cheap structural checks run first, then the
 * producer's signature (one verification rejects a forged block before its transactions cost anything),
 * then the transactions, then the commitments that need their ids.
 */
import { errors, type LucidError } from '../common/errors.ts'
import { deepFreeze, isShared, memoShared } from '../common/frozen.ts'
import { fromHex } from '../common/hash.ts'
import { checkCertificate, headCommittee } from './certificate.ts'
import { blockBytes, blockHash, blockMerkleRoot, signingMessage } from './encoding.ts'
import { creditParams } from './params.ts'
import { applyTx, blockAnchors, type BlockContext } from './rules.ts'
import { attemptOf, attemptOpensAfter, epochInfo, epochOf, slotSchedule, slotStart, type Committee } from './schedule.ts'
import type { SignatureSink } from './sink.ts'
import { ChainState, StateDelta, intAt, type Head, type StateBase, type StateView } from './state.ts'
import type { Anchor, Block, BlockHeader, Certificate, Json, Transaction } from './types.ts'

/** A block that passed validation against a final state. */
export interface ValidBlock {
  readonly block: Block
  readonly hash: string
  /** 0 = the slot's leader, k = its k-th fallback. */
  readonly attempt: number
  /** The state writes the block makes; committed when it becomes final. */
  readonly delta: StateDelta
  readonly txIds: readonly string[]
}

/** Options of validateBlock. */
export interface ValidateOptions {
  /** Where signatures are checked. */
  readonly sigs: SignatureSink
  /** The validating node's clock (ms since the epoch): a block from its future is refused. Omitted in sync. */
  readonly now?: number
}

/** By shared (deep-frozen) header: the message the producer signs (read, never written). */
const BLOCK_MESSAGES = new WeakMap<BlockHeader, Uint8Array>()
/** By shared transaction list: its session anchors and the Merkle root over it. */
const TX_LIST_ROOTS = new WeakMap<readonly Transaction[], { readonly anchors: readonly Anchor[]; readonly root: string }>()

const HEADER_FIELDS = ['anchor_count', 'chain_id', 'epoch', 'height', 'merkle_root', 'previous_hash', 'producer', 'slot', 'timestamp', 'tx_count']
const BLOCK_FIELDS = ['anchors', 'header', 'parent_certificate', 'signature', 'transactions']
const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/

/** The block hash of a shape-checked block. Throws LUCID_ERR_5001 for a malformed one. */
export function checkedHash(state: StateBase, block: Block): string {
  // A shared (deep-frozen) block passes the same shape check for the same chain id every time: once.
  if (SHAPED.get(block) !== state.genesis.chain_id) {
    checkShape(state, block)
    if (isShared(block)) SHAPED.set(block, state.genesis.chain_id)
  }
  return blockHash(block.header)
}

/** Shared blocks whose shape passed, with the chain id it was checked against. */
const SHAPED = new WeakMap<Block, string>()

/**
 * Validates `block` as the child of `state`'s head (the final state, or a delta of blocks validated before it
 * in a sync batch); throws the first rule it breaks.
 */
export function validateBlock(state: ChainState | StateDelta, block: Block, opts: ValidateOptions): ValidBlock {
  return state instanceof ChainState && isShared(block) ? validateShared(state, block, opts) : validateOnce(state, block, opts)
}

/** A signature check a validation made, to make again through another node's sink. */
type SignatureCheck = readonly [publicKey: string, message: Uint8Array, signature: string, fail: () => LucidError]

/** What a shared block's validation against a final state of one lineage found (it passed). */
interface Validation {
  readonly hash: string
  readonly attempt: number
  readonly txIds: readonly string[]
  /** Deep-frozen values, shared read-only by every delta made from it. */
  readonly writes: ReadonlyMap<string, Json>
  readonly checks: readonly SignatureCheck[]
}

/** By shared block, then by the lineage of the final state it was validated against. */
const VALIDATIONS = new WeakMap<Block, Map<number, Validation>>()

/**
 * validateOnce for a shared (deep-frozen) block against a final state, once per state lineage in the process:
 * the nodes of a simulation (or an in-process devnet) whose final states are equal validate each proposal
 * alike. Everything validation decides is a pure function of the state and the block but two things, which
 * are done again for each node: the clock check (`opts.now`) and the signature checks, made through the
 * node's own sink in the same order, so that each node verifies (and is charged for) exactly what it would
 * have been, its verified cache included. Then the node gets a delta of its own holding the same writes
 * (deep-frozen: shared by the states that take them). Only validations that passed are remembered.
 */
function validateShared(state: ChainState, block: Block, opts: ValidateOptions): ValidBlock {
  const lineage = state.lineage
  const hit = VALIDATIONS.get(block)?.get(lineage)
  if (hit !== undefined) {
    const h = block.header
    // Every rule checked before the clock in validateOnce passed for this state: the clock comes first here.
    if (opts.now !== undefined && h.timestamp > opts.now + state.genesis.params.max_clock_skew_ms)
      throw new errors.SlotOrTimestampOutOfBounds(`timestamp ${h.timestamp} is in the future (now ${opts.now})`)
    for (const [publicKey, message, signature, fail] of hit.checks) opts.sigs.check(publicKey, message, signature, fail)
    const delta = new StateDelta(state, hit.writes)
    return { block, hash: hit.hash, attempt: hit.attempt, delta, txIds: hit.txIds }
  }
  const checks: SignatureCheck[] = []
  const valid = validateOnce(state, block, {
    ...opts,
    sigs: {
      check(publicKey, message, signature, fail) {
        opts.sigs.check(publicKey, message, signature, fail)
        checks.push([publicKey, message, signature, fail])
      }
    }
  })
  let byLineage = VALIDATIONS.get(block)
  if (byLineage === undefined) {
    byLineage = new Map()
    VALIDATIONS.set(block, byLineage)
  }
  // A block is validated against the one or two final states around its height: a few lineages at most.
  if (byLineage.size >= 8) byLineage.clear()
  byLineage.set(lineage, {
    hash: valid.hash,
    attempt: valid.attempt,
    txIds: valid.txIds,
    writes: new Map([...valid.delta.writes()].map(([k, v]) => [k, deepFreeze(v)] as const)),
    checks
  })
  return valid
}

function validateOnce(state: ChainState | StateDelta, block: Block, opts: ValidateOptions): ValidBlock {
  const params = state.genesis.params
  const hash = checkedHash(state, block)
  const h = block.header
  const head = state.get('head') as unknown as Head
  if (h.height !== head.height + 1) throw new errors.NotOnFinalChain(`height ${h.height} after final height ${head.height}`)
  if (h.previous_hash !== head.hash) throw new errors.NotOnFinalChain(`previous hash ${h.previous_hash} is not the final head ${head.hash}`)
  if (h.slot <= head.slot) throw new errors.SlotOrTimestampOutOfBounds(`slot ${h.slot} is not after the parent's slot ${head.slot}`)
  if (h.epoch !== epochOf(params, h.slot)) throw new errors.InvalidBlock(`epoch ${h.epoch} is not the epoch of slot ${h.slot}`)

  const info = epochInfo(state, h.epoch)
  const schedule = slotSchedule(info, params, h.slot, state.get('recent') as Array<[number, string]>, (state.get('head') as unknown as { slot: number }).slot)
  const attempt = schedule === undefined ? -1 : attemptOf(schedule, params, h.producer)
  if (schedule === undefined || attempt < 0) throw new errors.WrongLeader(`${h.producer} in slot ${h.slot} (leader ${schedule?.leader ?? 'none'})`)

  const start = slotStart(state.genesis.genesis_time, params, h.slot)
  const opens = start + attemptOpensAfter(params, attempt)
  if (h.timestamp < opens) {
    if (attempt > 0) throw new errors.FallbackTooEarly(`fallback ${attempt} of slot ${h.slot} sealed at ${h.timestamp}, its window opens at ${opens}`)
    throw new errors.SlotOrTimestampOutOfBounds(`timestamp ${h.timestamp} before slot ${h.slot} starts at ${start}`)
  }
  if (h.timestamp >= start + params.slot_ms) throw new errors.SlotOrTimestampOutOfBounds(`timestamp ${h.timestamp} after slot ${h.slot} ended`)
  if (opts.now !== undefined && h.timestamp > opts.now + params.max_clock_skew_ms)
    throw new errors.SlotOrTimestampOutOfBounds(`timestamp ${h.timestamp} is in the future (now ${opts.now})`)

  let voters: Committee | undefined
  if (h.height === 1) {
    if (block.parent_certificate !== null) throw new errors.InvalidCertificate('block 1 carries no parent certificate (genesis is final)')
  } else {
    if (block.parent_certificate === null) throw new errors.CertificateShortOfQuorum(`block ${h.height} carries no certificate of its parent`)
    voters = headCommittee(state, block.parent_certificate)
    checkCertificate(block.parent_certificate, head.height, head.hash, voters, opts.sigs)
  }

  if (h.tx_count > params.max_block_txs) throw new errors.BlockOverLimits(`${h.tx_count} transactions, at most ${params.max_block_txs}`)
  const bytes = blockBytes(block)
  if (bytes > params.max_block_bytes) throw new errors.BlockOverLimits(`${bytes} bytes, at most ${params.max_block_bytes}`)

  opts.sigs.check(
    h.producer,
    memoShared(BLOCK_MESSAGES, h, () => signingMessage('LUCID-BLOCK-V1', fromHex(hash))),
    block.signature,
    () => new errors.BadBlockSignature(`block ${hash} is not signed by ${h.producer}`)
  )

  const delta = new StateDelta(state)
  const ctx: BlockContext = { height: h.height, slot: h.slot, epoch: h.epoch, timestamp: h.timestamp }
  const txIds = block.transactions.map((tx) => applyTx(delta, tx, ctx, opts.sigs))
  // The anchors and the root are pure functions of the transactions (the ids are theirs): once per shared list.
  const { anchors, root } = memoShared(TX_LIST_ROOTS, block.transactions, (txs) => {
    const { anchors, dataAnchors } = blockAnchors(txs)
    return { anchors, root: blockMerkleRoot(txIds, anchors, dataAnchors) }
  })
  if (!sameAnchors(anchors, block.anchors)) throw new errors.BlockContentsMismatch('the anchors are not those of the session_anchor transactions')
  if (root !== h.merkle_root) throw new errors.BlockContentsMismatch(`computed ${root}, header says ${h.merkle_root}`)
  creditConsensus(delta, h, block.parent_certificate, voters)
  applyBlockMeta(delta, h, hash, failedLeaders(state, h, schedule.leader, attempt))
  return { block, hash, attempt, delta, txIds }
}

/**
 * Consensus credits of a final block (docs/chain.md, "Credits"): `produce_credits` to its producer and
 * `vote_credits` split among the voters of the parent certificate it carries, by their committee weight (rounded
 * down). Counted from the certificate on chain, which every node verified, never from certificates exported or
 * gossiped (another valid vote set of the same block could credit other voters). By weight, not per voter, so
 * that a member split into many identities earns no more than it would whole.
 */
function creditConsensus(view: StateView, h: BlockHeader, cert: Certificate | null, committee: Committee | undefined): void {
  const c = creditParams(view.genesis.params)
  const keys = consensusKeys(h.epoch)
  let sum = 0
  const credit = (node: string, credits: number): void => {
    if (credits === 0) return
    const k = keys.of(node)
    view.set(k, intAt(view, k) + credits)
    sum += credits
  }
  credit(h.producer, c.produce_credits)
  if (cert !== null && committee !== undefined && committee.total > 0)
    for (const v of cert.votes) {
      const w = committee.members.get(v.voter) ?? 0
      const product = c.vote_credits * w
      credit(
        v.voter,
        Number.isSafeInteger(product) ? Math.floor(product / committee.total) : Number((BigInt(c.vote_credits) * BigInt(w)) / BigInt(committee.total))
      )
    }
  if (sum > 0) view.set(keys.total, intAt(view, keys.total) + sum)
}

/**
 * The state keys of an epoch's consensus credits (`c/<epoch>/<node>`, `c/<epoch>`), one string object per key
 * across the nodes of a process: every node credits the same voters block after block, and a Map lookup with the
 * very string it saw before skips re-hashing a freshly built 70-character key (they were ~9 % of a simulated day).
 * Bounded: the latest few epochs.
 */
function consensusKeys(epoch: number): { readonly total: string; of(node: string): string } {
  let hit = CONSENSUS_KEYS.get(epoch)
  if (hit === undefined) {
    if (CONSENSUS_KEYS.size >= 4) CONSENSUS_KEYS.clear()
    const total = `c/${epoch}`
    const byNode = new Map<string, string>()
    hit = {
      total,
      of(node) {
        let k = byNode.get(node)
        if (k === undefined) {
          if (byNode.size >= 4096) byNode.clear()
          k = `${total}/${node}`
          byNode.set(node, k)
        }
        return k
      }
    }
    CONSENSUS_KEYS.set(epoch, hit)
  }
  return hit
}

const CONSENSUS_KEYS = new Map<number, { readonly total: string; of(node: string): string }>()

/**
 * The leaders whose rounds of this height ended without their block (docs/chain.md, "Leader schedule"): the
 * leader of every earlier slot of the height, and of the block's own slot when a fallback produced it, within
 * the cooldown window. They cool down as producers do, so that a leader that is down, cut off or equivocating
 * (whose blocks never become final, and which would otherwise never leave the front of the order) does not lead
 * the next heights too. A pure function of the parent state and the header, like the schedule.
 */
function failedLeaders(state: ChainState | StateDelta, h: BlockHeader, leader: string, attempt: number): Array<[number, string]> {
  const params = state.genesis.params
  const head = state.get('head') as unknown as Head
  const recent = state.get('recent') as Array<[number, string]>
  const out: Array<[number, string]> = []
  for (let t = Math.max(head.slot + 1, h.slot - params.cooldown_slots + 1); t < h.slot; t++) {
    const s = slotSchedule(epochInfo(state, epochOf(params, t)), params, t, recent, head.slot)
    if (s !== undefined) out.push([t, s.leader])
  }
  if (attempt > 0) out.push([h.slot, leader])
  return out
}

/**
 * Records a final block's bookkeeping in the state: head, recent producers (and the leaders whose rounds of the
 * height failed, `failed`), height index, epoch seeds.
 */
export function applyBlockMeta(view: StateView, h: BlockHeader, hash: string, failed: ReadonlyArray<readonly [number, string]> = []): void {
  const params = view.genesis.params
  const prev = view.get('head') as unknown as Head
  for (let e = prev.epoch + 1; e <= h.epoch; e++) view.set(`eb/${e}`, prev.hash)
  view.set(`h/${h.height}`, [hash, h.epoch])
  const recent = (view.get('recent') as Array<[number, string]>).filter(([s]) => s > h.slot - params.cooldown_slots)
  view.set('recent', [...recent, ...failed.map(([s, n]) => [s, n] as [number, string]), [h.slot, h.producer]])
  // The committee that votes on this block is the one of the epoch its height opened in (after the parent's slot).
  const head: Head = { height: h.height, hash, slot: h.slot, epoch: h.epoch, timestamp: h.timestamp, vote_epoch: epochOf(params, prev.slot + 1) }
  view.set('head', head as unknown as Json)
}

function checkShape(state: StateBase, block: Block): void {
  if (block === null || typeof block !== 'object' || !sameKeys(block, BLOCK_FIELDS))
    throw new errors.InvalidBlock(`a block has exactly the fields ${BLOCK_FIELDS.join(', ')}`)
  const h = block.header
  if (h === null || typeof h !== 'object' || !sameKeys(h, HEADER_FIELDS))
    throw new errors.InvalidBlock(`a header has exactly the fields ${HEADER_FIELDS.join(', ')}`)
  for (const k of ['height', 'slot', 'epoch', 'timestamp', 'tx_count', 'anchor_count'] as const) {
    if (typeof h[k] !== 'number' || !Number.isSafeInteger(h[k]) || h[k] < 0) throw new errors.InvalidBlock(`header ${k} must be a non-negative integer`)
  }
  for (const k of ['previous_hash', 'producer', 'merkle_root'] as const) {
    if (typeof h[k] !== 'string' || !HEX64.test(h[k])) throw new errors.InvalidBlock(`header ${k} must be 64 lower-case hex digits`)
  }
  if (h.chain_id !== state.genesis.chain_id) throw new errors.InvalidBlock(`chain id ${String(h.chain_id)} is not ${state.genesis.chain_id}`)
  if (typeof block.signature !== 'string' || !HEX128.test(block.signature)) throw new errors.InvalidBlock('signature must be 128 lower-case hex digits')
  if (!Array.isArray(block.transactions) || !Array.isArray(block.anchors)) throw new errors.InvalidBlock('transactions and anchors must be arrays')
  if (h.tx_count !== block.transactions.length) throw new errors.InvalidBlock(`tx_count ${h.tx_count} but ${block.transactions.length} transactions`)
  if (h.anchor_count !== block.anchors.length) throw new errors.InvalidBlock(`anchor_count ${h.anchor_count} but ${block.anchors.length} anchors`)
}

function sameKeys(o: object, want: readonly string[]): boolean {
  const keys = Object.keys(o).sort()
  return keys.length === want.length && keys.every((k, i) => k === want[i])
}

function sameAnchors(a: readonly Anchor[], b: readonly Anchor[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i]
      return (
        y !== null &&
        typeof y === 'object' &&
        Object.keys(y).length === 3 &&
        x.session_id === y.session_id &&
        x.manifest_hash === y.manifest_hash &&
        x.merkle_root === y.merkle_root
      )
    })
  )
}
