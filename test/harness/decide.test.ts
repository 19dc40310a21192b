import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { allDecided, decide, holm, tCritical, tUpperP, type PairedSamples } from '../../harness/stats/decide.ts'
import { createRng } from '../../services/common/rng.ts'

const rng = createRng(2024)
/** Normal noise (Box-Muller). */
const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next())
/** `n` values around `mean` with relative noise `rel`. */
const around = (mean: number, rel: number, n: number): number[] => Array.from({ length: n }, () => mean * (1 + rel * gauss()))

const metric = (name: string, better: 'lower' | 'higher', base: number[], head: number[], targeted = true): PairedSamples => ({
  case: 'x.case',
  metric: name,
  better,
  targeted,
  base,
  head
})

describe('compare decision (pure)', () => {
  it('has the textbook t quantiles and tails', () => {
    assert.ok(Math.abs(tCritical(0.05, 10) - 2.228) < 0.001)
    assert.ok(Math.abs(tCritical(0.01, 5) - 4.032) < 0.001)
    assert.ok(Math.abs(tUpperP(1.812, 10) - 0.05) < 0.001)
    assert.ok(Math.abs(tUpperP(-1.812, 10) - 0.95) < 0.001)
  })

  it('adjusts p-values with Holm step-down', () => {
    // m = 4: sorted 0.01, 0.02, 0.03, 0.5 -> 0.04, 0.06, 0.06 (running max), 0.5
    assert.deepEqual(
      holm([0.03, 0.01, 0.5, 0.02]).map((p) => Number(p.toFixed(6))),
      [0.06, 0.04, 0.5, 0.06]
    )
    assert.deepEqual(holm([]), [])
    assert.deepEqual(holm([Number.NaN]), [1])
  })

  it('identical samples: no difference', () => {
    const v = around(100, 0.05, 8)
    const [d] = decide([metric('p95_ms', 'lower', v, [...v])], { minEffect: 0.05 })
    assert.equal(d?.decision, 'same')
    assert.equal(d?.ratio, 1)
    assert.equal(d?.n, 8)
  })

  it('same distribution, tight noise: no difference on every metric, never a regression', () => {
    for (let trial = 0; trial < 20; trial++) {
      const samples = Array.from({ length: 20 }, (_, k) => {
        const level = 10 + k
        return metric(`m${k}_ms`, 'lower', around(level, 0.01, 12), around(level, 0.01, 12))
      })
      const ds = decide(samples, { minEffect: 0.05 })
      assert.ok(
        ds.every((d) => d.decision === 'same'),
        JSON.stringify(ds.map((d) => [d.metric, d.ratio, d.p_same]))
      )
    }
  })

  it('a 20 % shift: a decided regression, or improvement, by the metric`s better side', () => {
    const base = around(100, 0.03, 8)
    const slower = base.map((v) => v * 1.2 * (1 + 0.03 * gauss()))
    const [lat, rate] = decide([metric('p95_ms', 'lower', base, slower), metric('requests_per_s', 'higher', base, slower)], { minEffect: 0.05 })
    assert.equal(lat?.decision, 'regression', JSON.stringify(lat))
    assert.equal(rate?.decision, 'improvement', JSON.stringify(rate))
    assert.ok(lat!.ratio > 1.1 && lat!.ratio < 1.3)
    assert.ok(lat!.ci_low > 1 && lat!.ci_high > lat!.ratio)
  })

  it('budget exhausted with a wide interval: undecided', () => {
    // Three rounds, 30 % noise: neither inside nor outside the 5 % band can be shown.
    const [d] = decide([metric('p95_ms', 'lower', around(100, 0.3, 3), around(110, 0.3, 3))], { minEffect: 0.05 })
    assert.equal(d?.decision, 'undecided')
    assert.ok(d!.ci_high - d!.ci_low > 0.2)
    const one = decide([metric('p95_ms', 'lower', [1], [2])], { minEffect: 0.05 })
    assert.equal(one[0]?.decision, 'undecided', 'one round cannot be tested')
    assert.equal(allDecided(one), false)
    assert.equal(allDecided([]), false)
  })

  it('corrects for the number of metrics', () => {
    // A borderline shift that one test alone calls a regression is not decided among 40 metrics.
    const base = [100, 101, 99, 100, 102, 98]
    const head = [108, 112, 104, 110, 115, 106]
    const alone = decide([metric('p95_ms', 'lower', base, head)], { minEffect: 0.05 })[0]!
    assert.equal(alone.decision, 'regression', JSON.stringify(alone))
    const crowd = [metric('p95_ms', 'lower', base, head), ...Array.from({ length: 39 }, (_, k) => metric(`m${k}_ms`, 'lower', [...base], [...base]))]
    const among = decide(crowd, { minEffect: 0.05 })[0]!
    assert.ok(among.p_difference > alone.p_difference)
    assert.equal(among.decision, 'undecided', JSON.stringify(among))
  })

  it('a change smaller than the minimum effect is no difference once measured closely', () => {
    const base = around(100, 0.002, 10)
    const head = base.map((v) => v * 1.02 * (1 + 0.002 * gauss()))
    const [d] = decide([metric('p95_ms', 'lower', base, head)], { minEffect: 0.05 })
    assert.ok(d!.p < 0.001, 'the 2 % is significant ...')
    assert.equal(d?.decision, 'same', '... but within the minimum effect')
  })

  it('handles metrics at zero and deterministic ones', () => {
    const zeros = decide([metric('error_ratio', 'lower', [0, 0, 0], [0, 0, 0])], { minEffect: 0.05 })[0]!
    assert.equal(zeros.decision, 'same')
    const exact = decide([metric('compression_ratio', 'lower', [0.2, 0.2, 0.2], [0.25, 0.25, 0.25])], { minEffect: 0.05 })[0]!
    assert.equal(exact.decision, 'regression')
    const errors = decide([metric('error_ratio', 'lower', [0, 0, 0, 0], [0.5, 0.4, 0.6, 0.5])], { minEffect: 0.05 })[0]!
    assert.equal(errors.decision, 'regression')
    assert.ok(Number.isFinite(errors.ratio))
  })

  it('pairs rounds, so a drift of the machine cancels', () => {
    // The machine slows down 3x over the rounds; within each round both trees see the same speed.
    const drift = Array.from({ length: 8 }, (_, i) => 1 + (2 * i) / 7)
    const base = drift.map((f) => 100 * f * (1 + 0.01 * gauss()))
    const head = drift.map((f) => 100 * f * (1 + 0.01 * gauss()))
    assert.equal(decide([metric('p95_ms', 'lower', base, head)], { minEffect: 0.05 })[0]?.decision, 'same')
  })
})
