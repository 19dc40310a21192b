/**
 * Regression test for the devnet that stopped at epoch 6: validators sent no uptime beacons, so once the
 * genesis days left the 7-epoch window every uptime fell under min_uptime_bp and nobody could lead.
 *
 * Epochs of 96 slots (beacon windows of 4 slots) so that eight epochs run in virtual time in seconds; the
 * rules are the same at 8640 slots, only the windows are longer (beaconWindow).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  DEFAULT_PARAMS,
  ManualScheduler,
  beaconWindow,
  beaconWindowStart,
  createDevnet,
  epochInfo,
  type ChainNode,
  type ChainState,
  type Devnet
} from '../../services/chain/index.ts'

const SLOTS_PER_EPOCH = 96

const count = (state: ChainState, key: string): number => (state.get(key) as number | undefined) ?? 0

function run(uptimeBeacons: (i: number) => boolean, epochs: number): { net: Devnet; sched: ManualScheduler } {
  const sched = new ManualScheduler(undefined, 1_000_000)
  const net = createDevnet({ nodes: 4, scheduler: sched, seed: 11, params: { slots_per_epoch: SLOTS_PER_EPOCH }, uptimeBeacons })
  net.start()
  sched.runUntil(net.genesis.genesis_time + epochs * SLOTS_PER_EPOCH * net.genesis.params.slot_ms - 1)
  net.stop()
  return { net, sched }
}

/** Final blocks of `node` by epoch. */
function blocksByEpoch(node: ChainNode): Map<number, Array<{ producer: string }>> {
  const out = new Map<number, Array<{ producer: string }>>()
  for (const fin of node.ledger.range(1, node.ledger.head().height)) {
    const list = out.get(fin.block.header.epoch) ?? []
    list.push({ producer: fin.block.header.producer })
    out.set(fin.block.header.epoch, list)
  }
  return out
}

test('with beacons a devnet runs past epoch 7 and keeps finalising, every validator at full uptime from beacons alone', () => {
  const { net } = run(() => true, 9)
  const [first, ...rest] = net.nodes as [ChainNode, ...ChainNode[]]
  // A block in every slot of nine epochs: no epoch lost its leaders.
  assert.equal(first.ledger.head().height, 9 * SLOTS_PER_EPOCH)
  for (const n of rest) {
    assert.deepEqual(n.ledger.head(), first.ledger.head())
    assert.equal(n.ledger.state.digest(), first.ledger.state.digest())
  }
  for (const n of net.nodes) assert.equal(n.rejected.size, 0, `node rejected ${[...n.rejected]}`)
  const state = first.ledger.state
  // Exactly one beacon per validator and window, the most the rule counts: 24 an epoch.
  for (let d = 0; d < 9; d++) for (const n of net.nodes) assert.equal(count(state, `b/${d}/${n.id}`), 24, `beacons of epoch ${d}`)
  // Epoch 8's window (epochs 1..7) holds no genesis day: its uptime is the beacons' alone, and full.
  const info = epochInfo(state, 8)
  assert.equal(info.ranking.length, 4)
  for (const r of info.ranking) assert.equal(r.uptime_bp, 10_000)
  // Each beacon counted in its own window (the state's replay markers).
  for (const n of net.nodes) assert.equal(state.get(`bh/${n.id}/${beaconWindow(net.genesis.params, 8 * SLOTS_PER_EPOCH)}`), 1)
})

test('without beacons the same devnet stops at epoch 6 (the defect this fixes)', () => {
  const { net } = run(() => false, 7)
  const node = net.nodes[0] as ChainNode
  assert.equal(epochInfo(node.ledger.state, 6).ranking.length, 0, 'nobody is eligible in epoch 6')
  assert.equal(node.ledger.head().slot, 6 * SLOTS_PER_EPOCH - 1, 'the last block is the last slot of epoch 5')
})

test('a validator that sends no beacons loses leadership once its uptime falls under 0.2; the others go on', () => {
  const { net } = run((i) => i !== 3, 9)
  const silent = net.nodes[3] as ChainNode
  const node = net.nodes[0] as ChainNode
  const state = node.ledger.state
  // Its uptime is the genesis days left in the window: 5/7 at epoch 2, 2/7 (0.2857) at 5, 1/7 (0.1428) at 6.
  assert.equal(epochInfo(state, 5).ranking.find((r) => r.node === silent.id)?.uptime_bp, 2857)
  for (const e of [6, 7, 8]) {
    const info = epochInfo(state, e)
    assert.equal(
      info.ranking.some((r) => r.node === silent.id),
      false,
      `epoch ${e}: not ranked`
    )
    assert.equal(info.committee.members.has(silent.id), false, `epoch ${e}: not on the committee`)
    assert.equal(info.ranking.length, 3)
  }
  const byEpoch = blocksByEpoch(node)
  // It led its share while eligible (a rotation of four), and not once after.
  assert.ok(
    (byEpoch.get(5) ?? []).some((b) => b.producer === silent.id),
    'it produced in epoch 5'
  )
  for (const e of [6, 7, 8]) {
    const blocks = byEpoch.get(e) ?? []
    assert.equal(blocks.length, SLOTS_PER_EPOCH, `epoch ${e}: a block every slot`)
    assert.equal(
      blocks.some((b) => b.producer === silent.id),
      false,
      `epoch ${e}: none of them by the silent validator`
    )
  }
  for (let d = 0; d < 9; d++) assert.equal(count(state, `b/${d}/${silent.id}`), 0)
})

test('with the default daily epoch of 10 s slots a beacon window is exactly a wall-clock hour (360 slots)', () => {
  for (const slot of [0, 359, 360, 8639, 8640, 123_456]) assert.equal(beaconWindow(DEFAULT_PARAMS, slot), Math.floor((slot * 10_000) / 3_600_000))
  assert.equal(beaconWindowStart(DEFAULT_PARAMS, 25), 25 * 360)
})
