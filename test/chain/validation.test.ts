import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isLucidError, type LucidErrorCode } from '../../services/common/errors.ts'
import {
  Account,
  Ledger,
  attemptOpensAfter,
  buildBlock,
  ed25519Signer,
  ed25519Verifier,
  epochInfo,
  immediateSink,
  slotSchedule,
  slotStart,
  validateBlock,
  type Block,
  type FinalBlock,
  type Signer
} from '../../services/chain/index.ts'
import { generatedSigners, reseal, resign, smallChain } from './helpers.ts'

const chain = smallChain(4)
const signers = generatedSigners()
const verifier = ed25519Verifier()
const target = chain.ledger.at(3) as FinalBlock
const producer = signers.get(target.block.header.producer) as Signer

/** A ledger holding the generated chain's blocks below 3, validated from scratch. */
function ledgerBefore3(): Ledger {
  const l = new Ledger(chain.genesis)
  for (const h of [1, 2]) {
    const f = chain.ledger.at(h) as FinalBlock
    l.append(validateBlock(l.state, f.block, { sigs: immediateSink(verifier) }), f.certificate)
  }
  return l
}
const base = ledgerBefore3()
const now = target.block.header.timestamp + 1000

function rejects(block: Block, code: LucidErrorCode, at = now): void {
  assert.throws(
    () => validateBlock(base.state, block, { sigs: immediateSink(verifier), now: at }),
    (err: unknown) => {
      assert.ok(isLucidError(err), String(err))
      assert.equal(err.code, code, err.message)
      return true
    }
  )
}

const b = target.block
const otherValidator = [...signers.values()].find((s) => s.publicKey !== producer.publicKey) as Signer

test('the unmodified block is valid (the battery below changes one thing at a time)', () => {
  const v = validateBlock(base.state, b, { sigs: immediateSink(verifier), now })
  assert.equal(v.hash, target.hash)
  assert.ok(b.transactions.length >= 3, 'the block carries transactions to tamper with')
})

test('every header field, changed and re-signed by the producer, is refused with its code', () => {
  const h = b.header
  rejects(reseal(b, producer, { chain_id: 'other-chain' }), 'LUCID_ERR_5001')
  rejects(reseal(b, producer, { height: h.height + 1 }), 'LUCID_ERR_5005')
  rejects(reseal(b, producer, { previous_hash: 'ab'.repeat(32) }), 'LUCID_ERR_5005')
  rejects(reseal(b, producer, { epoch: h.epoch + 1 }), 'LUCID_ERR_5001')
  rejects(reseal(b, producer, { slot: base.state.head().slot }), 'LUCID_ERR_5011')
  rejects(reseal(b, producer, { timestamp: h.timestamp + chain.genesis.params.slot_ms }), 'LUCID_ERR_5011')
  rejects(reseal(b, producer, { timestamp: h.timestamp - 100 }), 'LUCID_ERR_5011')
  rejects(reseal(b, producer, { merkle_root: 'cd'.repeat(32) }), 'LUCID_ERR_5009')
  rejects({ ...b, header: { ...h, tx_count: h.tx_count + 1 }, signature: resign({ ...h, tx_count: h.tx_count + 1 }, producer) }, 'LUCID_ERR_5001')
  rejects({ ...b, header: { ...h, anchor_count: 0 }, signature: resign({ ...h, anchor_count: 0 }, producer) }, 'LUCID_ERR_5001')
  rejects({ ...b, anchors: [...b.anchors].reverse() }, 'LUCID_ERR_5009')
  rejects(reseal(b, producer), 'LUCID_ERR_5011', h.timestamp - chain.genesis.params.max_clock_skew_ms - 1)
})

test('a bad signature, a wrong leader and a slot of another leader are refused', () => {
  const sig = b.signature.slice(0, -2) + (b.signature.endsWith('00') ? '01' : '00')
  rejects({ ...b, signature: sig }, 'LUCID_ERR_5008')
  // Signed by another validator but naming the rightful producer: the signature fails.
  rejects({ ...b, signature: resign(b.header, otherValidator) }, 'LUCID_ERR_5008')
  // Produced by a validator with no attempt in this slot.
  const sched = slotSchedule(
    epochInfo(base.state, b.header.epoch),
    chain.genesis.params,
    b.header.slot,
    base.state.get('recent') as Array<[number, string]>,
    base.state.head().slot
  )
  assert.ok(sched !== undefined)
  const attempts = new Set([sched.leader, ...sched.fallbacks.slice(0, chain.genesis.params.fallback_attempts)])
  const outsider = [...signers.values()].find((s) => !attempts.has(s.publicKey)) as Signer
  rejects(reseal(b, outsider), 'LUCID_ERR_5006')
})

test('a fallback before its window is refused; the same fallback after it opens is accepted', () => {
  const params = chain.genesis.params
  const sched = slotSchedule(
    epochInfo(base.state, b.header.epoch),
    params,
    b.header.slot,
    base.state.get('recent') as Array<[number, string]>,
    base.state.head().slot
  )
  assert.ok(sched !== undefined)
  const fallback = signers.get(sched.fallbacks[0] as string) as Signer
  const start = slotStart(chain.genesis.genesis_time, params, b.header.slot)
  const cert = (chain.ledger.at(2) as FinalBlock).certificate
  const ctx = (t: number): { height: number; slot: number; epoch: number; timestamp: number } => ({
    height: 3,
    slot: b.header.slot,
    epoch: b.header.epoch,
    timestamp: t
  })
  const early = buildBlock(base.state, fallback, ctx(start + 100), cert, b.transactions, immediateSink(verifier))
  rejects(early, 'LUCID_ERR_5007', start + 200)
  const onTime = buildBlock(base.state, fallback, ctx(start + attemptOpensAfter(params, 1)), cert, b.transactions, immediateSink(verifier))
  const v = validateBlock(base.state, onTime, { sigs: immediateSink(verifier), now: start + attemptOpensAfter(params, 1) })
  assert.equal(v.attempt, 1)
})

test('oversize blocks are refused: too many transactions, too many bytes', () => {
  const acct = new Account(ed25519Signer(new Uint8Array(32).fill(42)))
  const t = b.header.timestamp - 10
  const many = [
    ...b.transactions,
    ...Array.from({ length: 11 - b.transactions.length }, (_, i) =>
      acct.anchor({ session_id: `extra-${i}`, manifest_hash: '11'.repeat(32), merkle_root: '22'.repeat(32) }, t)
    )
  ]
  rejects(reseal({ ...b, transactions: many }, producer), 'LUCID_ERR_5010')
  const big = new Account(ed25519Signer(new Uint8Array(32).fill(43)))
  const fat = [0, 1].map((i) => big.tx('trust_policy', { policy_id: `p${i}`, rules: { text: 'x'.repeat(7000) } }, t))
  rejects(reseal({ ...b, transactions: [...b.transactions, ...fat] }, producer), 'LUCID_ERR_5010')
})

test('replayed and forged transactions are refused', () => {
  const earlier = (chain.ledger.at(2) as FinalBlock).block.transactions[0]
  assert.ok(earlier !== undefined)
  rejects(reseal({ ...b, transactions: [...b.transactions, earlier] }, producer), 'LUCID_ERR_5012')
  const first = b.transactions[0]
  assert.ok(first !== undefined)
  rejects(reseal({ ...b, transactions: [first, ...b.transactions] }, producer), 'LUCID_ERR_5012')
  const forged = { ...first, payload: { ...(first.payload as object), merkle_root: 'ee'.repeat(32) } }
  rejects(reseal({ ...b, transactions: [forged, ...b.transactions.slice(1)] }, producer), 'LUCID_ERR_5013')
  const sessionAgain = new Account(ed25519Signer(new Uint8Array(32).fill(44))).anchor(earlier.payload as never, b.header.timestamp - 5)
  rejects(reseal({ ...b, transactions: [...b.transactions, sessionAgain] }, producer), 'LUCID_ERR_5012')
})

test('a parent certificate short of quorum, with a bad vote, an outsider or missing, is refused', () => {
  const cert = b.parent_certificate
  assert.ok(cert !== null)
  const committee = epochInfo(base.state, 0).committee
  const keep = Math.floor((committee.members.size * 2) / 3)
  rejects(reseal({ ...b, parent_certificate: { ...cert, votes: cert.votes.slice(0, keep) } }, producer), 'LUCID_ERR_5014')
  rejects(reseal({ ...b, parent_certificate: null }, producer), 'LUCID_ERR_5014')
  const badVote = cert.votes.map((v, i) => (i === 0 ? { ...v, signature: 'ff'.repeat(64) } : v))
  rejects(reseal({ ...b, parent_certificate: { ...cert, votes: badVote } }, producer), 'LUCID_ERR_5015')
  const outsiderKey = 'ff'.repeat(32)
  rejects(
    reseal({ ...b, parent_certificate: { ...cert, votes: [...cert.votes, { voter: outsiderKey, signature: 'aa'.repeat(64) }] } }, producer),
    'LUCID_ERR_5015'
  )
  rejects(reseal({ ...b, parent_certificate: { ...cert, block_hash: 'aa'.repeat(32) } }, producer), 'LUCID_ERR_5015')
})
