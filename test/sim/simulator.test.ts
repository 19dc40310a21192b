import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseCrashes, parsePartitions, simVerdict, simulate, type SimFigures, type SimOptions, type SimResult } from '../../sim/network/index.ts'

const MIN = 60_000

/** The figures without the wall-clock ones, which are the only ones a seed does not fix. */
function seeded(f: SimFigures): unknown {
  const { wallS: _w, freshSync, ...rest } = f
  return { ...rest, freshSync: freshSync === undefined ? undefined : { ...freshSync, wallS: 0 } }
}

/** Every node's final head. */
const heads = (r: SimResult): string[] => r.ledgers.map((l) => `${l.head().height}:${l.head().hash}`)

/** Every honest ledger is a prefix of the longest one: no final block differs at any height. */
function onePrefix(r: SimResult): void {
  const honest = r.ledgers.filter((_, i) => !r.byzantine.includes(i))
  const longest = honest.reduce((a, b) => (b.head().height > a.head().height ? b : a))
  for (const l of honest) {
    for (const fin of l.range(1, l.head().height)) assert.equal(fin.hash, longest.at(fin.block.header.height)?.hash, `height ${fin.block.header.height}`)
  }
}

test('the same seed gives the same chain and the same figures; another seed another run', async () => {
  const opts: SimOptions = { nodes: 12, durationMs: 10 * MIN, loss: 0.02, latency: { kind: 'normal', meanMs: 50, sdMs: 15 }, txPerS: 1, seed: 7 }
  const [a, b, c] = await Promise.all([simulate(opts), simulate(opts), simulate({ ...opts, seed: 8 })])
  assert.deepEqual(heads(a), heads(b))
  assert.deepEqual(seeded(a.figures), seeded(b.figures))
  assert.ok(a.figures.blocks >= 55, `only ${a.figures.blocks} blocks in 60 slots`)
  assert.ok(a.figures.finalTx > 0)
  assert.notDeepEqual(heads(a), heads(c))
})

test('virtual signatures give the chain real Ed25519 gives: same heads, same finality times, same figures', async () => {
  const opts: SimOptions = {
    nodes: 8,
    durationMs: 8 * MIN,
    loss: 0.01,
    txPerS: 0.5,
    seed: 3,
    crashes: parseCrashes('2m-3m:1', 8),
    partitions: parsePartitions('4m-5m:0-6|7', 8)
  }
  const virtual = await simulate(opts)
  const real = await simulate({ ...opts, signatures: 'real' })
  assert.deepEqual(real.ids, virtual.ids, 'the same public keys')
  assert.deepEqual(heads(real), heads(virtual))
  assert.ok(virtual.figures.blocks >= 40)
  // All but the count of virtual signatures, which real signing does not issue.
  assert.deepEqual({ ...(seeded(real.figures) as object), signatures: 0 }, { ...(seeded(virtual.figures) as object), signatures: 0 })
  assert.equal(real.figures.signatures, 0)
  // The blocks differ only in their signatures: real ones are Ed25519, virtual ones serial numbers.
  const r = real.ledgers[0]?.at(5)
  const v = virtual.ledgers[0]?.at(5)
  assert.ok(r !== undefined && v !== undefined)
  assert.deepEqual(r.block.header, v.block.header)
  assert.notEqual(r.block.signature, v.block.signature)
})

test('a partition that leaves a quorum on one side heals: the cut-off nodes sync back and the chain converges', async () => {
  const r = await simulate({ nodes: 24, durationMs: 20 * MIN, seed: 2, partitions: parsePartitions('5m-10m:0-10,16-19|11-15,20-23', 24) })
  const f = r.figures
  assert.deepEqual(f.safetyViolations, [])
  assert.ok(f.network.cut > 0)
  assert.equal(f.stalledAtEnd, false)
  assert.equal(f.convergedRatio, 1)
  // The 9 cut-off nodes are back on the chain: by asking peers for the final blocks they missed, or by a sync.
  const top = Math.max(...r.ledgers.map((l) => l.head().height))
  for (const i of [11, 12, 13, 14, 15, 20, 21, 22, 23]) assert.ok((r.ledgers[i]?.head().height ?? 0) >= top - 1, `cut-off node ${i} caught up`)
  // The majority side kept finalising while the cut lasted (slots 30..59).
  const during = r.ledgers[0]?.range(1, r.ledgers[0].head().height).filter((fin) => fin.block.header.slot >= 30 && fin.block.header.slot < 60).length ?? 0
  assert.ok(during >= 20, `${during} blocks final during the partition`)
  onePrefix(r)
})

test('a partition that splits the committee never finalises two blocks at one height, and the chain goes on after the heal', async () => {
  const r = await simulate({ nodes: 24, durationMs: 15 * MIN, seed: 2, partitions: parsePartitions('5m-8m:0-7,16-19|8-15,20-23', 24) })
  const f = r.figures
  assert.deepEqual(f.safetyViolations, [])
  onePrefix(r)
  // Neither side has 11 of the 16 votes while the cut lasts, so nothing is final then; after the heal the
  // next round decides (before the voting rounds, the split votes stalled the chain for good).
  assert.ok(f.longestStallS >= 3 * 60, `no block final during the cut (${f.longestStallS} s)`)
  assert.equal(f.stalledAtEnd, false)
  assert.ok(f.stallAfterFaultS <= 3 * 10, `finalising again within 3 slots of the heal (${f.stallAfterFaultS} s)`)
  assert.equal(simVerdict(f).pass, true)
})

test('crashed nodes restart, sync what they missed and rejoin the one chain', async () => {
  const r = await simulate({ nodes: 20, durationMs: 15 * MIN, seed: 4, crashes: parseCrashes('3m-8m:0,5,17', 20) })
  const f = r.figures
  assert.deepEqual(f.safetyViolations, [])
  assert.equal(f.convergedRatio, 1)
  assert.equal(f.stalledAtEnd, false)
  assert.ok(f.syncRounds >= 3)
  assert.ok(f.rejoinMaxS > 0)
  const top = Math.max(...r.ledgers.map((l) => l.head().height))
  for (const i of [0, 5, 17]) assert.ok((r.ledgers[i]?.head().height ?? 0) >= top - 1, `node ${i} caught up`)
  onePrefix(r)
})

test('equivocating producers holding a third of the committee or less never cause two final blocks at one height', async () => {
  for (const byzantine of [1, 3, 5]) {
    const r = await simulate({ nodes: 20, durationMs: 5 * MIN, seed: 5, byzantine, behaviour: 'equivocate' })
    assert.deepEqual(r.figures.safetyViolations, [], `${byzantine} byzantine`)
    assert.ok(r.figures.adversary.equivocations > 0)
    onePrefix(r)
  }
})

test('with more than a third of the committee equivocating the simulator reports the safety violation', async () => {
  const r = await simulate({ nodes: 20, durationMs: MIN, seed: 5, byzantine: 6, behaviour: 'equivocate' })
  const v = r.figures.safetyViolations[0]
  assert.ok(v !== undefined, 'a violation is reported')
  assert.notEqual(v.hashes[0], v.hashes[1])
  assert.equal(r.ledgers[v.nodes[0]]?.at(v.height)?.hash, v.hashes[0])
  assert.equal(r.ledgers[v.nodes[1]]?.at(v.height)?.hash, v.hashes[1])
})

test('invalid blocks are refused with LUCID_ERR_5008 and fallbacks keep the chain going', async () => {
  const r = await simulate({ nodes: 20, durationMs: 10 * MIN, seed: 6, byzantine: 2, behaviour: 'invalid' })
  const f = r.figures
  assert.ok(f.adversary.invalidBlocks > 0)
  assert.ok((f.rejected.LUCID_ERR_5008 ?? 0) > 0)
  // The slot's fallback (or the next round's leader) fills the slot an invalid block left.
  assert.ok(f.fallbacks >= f.adversary.invalidBlocks / 2, `${f.fallbacks} fallback blocks for ${f.adversary.invalidBlocks} invalid ones`)
  assert.deepEqual(f.safetyViolations, [])
  assert.equal(f.stalledAtEnd, false)
  for (const fin of r.ledgers[5]?.range(1, r.ledgers[5].head().height) ?? []) assert.ok(!r.byzantine.includes(r.ids.indexOf(fin.block.header.producer)))
})
