/**
 * The gateway's chain account (services/gateway/chain-account.ts): its nonce follows the node's, and a
 * submission refused because the count drifted is re-signed with the re-read nonce and resubmitted, a
 * bounded number of times; a refusal of the content is thrown as it is and leaves the count right.
 * On a real node of a devnet on a virtual clock.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { errors, isLucidError } from '../../services/common/errors.ts'
import { Account, ManualScheduler, createDevnet, ed25519Signer, type ChainNode, type Receipt, type Transaction } from '../../services/chain/index.ts'
import { ChainAccount, MAX_RESUBMITS, type NonceAuthority } from '../../services/gateway/chain-account.ts'

const SEED = new Uint8Array(32).fill(77)
const anchor =
  (i: number) =>
  (a: Account): Transaction => {
    // submitted_at within the chain's window around the transaction's timestamp (docs/chain.md, "Transactions").
    const now = Date.now()
    return a.dataAnchor({ label: `label-${i}`, data_hash_sha256: 'ab'.repeat(32), submitted_at: now }, now)
  }

function node(): { node: ChainNode; stop: () => void } {
  // The node's virtual clock is a minute ahead of the wall clock the transactions are stamped with, so no
  // transaction is ever ahead of it, however slowly the test runs.
  const start = Date.now() + 60_000
  const sched = new ManualScheduler(undefined, start)
  const net = createDevnet({ nodes: 4, scheduler: sched, seed: 5, genesisTime: start - 1000 })
  net.start()
  return {
    node: net.nodes[0] as ChainNode,
    stop: () => {
      net.stop()
    }
  }
}

test("the account starts from the node's count and recovers when another writer used its key", () => {
  const { node: n, stop } = node()
  try {
    const acct = new ChainAccount(SEED, n)
    assert.equal(acct.nextNonce, 1)
    assert.equal(acct.submit(anchor(1)).tx_id.length, 64)
    assert.equal(acct.nextNonce, 2)

    // Another process with the same key (a second gateway on a copy of the data directory) sends two.
    const other = new Account(ed25519Signer(SEED), 1)
    n.submit(anchor(2)(other))
    n.submit(anchor(3)(other))

    // The account's nonce 2 is now used: refused (5012), re-read (3 used), signed again with 4, accepted.
    const r = acct.submit(anchor(4))
    assert.equal(acct.resubmits, 1)
    assert.equal(n.txStatus(r.tx_id).status, 'pending')
    assert.equal(n.lastNonce(acct.publicKey), 4)
    assert.equal(acct.nextNonce, 5)

    // A new account on the same node (a restart) picks the count up from the node.
    assert.equal(new ChainAccount(SEED, n).nextNonce, 5)
  } finally {
    stop()
  }
})

test('a refusal of the content is thrown once, not retried, and the count stays right', () => {
  const { node: n, stop } = node()
  try {
    const acct = new ChainAccount(SEED, n)
    const session = { session_id: 's-1', manifest_hash: 'cd'.repeat(32), merkle_root: 'cd'.repeat(32) }
    acct.submit((a) => a.anchor(session, Date.now()))
    assert.throws(
      () => acct.submit((a) => a.anchor(session, Date.now())),
      (err: unknown) => isLucidError(err, 'LUCID_ERR_5012') && /already anchored/.test(err.message)
    )
    assert.equal(acct.resubmits, 0)
    assert.equal(acct.nextNonce, 2, 'the refused transaction used no nonce')
    acct.submit(anchor(1))
    assert.equal(n.lastNonce(acct.publicKey), 2)
  } finally {
    stop()
  }
})

test('resubmission is bounded: a count that keeps moving gives up after MAX_RESUBMITS with LUCID_ERR_5002', () => {
  // A node whose count runs ahead of every submission (someone racing the key without pause).
  let last = 0
  let submissions = 0
  const racing: NonceAuthority = {
    submit(tx: Transaction): Receipt {
      submissions++
      last = tx.nonce + 1
      throw new errors.TransactionReplayed(`nonce ${tx.nonce} already used`)
    },
    lastNonce: () => last
  }
  const acct = new ChainAccount(SEED, racing)
  assert.throws(
    () => acct.submit(anchor(1)),
    (err: unknown) => isLucidError(err, 'LUCID_ERR_5002') && /kept changing/.test(err.message)
  )
  assert.equal(submissions, MAX_RESUBMITS + 1)
  assert.equal(acct.resubmits, MAX_RESUBMITS)
})
