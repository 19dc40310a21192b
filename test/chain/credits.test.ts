/**
 * Credits come from evidence the chain checks, never from a number a node declares (issue 19, reproduction 1).
 * On the chain before it, a new key registered, sent its beacons and one task_proof `storage_availability
 * {bytes: 1e14, chunks: 1e14}`: it was credited 2e14 and two epochs later held ~100 % of the committee's weight.
 *
 * Epochs of 48 slots (beacon windows of 2 slots) so that four epochs run in virtual time in seconds.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  Account,
  ManualScheduler,
  createDevnet,
  ed25519Signer,
  epochInfo,
  keySeeds,
  hasQuorum,
  receiptMessage,
  type ChainNode,
  type ServiceKind
} from '../../services/chain/index.ts'
import { toHex } from '../../services/common/hash.ts'

const SLOTS_PER_EPOCH = 48
const EPOCHS = 4

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (err) {
    return (err as { code?: string }).code
  }
}

test('a claimed storage of 1e14 bytes is refused; receipted self-dealing floods count only within the cap and never reach a third of the weight', () => {
  const sched = new ManualScheduler(undefined, 1_000_000)
  const net = createDevnet({ nodes: 4, scheduler: sched, seed: 5, params: { slots_per_epoch: SLOTS_PER_EPOCH } })
  const params = net.genesis.params
  const at = (slot: number): number => net.genesis.genesis_time + slot * params.slot_ms
  net.start()
  const node = net.nodes[0] as ChainNode
  const evilSigner = ed25519Signer(new Uint8Array(32).fill(9))
  const evil = new Account(evilSigner)
  // The operator's second key, owner of the sessions it anchors for itself.
  const ownerSigner = ed25519Signer(new Uint8Array(32).fill(10))
  const owner = new Account(ownerSigner)
  const submit = (acct: Account, build: () => ReturnType<Account['tx']>): string | undefined => {
    const code = codeOf(() => node.submit(build()))
    if (code !== undefined) acct.resetNonce(node.lastNonce(acct.signer.publicKey))
    return code
  }

  sched.runUntil(at(1) + 1)
  assert.equal(
    submit(evil, () => evil.tx('node_registration', { endpoint: 'https://evil.example' }, sched.clock.now())),
    undefined
  )
  sched.runUntil(at(3) + 1)
  // Reproduction 1, as filed: refused, whatever it claims.
  assert.equal(
    submit(evil, () => evil.tx('task_proof', { kind: 'storage_availability', slot: 3, bytes: 1e14, chunks: 1e14 }, sched.clock.now())),
    'LUCID_ERR_5002'
  )
  assert.equal(
    submit(evil, () => evil.tx('task_proof', { kind: 'validation_signature', slot: 3, sessions: 1_000_000 }, sched.clock.now())),
    'LUCID_ERR_5002'
  )

  // The strongest claim the rules let it make: every other slot its own 100 GB session, anchored by its second
  // key, and a receipt for relaying all of it (20,000 credits each, far above the epoch's cap); a beacon in the
  // slots between, so that its uptime keeps it eligible.
  const most = 100_000_000_000
  let sessions = 0
  const rejected: Array<string | undefined> = []
  for (let slot = 4; slot < EPOCHS * SLOTS_PER_EPOCH; slot++) {
    sched.runUntil(at(slot) + 1)
    const now = sched.clock.now()
    if (slot % 2 === 0) {
      submit(evil, () => evil.tx('task_proof', { kind: 'uptime_beacon', slot }, now))
      const id = `evil-${++sessions}`
      submit(owner, () => owner.tx('session_anchor', { session_id: id, manifest_hash: 'ab'.repeat(32), merkle_root: 'cd'.repeat(32), size_bytes: most }, now))
    } else {
      const id = `evil-${sessions}`
      const kind: ServiceKind = 'relay_bandwidth'
      if (slot === 5) {
        // A receipt signed by anyone but the session's owner is refused (5013).
        const forged = toHex(evilSigner.sign(receiptMessage(kind, evilSigner.publicKey, id, most)))
        assert.equal(
          submit(evil, () => evil.tx('task_proof', { kind, slot, session_id: id, bytes: most, receipt: forged }, now)),
          'LUCID_ERR_5013'
        )
      }
      const receipt = toHex(ownerSigner.sign(receiptMessage(kind, evilSigner.publicKey, id, most)))
      const r = submit(evil, () => evil.tx('task_proof', { kind, slot, session_id: id, bytes: most, receipt }, now))
      rejected.push(r)
    }
  }
  sched.runUntil(at(EPOCHS * SLOTS_PER_EPOCH) - 1)
  net.stop()
  // The receipted claims are valid transactions. (A few may be refused for a nonce gap: a task proof still
  // pending when its epoch ends is dropped from the pool, and the next one then skips its nonce.)
  assert.ok(rejected.filter((c) => c !== undefined).length <= 4, `refused: ${rejected.filter((c) => c !== undefined).join(', ')}`)

  const state = node.ledger.state
  // The chain never stalled: a block in (nearly) every slot.
  assert.ok(node.ledger.head().height >= EPOCHS * SLOTS_PER_EPOCH - 3, `final height ${node.ledger.head().height}`)
  const me = evilSigner.publicKey
  for (let d = 1; d < EPOCHS; d++) {
    const claimed = (state.get(`s/${d}/${me}`) as number | undefined) ?? 0
    assert.ok(claimed >= 20 * 20_000, `epoch ${d}: claimed ${claimed}`)
  }
  for (let e = 2; e <= EPOCHS; e++) {
    const info = epochInfo(state, e)
    const w = info.committee.members.get(me) ?? 0
    assert.ok(w > 0, `epoch ${e}: the operator is eligible (its receipted work counts, within the cap)`)
    assert.ok(3 * w < info.committee.total, `epoch ${e}: the operator holds ${w} of ${info.committee.total}, a third or more`)
    // Its single vote is no certificate.
    assert.equal(hasQuorum(info.committee, w), false)
  }
})

test('a validator is paid out what its votes earned (summed over the epochs), never more', () => {
  const sched = new ManualScheduler(undefined, 1_000_000)
  const net = createDevnet({ nodes: 4, scheduler: sched, seed: 6, params: { slots_per_epoch: SLOTS_PER_EPOCH } })
  const params = net.genesis.params
  net.start()
  sched.runUntil(net.genesis.genesis_time + (SLOTS_PER_EPOCH + 10) * params.slot_ms + 1)
  const node = net.nodes[0] as ChainNode
  const signer = ed25519Signer(keySeeds(6, 4).find((s) => ed25519Signer(s).publicKey === node.id) as Uint8Array)
  const me = new Account(signer)
  const state = node.ledger.state
  const earned = [0, 1].reduce((n, d) => n + ((state.get(`c/${d}/${node.id}`) as number | undefined) ?? 0), 0)
  assert.ok(earned > 0, 'its votes earned credits')
  me.resetNonce(node.lastNonce(node.id))
  assert.equal(
    codeOf(() => node.submit(me.tx('payout_request', { amount: earned + 1_000_000 }, sched.clock.now()))),
    'LUCID_ERR_5002'
  )
  me.resetNonce(node.lastNonce(node.id))
  assert.equal(
    codeOf(() => node.submit(me.tx('payout_request', { amount: earned }, sched.clock.now()))),
    undefined
  )
  net.stop()
})
