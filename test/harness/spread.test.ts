import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { incompleteBeta, spreadOf, t95, tTwoSidedP, welch } from '../../harness/stats/spread.ts'

const near = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`)

describe('spread and significance', () => {
  it('matches table values of the t distribution', () => {
    // Two-sided 95 % critical values from any t table.
    near(t95(1), 12.706, 0.002, 't95(1)')
    near(t95(2), 4.303, 0.001, 't95(2)')
    near(t95(4), 2.776, 0.001, 't95(4)')
    near(t95(30), 2.042, 0.001, 't95(30)')
    near(tTwoSidedP(2.228, 10), 0.05, 0.0005, 'p(2.228, 10)')
    near(incompleteBeta(0.5, 2, 3), 0.6875, 1e-9, 'I_0.5(2,3)')
  })

  it('gives the spread of repeats with a 95 % interval of the mean', () => {
    const s = spreadOf([10, 12, 14])
    assert.equal(s.mean, 12)
    assert.equal(s.min, 10)
    assert.equal(s.max, 14)
    assert.equal(s.stdev, 2)
    near(s.ci95_high - 12, (4.303 * 2) / Math.sqrt(3), 0.01, 'half width')
    const one = spreadOf([5])
    assert.deepEqual([one.ci95_low, one.ci95_high], [5, 5])
  })

  it("matches Welch's test on a worked example", () => {
    // By hand: means 11 and 14, both sd 1, so t = 3 / sqrt(1/3 + 1/3) = 3.674 and df = 4; p from a t table.
    const r = welch([10, 11, 12], [13, 14, 15])
    near(r.t, 3.674, 0.001, 't')
    near(r.df, 4, 1e-9, 'df')
    near(r.p, 0.0213, 0.0005, 'p')
    assert.ok(Number.isNaN(welch([1], [2, 3]).p), 'one repeat cannot be tested')
  })
})
