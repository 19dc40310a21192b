import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { TICK_EVENTS, parseCrashes, parsePartitions, simulate, type SimOptions } from '../../sim/network/index.ts'

// Issue 24 made the simulator faster, never different: these four runs' figures (wall times zeroed) and every
// node's final head were computed with the code before it (commit 364bb40) and must come out byte for byte.
// Issue 19 changed the protocol (consensus credits in the state, late precommits in parent certificates), so
// they were computed again with its code; speed-ups since must keep them.
// Together they pass through loss, a crash and its sync, a partition and equivocating byzantine members.
const MIN = 60_000
const RUNS: Record<string, SimOptions> = {
  n20: { nodes: 20, durationMs: 30 * MIN, seed: 1 },
  n4loss: { nodes: 4, durationMs: 30 * MIN, seed: 3, loss: 0.05 },
  n20mix: { nodes: 20, durationMs: 20 * MIN, seed: 2, loss: 0.02, crashes: parseCrashes('5m-7m:3', 20), partitions: parsePartitions('10m-12m:0-10|11-19', 20) },
  n20byz: { nodes: 20, durationMs: 15 * MIN, seed: 4, byzantine: 5, behaviour: 'equivocate' }
}
const pinned = JSON.parse(readFileSync(new URL('../fixtures/sim-figures.json', import.meta.url), 'utf8')) as {
  runs: Record<string, { figures: unknown; heads: string[] }>
}

for (const [name, opts] of Object.entries(RUNS)) {
  test(`${name}: the pinned figures and heads, byte for byte`, async () => {
    const r = await simulate(opts)
    const f = r.figures
    const figures = { ...f, wallS: 0, freshSync: f.freshSync === undefined ? undefined : { ...f.freshSync, wallS: 0 } }
    const want = pinned.runs[name]
    assert.ok(want !== undefined)
    assert.equal(JSON.stringify(figures), JSON.stringify(want.figures))
    assert.deepEqual(
      r.ledgers.map((l) => l.head().hash),
      want.heads
    )
  })
}

test('a progress tick is not an event: the run with one is the run without', async () => {
  const opts: SimOptions = { nodes: 20, durationMs: 20 * MIN, seed: 5, loss: 0.02 }
  const ticks: number[] = []
  const [a, b] = [
    await simulate(opts),
    await simulate({
      ...opts,
      tick: (_simMs, events) => {
        ticks.push(events)
      }
    })
  ]
  assert.ok(ticks.length > 0)
  assert.deepEqual(
    ticks,
    ticks.map((_, i) => (i + 1) * TICK_EVENTS)
  )
  assert.equal(a.figures.events, b.figures.events)
  assert.deepEqual(
    a.ledgers.map((l) => l.head().hash),
    b.ledgers.map((l) => l.head().hash)
  )
})
