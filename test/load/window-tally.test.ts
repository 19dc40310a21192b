/**
 * The open-model generator's bookkeeping (load/open.ts WindowTally): what counts in the window, what is on
 * time, and that every failure (a non-2xx answer, a connection error, a request never answered) is recorded
 * at the client timeout, so a server that fails fast cannot look fast.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { WindowTally } from '../../load/open.ts'

// Window from t = 1000 ms (1 s of warm-up after start = 0), on time until 5000, client timeout 2000 ms.
const tally = (): WindowTally => new WindowTally(0, 1000, 2000, 5000)

test('warm-up requests are outside the window; the window starts at the warm-up end', () => {
  const t = tally()
  assert.equal(t.inWindow(999), false)
  assert.equal(t.inWindow(1000), true)
})

test('a 2xx is recorded from its due time (corrected) and from its send (uncorrected), bucketed by due second', () => {
  const t = tally()
  t.sent(1000, 1100)
  t.answered(1000, 1100, 1150, 200)
  t.answered(2500, 2500, 2510, 204)
  assert.equal(t.completed, 2)
  assert.equal(t.errors, 0)
  assert.equal(t.sentOnTime, 1)
  assert.equal(t.corrected.totalCount, 2)
  assert.ok(Math.abs(t.corrected.maxValue / 1000 - 150) < 1, 'corrected: 150 ms from the due time')
  assert.ok(Math.abs(t.uncorrected.maxValue / 1000 - 50) < 1, 'uncorrected: 50 ms from the send')
  assert.deepEqual(
    t.perSecond.map((s) => [s.completed, s.errors]),
    [
      [1, 0],
      [1, 0]
    ]
  )
})

test('a late send is not on time; a non-2xx and a connection error count as errors at the timeout', () => {
  const t = tally()
  t.sent(4000, 5001)
  assert.equal(t.sentOnTime, 0)
  t.answered(1000, 1000, 1001, 503)
  t.failed(1200, 'UND_ERR_HEADERS_TIMEOUT')
  t.failed(1300, 'ECONNREFUSED')
  assert.equal(t.completed, 1)
  assert.equal(t.non2xx, 1)
  assert.equal(t.errors, 3)
  assert.equal(t.timeouts, 1)
  assert.equal(t.corrected.totalCount, 3)
  assert.ok(Math.abs(t.corrected.getValueAtPercentile(1) / 1000 - 2000) < 2, 'every failure at the 2000 ms timeout')
})

test('requests of the window never answered are abandoned as failures at the timeout', () => {
  const t = tally()
  t.answered(1000, 1000, 1010, 200)
  t.answered(1001, 1001, 1010, 500)
  t.failed(1002, 'ECONNRESET')
  // 5 intended, 3 answered (two responses and one connection error): 2 abandoned.
  assert.equal(t.abandon(5), 2)
  assert.equal(t.corrected.totalCount, 5)
  assert.equal(t.abandon(3), 0)
})
