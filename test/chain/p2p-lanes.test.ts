/**
 * The two lanes of a node's gossip (services/chain/p2p/tx-lane.ts, tx-batch.ts). The regression: on a busy
 * machine at 300 tx/s offered, the 4-process devnet finalised nothing for 50 s, because every vote waited
 * behind thousands of transaction admissions handled in arrival order. Here, with the yields driven by hand:
 * a consensus message that arrives behind a flood of transactions is handled before all but one slice of them,
 * a full lane sheds, a throwing handler does not stall the lane, and batches round-trip and flush on size.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TxBatcher, splitBatch } from '../../services/chain/p2p/tx-batch.ts'
import { TxLane } from '../../services/chain/p2p/tx-lane.ts'

/** A hand-driven scheduler: `run()` runs what was scheduled so far, one turn. */
function turns(): { yieldTo: (fn: () => void) => void; run: () => number } {
  let queue: Array<() => void> = []
  return {
    yieldTo: (fn) => queue.push(fn),
    run: () => {
      const now = queue
      queue = []
      for (const fn of now) fn()
      return now.length
    }
  }
}

test('a consensus message arriving behind 1,000 queued transactions is handled after one slice of them', () => {
  const t = turns()
  const handled: string[] = []
  const lane = new TxLane((_from, data) => handled.push(data), { slice: 32, yieldTo: t.yieldTo })
  for (let i = 0; i < 1000; i++) assert.equal(lane.push('peer', `tx${i}`), true)
  assert.equal(handled.length, 0, 'nothing is admitted inside the gossip callback')
  t.run()
  // A vote arrives now: the transport hands it to the node at once, not through the lane.
  handled.push('vote')
  assert.equal(handled.indexOf('vote'), 32)
  while (t.run() > 0) {}
  assert.equal(handled.length, 1001)
  assert.deepEqual(handled.slice(33, 36), ['tx32', 'tx33', 'tx34'], 'transactions keep their arrival order')
  assert.equal(lane.size, 0)
})

test('a full lane sheds new transactions and takes them again once drained', () => {
  const t = turns()
  const handled: string[] = []
  const lane = new TxLane((_f, d) => handled.push(d), { limit: 10, slice: 4, yieldTo: t.yieldTo })
  let accepted = 0
  for (let i = 0; i < 25; i++) if (lane.push('p', `tx${i}`)) accepted++
  assert.equal(accepted, 10)
  assert.equal(lane.size, 10)
  t.run()
  assert.equal(lane.push('p', 'late'), true, 'a drained slice makes room')
  while (t.run() > 0) {}
  assert.deepEqual(handled, [...Array.from({ length: 10 }, (_, i) => `tx${i}`), 'late'])
})

test('a handler that throws does not stall the transactions behind it; close drops the rest', () => {
  const t = turns()
  const handled: string[] = []
  const lane = new TxLane(
    (_f, d) => {
      if (d === 'bad') throw new Error('refused')
      handled.push(d)
    },
    { slice: 2, yieldTo: t.yieldTo }
  )
  for (const d of ['a', 'bad', 'b', 'c', 'd']) lane.push('p', d)
  t.run()
  t.run()
  assert.deepEqual(handled, ['a', 'b', 'c'])
  lane.close()
  assert.equal(lane.push('p', 'e'), false)
  while (t.run() > 0) {}
  assert.deepEqual(handled, ['a', 'b', 'c'])
})

test('a long run of pushes and drains keeps order and memory bounded (compaction)', () => {
  const t = turns()
  let next = 0
  const lane = new TxLane(
    (_f, d) => {
      assert.equal(d, `tx${next}`)
      next++
    },
    { limit: 5000, slice: 100, yieldTo: t.yieldTo }
  )
  let pushed = 0
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 90; i++) lane.push('p', `tx${pushed++}`)
    t.run()
  }
  while (t.run() > 0) {}
  assert.equal(next, pushed)
  assert.equal(lane.size, 0)
})

test('a batch joins the texts of one window, round-trips through splitBatch, and flushes early at its size', () => {
  const sent: string[] = []
  const timers: Array<() => void> = []
  const b = new TxBatcher((batch) => sent.push(batch), {
    windowMs: 20,
    maxBytes: 100,
    after: (_ms, fn) => {
      timers.push(fn)
      return () => timers.splice(timers.indexOf(fn), 1)
    }
  })
  const texts = ['{"t":"tx","n":1}', '{"t":"tx","n":2,"s":"a\\nb"}', '{"t":"tx","n":3}']
  for (const x of texts) b.add(x)
  assert.equal(sent.length, 0)
  assert.equal(timers.length, 1, 'one timer per batch')
  timers[0]?.()
  assert.equal(sent.length, 1)
  assert.deepEqual(splitBatch(sent[0] as string), texts)
  assert.deepEqual(
    splitBatch(sent[0] as string).map((x) => JSON.parse(x)),
    texts.map((x) => JSON.parse(x))
  )
  // Past maxBytes the batch goes at once and its timer is cancelled.
  for (let i = 0; i < 4; i++) b.add(`{"t":"tx","pad":"${'x'.repeat(20)}","i":${i}}`)
  assert.equal(sent.length, 2)
  assert.equal(splitBatch(sent[1] as string).length, 3)
  assert.equal(timers.length, 1)
  b.close()
  assert.equal(timers.length, 0)
  assert.throws(() => b.add('{"a":\n1}'), RangeError)
  assert.deepEqual(splitBatch(''), [])
})
