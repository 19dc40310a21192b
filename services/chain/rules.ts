/**
 * Transaction rules: shape, replay protection and the state transition of each type (docs/chain.md,
 * "Transactions"). Signatures are not checked here but handed to a SignatureSink, so live validation can
 * verify at once while sync collects them for the worker threads.
 */
import { errors } from '../common/errors.ts'
import { isShared, memoShared } from '../common/frozen.ts'
import { fromHex } from '../common/hash.ts'
import { receiptMessage, taskProof } from './credits.ts'
import { labelProblem, submittedAtProblem } from './label.ts'
import { anchorRules, creditParams } from './params.ts'
import { signingMessage, txId, voteHash } from './encoding.ts'
import { beaconWindow, epochInfo, epochOf } from './schedule.ts'
import type { SignatureSink } from './sink.ts'
import { intAt, type StateView } from './state.ts'
import { TX_TYPES, type Anchor, type ChainParams, type DataAnchor, type Json, type Transaction } from './types.ts'

/** The block a transaction is being applied in. */
export interface BlockContext {
  readonly height: number
  readonly slot: number
  readonly epoch: number
  readonly timestamp: number
}

const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/
const MAX_DEPTH = 8

/**
 * Checks `tx` against the state and applies it to `view`; returns its id. The signature goes to `sigs`.
 * Throws InvalidTransaction (LUCID_ERR_5002: malformed or not allowed), SlotOrTimestampOutOfBounds (5011: its
 * timestamp ahead of its block's), TransactionReplayed (5012: a nonce or a once-only record used again).
 */
export function applyTx(view: StateView, tx: Transaction, block: BlockContext, sigs: SignatureSink): string {
  checkShape(view, tx)
  const params = view.genesis.params
  if (tx.timestamp > block.timestamp + params.max_clock_skew_ms)
    throw new errors.SlotOrTimestampOutOfBounds(`transaction timestamp ${tx.timestamp} is ahead of its block (${block.timestamp})`)
  const id = txId(tx)
  sigs.check(
    tx.from,
    memoShared(TX_MESSAGES, tx, () => signingMessage('LUCID-TX-V1', fromHex(id))),
    tx.signature,
    () => new errors.BadTransactionSignature(`transaction ${id} is not signed by ${tx.from}`)
  )

  const last = intAt(view, `n/${tx.from}`)
  if (tx.nonce <= last) throw new errors.TransactionReplayed(`transaction ${id}: nonce ${tx.nonce} of ${tx.from} already used`)
  if (tx.nonce !== last + 1) throw new errors.InvalidTransaction(`transaction ${id}: nonce ${tx.nonce} skips ahead of ${last + 1}`)
  view.set(`n/${tx.from}`, tx.nonce)

  const p = tx.payload as { [k: string]: Json }
  switch (tx.type) {
    case 'session_anchor': {
      const a = anchorOf(tx)
      checkName(params, 'session_anchor: session_id', a.session_id)
      if (view.get(`a/${a.session_id}`) !== undefined) throw new errors.TransactionReplayed(`session ${a.session_id} is already anchored`)
      view.set(`a/${a.session_id}`, block.height)
      // The owner and declared size bound the service work its receipts can credit (docs/chain.md, "Credits").
      const size = p.size_bytes
      if (size !== undefined) {
        const most = creditParams(params).max_session_bytes
        if (!isUint(size) || size < 1 || size > most) throw new errors.InvalidTransaction(`session_anchor: size_bytes must be an integer in 1..${most}`)
        view.set(`ao/${a.session_id}`, [tx.from, size])
      }
      break
    }
    case 'data_anchor': {
      // A public timestamp: it writes no state of its own (only the sender's nonce), so whatever its label
      // it cannot touch a/<session_id>, the key that makes a session's anchor unique.
      const d = dataAnchorOf(tx)
      checkName(params, 'data_anchor: label', d.label)
      if (anchorRules(params) >= 2) {
        const problem = submittedAtProblem(d.submitted_at, tx.timestamp, params.max_clock_skew_ms)
        if (problem !== undefined) throw new errors.InvalidTransaction(`data_anchor: ${problem}`)
      } else if (d.submitted_at > tx.timestamp + params.max_clock_skew_ms) {
        throw new errors.InvalidTransaction(`data_anchor: submitted_at ${d.submitted_at} is after the transaction's timestamp ${tx.timestamp}`)
      }
      break
    }
    case 'node_registration': {
      fieldsOnly(p, ['endpoint'])
      if (typeof p.endpoint !== 'string' || p.endpoint.length > 256)
        throw new errors.InvalidTransaction('node_registration: endpoint must be a string of at most 256 characters')
      const nodes = view.get('nodes') as Array<[string, number]>
      if (nodes.some(([n]) => n === tx.from)) throw new errors.TransactionReplayed(`node ${tx.from} is already registered`)
      const added: Array<[string, number]> = [...nodes, [tx.from, block.epoch]]
      view.set(
        'nodes',
        added.sort((x, y) => (x[0] < y[0] ? -1 : 1))
      )
      break
    }
    case 'task_proof': {
      requireNode(view, tx.from)
      const proof = taskProof(tx.payload)
      if (proof.slot > block.slot || epochOf(params, proof.slot) !== block.epoch)
        throw new errors.InvalidTransaction(`task_proof: slot ${proof.slot} is not in the block's epoch up to its slot`)
      if (view.get(`p/${proof.slot}/${tx.from}`) !== undefined)
        throw new errors.TransactionReplayed(`task proof of ${tx.from} for slot ${proof.slot} already recorded`)
      view.set(`p/${proof.slot}/${tx.from}`, 1)
      if (proof.kind === 'uptime_beacon') {
        // One per node and beacon window (1/24 of an epoch: an hour of a daily epoch), the most the uptime counts.
        // A beacon proves liveness only, which anyone can sign for any number of keys: it earns no credits.
        const w = beaconWindow(params, proof.slot)
        if (view.get(`bh/${tx.from}/${w}`) !== undefined)
          throw new errors.TransactionReplayed(`uptime beacon of ${tx.from} for beacon window ${w} already recorded`)
        view.set(`bh/${tx.from}/${w}`, 1)
        view.set(`b/${block.epoch}/${tx.from}`, intAt(view, `b/${block.epoch}/${tx.from}`) + 1)
        break
      }
      // Service work: the receipt of the anchored session's owner, within what the session declared, shared by
      // every node that claims work on it (so one session's bytes earn once per kind, however many identities
      // claim them).
      const owned = view.get(`ao/${proof.session_id}`) as [string, number] | undefined
      if (owned === undefined)
        throw new errors.InvalidTransaction(`task_proof ${proof.kind}: session ${proof.session_id} is not anchored on chain with a size_bytes`)
      const [owner, size] = owned
      if (owner === tx.from) throw new errors.InvalidTransaction(`task_proof ${proof.kind}: a node cannot receipt its own session's work`)
      const used = intAt(view, `sb/${proof.kind}/${proof.session_id}`)
      if (used + proof.bytes > size)
        throw new errors.InvalidTransaction(
          `task_proof ${proof.kind}: ${proof.bytes} bytes more than the ${size - used} left of session ${proof.session_id}'s ${size}`
        )
      sigs.check(
        owner,
        receiptMessage(proof.kind, tx.from, proof.session_id, proof.bytes),
        proof.receipt,
        () => new errors.BadTransactionSignature(`task_proof ${id}: the receipt is not signed by ${owner}, the owner of session ${proof.session_id}`)
      )
      view.set(`sb/${proof.kind}/${proof.session_id}`, used + proof.bytes)
      addCredits(view, `s/${block.epoch}`, tx.from, proof.credits)
      break
    }
    case 'payout_request': {
      requireNode(view, tx.from)
      fieldsOnly(p, ['amount'])
      const amount = p.amount
      const unpaid = earned(view, tx.from, block.epoch) - intAt(view, `paid/${tx.from}`)
      if (typeof amount !== 'number' || amount < 1 || amount > unpaid)
        throw new errors.InvalidTransaction(`payout_request: amount must be 1..${unpaid} (unpaid credits)`)
      view.set(`paid/${tx.from}`, intAt(view, `paid/${tx.from}`) + amount)
      break
    }
    case 'consensus_vote': {
      // A committee member's vote for an earlier final block, carried on chain (a late voter's participation
      // on record). The vote's own signature is checked like a certificate's.
      fieldsOnly(p, ['height', 'block_hash', 'signature'])
      const { height, block_hash: hash, signature } = p
      if (
        typeof height !== 'number' ||
        height < 1 ||
        height >= block.height ||
        typeof hash !== 'string' ||
        typeof signature !== 'string' ||
        !HEX128.test(signature)
      ) {
        throw new errors.InvalidTransaction('consensus_vote: needs an earlier height, its block_hash and a signature')
      }
      const known = view.get(`h/${height}`) as [string, number] | undefined
      if (known === undefined || known[0] !== hash) throw new errors.InvalidTransaction(`consensus_vote: ${hash} is not the final block at height ${height}`)
      if (!epochInfo(view, known[1]).committee.members.has(tx.from))
        throw new errors.InvalidTransaction(`consensus_vote: ${tx.from} was not on the committee of height ${height}`)
      if (view.get(`v/${height}/${tx.from}`) !== undefined) throw new errors.TransactionReplayed(`vote of ${tx.from} for height ${height} already recorded`)
      sigs.check(
        tx.from,
        signingMessage('LUCID-VOTE-V1', voteHash(hash)),
        signature,
        () => new errors.BadTransactionSignature(`consensus_vote ${id}: the vote is not signed by ${tx.from}`)
      )
      view.set(`v/${height}/${tx.from}`, 1)
      break
    }
    case 'trust_policy': {
      fieldsOnly(p, ['policy_id', 'rules'])
      const { policy_id: policyId, rules } = p
      if (typeof policyId !== 'string' || !validName(policyId) || rules === null || typeof rules !== 'object' || Array.isArray(rules)) {
        throw new errors.InvalidTransaction('trust_policy: needs a policy_id and a rules object')
      }
      const cur = view.get(`pol/${policyId}`) as { owner: string } | undefined
      if (cur !== undefined && cur.owner !== tx.from) throw new errors.InvalidTransaction(`trust_policy: ${policyId} belongs to another account`)
      view.set(`pol/${policyId}`, { owner: tx.from, rules, height: block.height })
      break
    }
  }
  return id
}

/** The anchor a session_anchor transaction carries (checked; once per shared transaction). */
export function anchorOf(tx: Transaction): Anchor {
  return isShared(tx) ? memoShared(ANCHORS, tx, (t) => Object.freeze(checkedAnchor(t))) : checkedAnchor(tx)
}

const ANCHORS = new WeakMap<Transaction, Anchor>()

function checkedAnchor(tx: Transaction): Anchor {
  const p = tx.payload as { [k: string]: Json }
  // size_bytes (optional) is checked where the anchor is applied: it is not part of the block's anchor entry.
  fieldsOnly(p, ['session_id', 'manifest_hash', 'merkle_root'], ['size_bytes'])
  const { session_id: sessionId, manifest_hash: manifestHash, merkle_root: merkleRoot } = p
  if (
    typeof sessionId !== 'string' ||
    !validName(sessionId) ||
    typeof manifestHash !== 'string' ||
    !HEX64.test(manifestHash) ||
    typeof merkleRoot !== 'string' ||
    !HEX64.test(merkleRoot)
  ) {
    throw new errors.InvalidTransaction('session_anchor: needs session_id (1..128 printable characters), manifest_hash and merkle_root (64 hex digits)')
  }
  return { session_id: sessionId, manifest_hash: manifestHash, merkle_root: merkleRoot }
}

/** The data anchor a data_anchor transaction carries (checked). */
export function dataAnchorOf(tx: Transaction): DataAnchor {
  const p = tx.payload as { [k: string]: Json }
  fieldsOnly(p, ['label', 'data_hash_sha256', 'submitted_at'])
  const { label, data_hash_sha256: digest, submitted_at: at } = p
  if (typeof label !== 'string' || !validName(label) || typeof digest !== 'string' || !HEX64.test(digest) || !isUint(at)) {
    throw new errors.InvalidTransaction(
      "data_anchor: needs label (1..128 printable characters, no '/'), data_hash_sha256 (64 hex digits) and submitted_at (ms, an integer)"
    )
  }
  return { label, data_hash_sha256: digest, submitted_at: at }
}

/**
 * The anchors a block's transactions commit to, in transaction order: session anchors (listed in the block's
 * `anchors`) and data anchors (only in the Merkle tree). Both producer and validator derive them here.
 */
export function blockAnchors(txs: readonly Transaction[]): { anchors: Anchor[]; dataAnchors: DataAnchor[] } {
  const anchors: Anchor[] = []
  const dataAnchors: DataAnchor[] = []
  for (const tx of txs) {
    if (tx.type === 'session_anchor') anchors.push(anchorOf(tx))
    else if (tx.type === 'data_anchor') dataAnchors.push(dataAnchorOf(tx))
  }
  return { anchors, dataAnchors }
}

// Derived once from a shared (deep-frozen) transaction, however many receivers check it: the message its
// signature signs (read, never written), that its shape passed, and its encoded size.
const TX_MESSAGES = new WeakMap<Transaction, Uint8Array>()
const TX_SHAPED = new WeakSet<object>()
const TX_BYTES = new WeakMap<Transaction, number>()

/** Shape checks that need no state beyond the parameters. */
function checkShape(view: StateView, tx: Transaction): void {
  if (!TX_SHAPED.has(tx as object)) {
    checkFields(tx)
    if (isShared(tx)) TX_SHAPED.add(tx)
  }
  const bytes = memoShared(TX_BYTES, tx, (t) => Buffer.byteLength(JSON.stringify(t)))
  if (bytes > view.genesis.params.max_tx_bytes) throw new errors.InvalidTransaction(`transaction of ${bytes} bytes exceeds ${view.genesis.params.max_tx_bytes}`)
}

/** The shape checks that depend on the transaction alone. */
function checkFields(tx: Transaction): void {
  if (tx === null || typeof tx !== 'object') throw new errors.InvalidTransaction('not an object')
  fieldsOnly(tx as unknown as { [k: string]: Json }, ['type', 'from', 'nonce', 'timestamp', 'payload', 'signature'])
  if (!(TX_TYPES as readonly string[]).includes(tx.type)) throw new errors.InvalidTransaction(`unknown type ${JSON.stringify(tx.type)}`)
  if (typeof tx.from !== 'string' || !HEX64.test(tx.from)) throw new errors.InvalidTransaction('from must be 64 lower-case hex digits')
  if (typeof tx.signature !== 'string' || !HEX128.test(tx.signature)) throw new errors.InvalidTransaction('signature must be 128 lower-case hex digits')
  if (!isUint(tx.nonce) || tx.nonce < 1 || !isUint(tx.timestamp))
    throw new errors.InvalidTransaction('nonce (>= 1) and timestamp must be non-negative integers')
  if (tx.payload === null || typeof tx.payload !== 'object' || Array.isArray(tx.payload)) throw new errors.InvalidTransaction('payload must be an object')
  checkJson(tx.payload, 0)
}

// Integers only (floats have no single canonical form across languages), bounded depth.
function checkJson(v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new errors.InvalidTransaction('payload nested too deep')
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new errors.InvalidTransaction('payload numbers must be safe integers')
    return
  }
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return
  if (Array.isArray(v)) {
    for (const x of v) checkJson(x, depth + 1)
    return
  }
  if (typeof v === 'object') {
    for (const x of Object.values(v as object)) checkJson(x, depth + 1)
    return
  }
  throw new errors.InvalidTransaction('payload is not JSON')
}

/**
 * What `node` has earned up to epoch `epoch`: its service credits as claimed (`e/`) and its consensus credits of
 * every epoch (`c/<d>/<node>`, summed here rather than added to `e/` block by block: a payout is rare, a block
 * credits its voters every 10 s on every node).
 */
function earned(view: StateView, node: string, epoch: number): number {
  let sum = intAt(view, `e/${node}`)
  for (let d = 0; d <= epoch; d++) sum += intAt(view, `c/${d}/${node}`)
  return sum
}

/**
 * Adds `credits` to `node`'s tally under `prefix` (`s/<epoch>` service) and to the prefix's total, and to its
 * earned service credits (`e/`, part of what payouts draw on).
 */
function addCredits(view: StateView, prefix: string, node: string, credits: number): void {
  if (credits === 0) return
  view.set(`${prefix}/${node}`, intAt(view, `${prefix}/${node}`) + credits)
  view.set(prefix, intAt(view, prefix) + credits)
  view.set(`e/${node}`, intAt(view, `e/${node}`) + credits)
}

/** Exactly the `allowed` fields, each required but the `optional` ones. */
function fieldsOnly(o: { [k: string]: Json }, allowed: readonly string[], optional: readonly string[] = []): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k) && !optional.includes(k)) throw new errors.InvalidTransaction(`unexpected field ${k}`)
  for (const k of allowed) if (!(k in o)) throw new errors.InvalidTransaction(`missing field ${k}`)
}

function requireNode(view: StateView, node: string): void {
  const nodes = view.get('nodes') as Array<[string, number]>
  // A shared (frozen) list is one object for every node of a lineage: its ids as a set, once; a list of one
  // node's own is scanned (building a set for one look-up would cost more).
  const known = isShared(nodes as unknown) ? memoShared(NODE_IDS, nodes, (ns) => new Set(ns.map(([n]) => n))).has(node) : nodes.some(([n]) => n === node)
  if (!known) throw new errors.InvalidTransaction(`${node} is not a registered node`)
}

/** The ids of a shared registered-nodes list. */
const NODE_IDS = new WeakMap<ReadonlyArray<[string, number]>, ReadonlySet<string>>()

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

/**
 * A name's shape, as the block's anchor list is derived (no parameters at hand there): what either rule set
 * allows. applyTx then holds it to its chain's own rules (checkName).
 */
function validName(s: string): boolean {
  return labelProblem(s) === undefined || validNameV1(s)
}

// Rules 1 (a genesis before issue 23): 1..128 UTF-16 units, no C0 control, DEL or '/'.
function validNameV1(s: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point of this test
  return s.length >= 1 && s.length <= 128 && !/[\u0000-\u001f\u007f/]/.test(s)
}

/** Holds a label or session id to its chain's anchor rules (label.ts for rules 2); LUCID_ERR_5002 otherwise. */
function checkName(params: ChainParams, what: string, name: string): void {
  if (anchorRules(params) >= 2) {
    const problem = labelProblem(name)
    if (problem !== undefined) throw new errors.InvalidTransaction(`${what} ${problem}`)
  } else if (!validNameV1(name)) {
    throw new errors.InvalidTransaction(`${what} must be 1..128 printable characters without '/'`)
  }
}
