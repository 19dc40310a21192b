import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { findMaxRate } from '../../load/capacity.ts'
import { parseCpuList, pinProcess } from '../../load/pin.ts'
import { isLucidError } from '../../services/common/errors.ts'
import type { CapacityPoint } from '../../harness/case.ts'

/** A simulated server whose p99 is flat until 3000 req/s, then climbs steeply (queueing past saturation). */
const knee = async (rate: number): Promise<CapacityPoint> => {
  const p99 = rate <= 3000 ? 5 : 5 + (rate - 3000) * 0.5
  return { rate_per_s: rate, p99_ms: p99, uncorrected_p99_ms: 5, achieved_rate_per_s: Math.min(rate, 3300), held: true, error_ratio: 0 }
}

describe('capacity search', () => {
  it('finds the highest rate under the p99 bound within 5 %', async () => {
    const { maxRate, curve } = await findMaxRate({ startRate: 500, p99BoundMs: 50, measure: knee })
    // p99 <= 50 ms up to 3090 req/s.
    assert.ok(maxRate <= 3090 && maxRate >= 3090 * 0.95, `max ${maxRate}`)
    assert.ok(curve.length >= 4)
    assert.deepEqual(
      curve.map((c) => c.rate_per_s),
      [...curve.map((c) => c.rate_per_s)].sort((a, b) => a - b),
      'the curve is sorted by rate'
    )
  })

  it('does not count a rate the generator could not hold, nor one with errors', async () => {
    const { maxRate } = await findMaxRate({
      startRate: 1000,
      p99BoundMs: 50,
      measure: async (rate) => ({ ...(await knee(rate)), held: rate < 1500, error_ratio: 0 })
    })
    assert.ok(maxRate < 1500 && maxRate >= 1400, `max ${maxRate}`)
    const { maxRate: none } = await findMaxRate({
      startRate: 100,
      p99BoundMs: 50,
      maxSteps: 4,
      measure: async (rate) => ({ ...(await knee(rate)), error_ratio: 0.5 })
    })
    assert.equal(none, 0, 'a server that only errs has no capacity')
  })
})

describe('CPU pinning', () => {
  it('validates CPU lists', () => {
    assert.equal(parseCpuList('0-1', '--pin-load'), '0-1')
    assert.throws(
      () => parseCpuList('all', '--pin-load'),
      (e) => isLucidError(e, 'LUCID_ERR_9003')
    )
  })

  it('pins a running process and all its threads', () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' })
    try {
      pinProcess(child.pid!, '0')
      const out = execFileSync('taskset', ['-cp', String(child.pid)]).toString()
      assert.match(out, /current affinity list: 0\s*$/)
      assert.throws(
        () => pinProcess(child.pid!, '999'),
        (e) => isLucidError(e, 'LUCID_ERR_9003')
      )
    } finally {
      child.kill()
    }
  })
})
