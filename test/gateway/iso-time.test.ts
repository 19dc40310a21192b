/** isoTime: the memoised ISO text of stored timestamps answers exactly what Date does, first use or not. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isoTime } from '../../services/gateway/iso-time.ts'

test('isoTime equals Date#toISOString on first and repeated use; out-of-range times throw and are not remembered', () => {
  const times = [0, 1, -1, 1_764_800_000_123, 8.64e15, -8.64e15, 1_700_000_000_000.5]
  for (let round = 0; round < 2; round++) for (const t of times) assert.equal(isoTime(t), new Date(t).toISOString(), String(t))
  for (const bad of [Number.NaN, 8.64e15 + 1, Number.POSITIVE_INFINITY]) {
    assert.throws(() => isoTime(bad), RangeError)
    assert.throws(() => isoTime(bad), RangeError, 'a second call throws too: nothing was remembered')
  }
  // Past its bound the memo starts again; answers stay exact.
  for (let i = 0; i < 60_000; i++) assert.equal(isoTime(1_000_000 + i * 1000), new Date(1_000_000 + i * 1000).toISOString())
  assert.equal(isoTime(times[3] as number), new Date(times[3] as number).toISOString())
})
