/**
 * Issue 23, items 6 and 7 on chain: a data anchor's submitted_at lies within [transaction timestamp - 10 min,
 * transaction timestamp + clock skew], and a label or session id follows the one shared rule (label.ts: 1..128
 * code points, printable defined). A genesis without `anchor_rules` (made before) keeps the old rules, so its
 * archived blocks still replay.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isLucidError } from '../../services/common/errors.ts'
import { Account, ManualScheduler, SUBMITTED_AT_PAST_MS, createDevnet, ed25519Signer, labelProblem, type ChainNode } from '../../services/chain/index.ts'

const HASH = 'ab'.repeat(32)

function devnet(params: Record<string, number | undefined> = {}): { node: ChainNode; now: number; stop: () => void } {
  const sched = new ManualScheduler(undefined, 2_000_000)
  const net = createDevnet({ nodes: 4, scheduler: sched, seed: 21, params })
  net.start()
  sched.runUntil(net.genesis.genesis_time + 1)
  return { node: net.nodes[0] as ChainNode, now: sched.clock.now(), stop: () => net.stop() }
}

/** The code of the error submitting `payload` as a data anchor throws, or 'accepted'. */
function submitData(node: ChainNode, now: number, payload: { label: string; submitted_at: number }, seed: number): string {
  const acct = new Account(ed25519Signer(new Uint8Array(32).fill(seed)))
  try {
    node.submit(acct.dataAnchor({ ...payload, data_hash_sha256: HASH }, now))
    return 'accepted'
  } catch (err) {
    return isLucidError(err) ? err.code : String(err)
  }
}

test("a data anchor's submitted_at may lie at most 10 minutes before its transaction (LUCID_ERR_5002 otherwise)", () => {
  const { node, now, stop } = devnet()
  try {
    assert.equal(submitData(node, now, { label: 'l', submitted_at: now - SUBMITTED_AT_PAST_MS - 1 }, 1), 'LUCID_ERR_5002')
    assert.equal(submitData(node, now, { label: 'l', submitted_at: 5000 }, 2), 'LUCID_ERR_5002', 'what the gateway made of `5`')
    assert.equal(submitData(node, now, { label: 'l', submitted_at: now - SUBMITTED_AT_PAST_MS }, 3), 'accepted')
    assert.equal(submitData(node, now, { label: 'l', submitted_at: now + 500 }, 4), 'accepted')
    assert.equal(submitData(node, now, { label: 'l', submitted_at: now + 501 }, 5), 'LUCID_ERR_5002')
  } finally {
    stop()
  }
})

test('labels: 1..128 code points, printable defined, one rule for gateway and chain', () => {
  const emoji100 = '\u{1F600}'.repeat(100)
  assert.equal(emoji100.length, 200, '200 UTF-16 units')
  assert.equal(labelProblem(emoji100), undefined)
  assert.equal(labelProblem('é'.repeat(128)), undefined)
  for (const bad of ['', 'x'.repeat(129), '\u{1F600}'.repeat(129), 'a/b', 'bell\u0007', 'del\u007f', 'c1\u0085', 'line\u2028', 'para\u2029', '\ud800'])
    assert.notEqual(labelProblem(bad), undefined, JSON.stringify(bad))
  const { node, now, stop } = devnet()
  try {
    assert.equal(submitData(node, now, { label: emoji100, submitted_at: now }, 6), 'accepted')
    let seed = 7
    for (const bad of ['line\u2028', 'bell\u0007', 'c1\u0085', 'x'.repeat(129)])
      assert.equal(submitData(node, now, { label: bad, submitted_at: now }, seed++), 'LUCID_ERR_5002')
    const acct = new Account(ed25519Signer(new Uint8Array(32).fill(30)))
    assert.throws(
      () => node.submit(acct.anchor({ session_id: 'sess\u2028ion', manifest_hash: HASH, merkle_root: HASH }, now)),
      (e) => isLucidError(e, 'LUCID_ERR_5002')
    )
  } finally {
    stop()
  }
})

test('a chain made before the rules (genesis without anchor_rules) keeps the old ones, so its archive replays', () => {
  const { node, now, stop } = devnet({ anchor_rules: undefined })
  try {
    assert.equal(node.ledger.genesis.params.anchor_rules, undefined)
    assert.equal(submitData(node, now, { label: 'old', submitted_at: 5000 }, 40), 'accepted')
    assert.equal(submitData(node, now, { label: 'line\u2028', submitted_at: now }, 41), 'accepted')
    assert.equal(submitData(node, now, { label: '\u{1F600}'.repeat(100), submitted_at: now }, 42), 'LUCID_ERR_5002')
  } finally {
    stop()
  }
})
