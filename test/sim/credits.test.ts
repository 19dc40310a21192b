/**
 * The credit economy's bounds (docs/chain.md, "Credits"; issue 19): E2, the earliest epoch an operator flooding
 * receipted claims with any number of identities can hold a third of the committee's weight, and E1, when an
 * honest newcomer sits on a committee with room; then a simulated run of both, judged against them.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_PARAMS } from '../../services/chain/index.ts'
import { captureBound, creditVerdict, joinBound, simulate, simVerdict } from '../../sim/network/index.ts'

test('E2 grows as the service share shrinks and with the honest history behind the chain; E1 follows the uptime minimum', () => {
  assert.equal(captureBound(1_000, 0), 14)
  assert.equal(captureBound(1_000, 7), 19)
  assert.ok(captureBound(2_500, 0) < captureBound(1_000, 0))
  assert.ok(captureBound(500, 0) > captureBound(1_000, 0))
  // With no service share an operator only keeps the share it has: from nothing, never.
  assert.equal(captureBound(0, 0), Number.POSITIVE_INFINITY)
  assert.equal(joinBound(DEFAULT_PARAMS, 0), 3)
  assert.equal(joinBound({ ...DEFAULT_PARAMS, min_uptime_bp: 5_000 }, 2), 7)
})

test('simulated: four identities flooding claims thousands of times over the cap stay under a third until past E2; the honest newcomer joins by E1', async () => {
  const r = await simulate({
    nodes: 4,
    durationMs: 17 * 48 * 10_000,
    seed: 2,
    params: { slots_per_epoch: 48 },
    newcomers: { honest: 1, sybils: 4 },
    freshSync: false
  })
  const c = r.figures.credits
  assert.ok(c !== undefined)
  assert.equal(c.epochs, 16)
  assert.equal(c.committeeRoom, true)
  assert.ok(c.claimedOverCap > 100, `claims only ${c.claimedOverCap}x the cap: the operator did not push`)
  // Its weight rises (it takes the whole service cap and votes), slowly.
  assert.ok((c.sybilShare[15] as number) > (c.sybilShare[3] as number))
  assert.ok(c.sybilCaptureEpoch === null || c.sybilCaptureEpoch >= c.e2Bound, `captured at ${c.sybilCaptureEpoch}`)
  assert.ok(c.newcomerJoinEpoch !== null && c.newcomerJoinEpoch <= c.e1Bound, `newcomer joined at ${c.newcomerJoinEpoch}`)
  assert.deepEqual(creditVerdict(c), [])
  assert.deepEqual(simVerdict(r.figures).reasons, [])
  assert.equal(r.figures.safetyViolations.length, 0)
})

test('the credit verdict fails a capture before E2 and a newcomer later than E1', () => {
  const base = {
    epochs: 16,
    registeredEpoch: 0,
    sybilShare: [],
    sybilCaptureEpoch: null,
    newcomerJoinEpoch: 2,
    committeeRoom: true,
    claimedOverCap: 1000,
    e1Bound: 3,
    e2Bound: 14
  }
  assert.deepEqual(creditVerdict(base), [])
  assert.equal(creditVerdict({ ...base, sybilCaptureEpoch: 9 }).length, 1)
  assert.equal(creditVerdict({ ...base, newcomerJoinEpoch: null }).length, 1)
  assert.deepEqual(creditVerdict({ ...base, newcomerJoinEpoch: null, committeeRoom: false }), [])
})
