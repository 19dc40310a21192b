/**
 * The consensus battery (sim/network/battery.ts, battery-run.ts; `lucid sim chain --profile`): the scenario
 * list and each seed's options, the aggregation over seeds, the verdict (a failing run fails the battery,
 * nothing run or a missing seed never passes), and a tiny battery through the worker threads and the command.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseSimArgs, simCommand } from '../../cli/commands/bench/sim.ts'
import { validateReport, type Report } from '../../harness/report/schema.ts'
import { TARGETS } from '../../cases/index.ts'
import { specsFor } from '../../harness/verdict.ts'
import { isLucidError } from '../../services/common/errors.ts'
import { captureStdout } from '../fixtures/stdout.ts'
import {
  BATTERY_PLANS,
  batteryMetrics,
  batteryScenarios,
  scenarioSeeds,
  batteryVerdict,
  committeeOf,
  partitionGroups,
  renderBattery,
  reproduceCommand,
  runBattery,
  scenario,
  scenarioMetrics,
  scenarioOptions,
  simulate,
  summarise,
  type BatteryRun,
  type SimFigures
} from '../../sim/network/index.ts'

const MIN = 60_000

/** Figures of a run that went well, with `over` on top (only what the battery reads matters). */
function fig(over: Partial<SimFigures> = {}): SimFigures {
  return {
    nodes: 4,
    simS: 1800,
    slots: 180,
    blocks: 180,
    safetyViolations: [],
    stallAfterFaultS: 10,
    faultEndS: 0,
    finalityP50S: 0.15,
    finalityP99S: 0.2,
    messagesPerBlock: 36,
    wallS: 1,
    ...over
  } as unknown as SimFigures
}

/** Runs simCommand with stdout captured. */
async function captured(argv: string[]): Promise<{ code: number; out: string }> {
  const { value, out } = await captureStdout(async () => await simCommand(argv))
  return { code: value, out }
}

describe('consensus battery', () => {
  let dir = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lucid-battery-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('lists every fault at every size of the profile, with f = floor((K - 1) / 3)', () => {
    assert.deepEqual(committeeOf(4), { k: 4, f: 1 })
    assert.deepEqual(committeeOf(20), { k: 16, f: 5 })
    assert.deepEqual(committeeOf(100), { k: 16, f: 5 })
    const quick = batteryScenarios(BATTERY_PLANS.quick)
    assert.equal(quick.length, 24)
    assert.equal(new Set(quick.map((s) => s.id)).size, 24)
    assert.ok(BATTERY_PLANS.quick.seeds.length >= 20)
    assert.deepEqual(
      quick.filter((s) => s.nodes === 20).map((s) => s.id),
      [
        'n20_loss_1pct',
        'n20_loss_2pct',
        'n20_loss_5pct',
        'n20_partition_1m_halves',
        'n20_partition_1m_minority',
        'n20_partition_10m_halves',
        'n20_partition_10m_minority',
        'n20_byzantine_equivocate',
        'n20_byzantine_silent',
        'n20_byzantine_double',
        'n20_crash',
        'n20_sybil_4'
      ]
    )
    // The sybil scenario runs 17 epochs of 48 slots, whatever the profile's duration.
    assert.equal(quick.find((s) => s.id === 'n4_sybil_4')?.durationMs, 17 * 48 * 10_000)
    // ... for 5 seeds at most, the others for all of the plan's.
    const sybil = quick.find((s) => s.id === 'n4_sybil_4')
    const loss = quick.find((s) => s.id === 'n4_loss_1pct')
    assert.ok(sybil !== undefined && loss !== undefined)
    assert.deepEqual(scenarioSeeds(sybil, BATTERY_PLANS.quick), [1, 2, 3, 4, 5])
    assert.equal(scenarioSeeds(loss, BATTERY_PLANS.quick).length, BATTERY_PLANS.quick.seeds.length)
    assert.deepEqual(
      batteryScenarios(BATTERY_PLANS.full).map((s) => s.nodes),
      Array(12).fill(100)
    )
    // Halves leave neither side a quorum of the committee; the minority side has f members.
    const inK = (g: number[], k: number): number => g.filter((i) => i < k).length
    const [a, b] = partitionGroups(20, 'halves')
    assert.deepEqual([inK(a, 16), inK(b, 16), a.length + b.length], [8, 8, 20])
    const [maj, min] = partitionGroups(100, 'minority')
    assert.deepEqual([inK(maj, 16), inK(min, 16), maj.length + min.length], [11, 5, 100])
    assert.deepEqual(partitionGroups(4, 'minority'), [[0, 1, 2], [3]])
  })

  it('places faults from the seed: the same seed, the same options; crashes at random points of a slot', () => {
    const crash = scenario(20, 30 * MIN, { kind: 'crash', minMs: MIN, maxMs: 3 * MIN })
    assert.deepEqual(scenarioOptions(crash, 7), scenarioOptions(crash, 7))
    assert.notDeepEqual(scenarioOptions(crash, 7), scenarioOptions(crash, 8))
    const offsets = new Set<number>()
    for (let seed = 1; seed <= 20; seed++) {
      const o = scenarioOptions(crash, seed)
      assert.equal(o.seed, seed)
      const crashes = o.crashes ?? []
      assert.equal(crashes.length, 5)
      assert.equal(new Set(crashes.flatMap((c) => c.nodes)).size, 5)
      for (const c of crashes) {
        assert.ok(
          c.nodes.every((n) => n < 16),
          'committee members crash'
        )
        assert.ok(c.toMs - c.fromMs >= MIN && c.toMs - c.fromMs <= 3 * MIN)
        assert.ok(c.fromMs >= 2 * MIN && c.toMs < 30 * MIN)
        offsets.add(c.fromMs % 10_000)
      }
    }
    assert.ok(offsets.size > 50, 'crash starts land at many points within the slot')
    const p = scenarioOptions(scenario(4, 30 * MIN, { kind: 'partition', lengthMs: 10 * MIN, split: 'halves' }), 3).partitions?.[0]
    assert.ok(p !== undefined && p.toMs - p.fromMs === 10 * MIN && p.fromMs >= 5 * MIN && p.fromMs < 5 * MIN + 10_000)
    // The command that reproduces a seed parses back into the same options.
    for (const s of [...batteryScenarios(BATTERY_PLANS.quick), ...batteryScenarios(BATTERY_PLANS.full)]) {
      const argv = reproduceCommand(s, 9).replace(/'/g, '').split(' ').slice(2)
      assert.deepEqual({ ...parseSimArgs(argv).opts, freshSync: false }, scenarioOptions(s, 9), s.id)
    }
    assert.deepEqual(scenarioOptions(scenario(20, 30 * MIN, { kind: 'byzantine', behaviour: 'silent' }), 1), {
      nodes: 20,
      durationMs: 30 * MIN,
      seed: 1,
      freshSync: false,
      byzantine: 5,
      behaviour: 'silent'
    })
  })

  it('aggregates over seeds: safety summed, the worst stall and its seed, median p50, max p99, mean messages', () => {
    const s = scenario(4, 30 * MIN, { kind: 'loss', loss: 0.01 })
    const runs: BatteryRun[] = [
      { scenario: s.id, seed: 1, figures: fig({ finalityP50S: 0.1, finalityP99S: 0.3, messagesPerBlock: 30 }) },
      { scenario: s.id, seed: 2, figures: fig({ finalityP50S: 0.2, finalityP99S: 5.1, messagesPerBlock: 40, stallAfterFaultS: 30 }) },
      { scenario: s.id, seed: 3, figures: fig({ finalityP50S: 0.3, finalityP99S: 0.2, messagesPerBlock: 50 }) },
      { scenario: 'other', seed: 1, figures: fig({ stallAfterFaultS: 900 }) }
    ]
    const sum = summarise(s, 3, runs)
    assert.equal(sum.runs, 3)
    assert.equal(sum.pass, true)
    assert.equal(sum.goalMet, true)
    assert.deepEqual([sum.stallAfterFaultS, sum.stallSlots, sum.worstSeed], [30, 3, 2])
    assert.deepEqual([sum.finalityP50S, sum.finalityP99S, sum.messagesPerBlock], [0.2, 5.1, 40])
    const m = scenarioMetrics(sum)
    assert.deepEqual([m.safety_violations_count, m.stall_slots_after_fault_count, m.failed_runs_count, m.seeds_count], [0, 3, 0, 3])
    for (const name of Object.keys(m)) assert.match(name, /(_s|_count|_ratio|_per_block)$/)
    assert.equal(batteryVerdict([sum]).pass, true)

    // Over the goal but within the must: a pass that names the seed.
    const slow = summarise(s, 1, [{ scenario: s.id, seed: 4, figures: fig({ stallAfterFaultS: 60 }) }])
    assert.deepEqual([slow.pass, slow.goalMet, slow.overGoal], [true, false, [4]])
    assert.match(renderBattery([slow]), /goal 3 slots missed: seeds 4/)
    // A stall of more than 10 slots, a safety violation, a run with no figures, a seed missing: each fails.
    const stalled = summarise(s, 1, [{ scenario: s.id, seed: 1, figures: fig({ stallAfterFaultS: 110 }) }])
    const unsafe = summarise(s, 1, [
      { scenario: s.id, seed: 1, figures: fig({ safetyViolations: [{ height: 3, hashes: ['a', 'b'], nodes: [0, 1], atMs: 1 }] }) }
    ])
    const crashed = summarise(s, 1, [{ scenario: s.id, seed: 1, error: 'boom' }])
    const missing = summarise(s, 3, runs.slice(0, 2))
    for (const bad of [stalled, unsafe, crashed, missing]) assert.equal(bad.pass, false)
    assert.equal(unsafe.safetyViolations, 1)
    assert.equal(batteryVerdict([sum, stalled]).pass, false)
    assert.match(batteryVerdict([sum, crashed]).reasons.join(), /n4_loss_1pct: .*seed 1: no figures: boom/)
    assert.equal(scenarioMetrics(crashed).finality_p99_s, undefined, 'a figure nobody measured is left out, so its target fails closed')
    // Nothing ran: never a pass.
    assert.deepEqual(batteryVerdict([]), { pass: false, reasons: ['no scenario ran'] })
    assert.equal(summarise(s, 0, []).pass, false)
    const all = batteryMetrics([sum, stalled])
    assert.deepEqual(
      [
        all.safety_violations_count,
        all.stall_slots_after_fault_count,
        all.failed_runs_count,
        all.failed_scenarios_count,
        all.n4_loss_1pct_stall_slots_after_fault_count
      ],
      [0, 11, 1, 1, 11]
    )
    // The targets of the bench case and of the command's results: musts and the 3-slot goal.
    for (const id of ['chain.battery', 'chain.battery_n4_loss_1pct']) {
      const specs = specsFor(id, TARGETS)
      assert.deepEqual(specs.targets.map((t) => `${t.metric}${t.op}${t.value}`).sort(), [
        'failed_runs_count<=0',
        'safety_violations_count<=0',
        'stall_slots_after_fault_count<=10'
      ])
      assert.deepEqual(
        specs.goals.map((t) => `${t.metric}${t.op}${t.value}`),
        ['stall_slots_after_fault_count<=3']
      )
    }
  })

  it('runs on worker threads, deterministically per seed, and a failing scenario fails the battery', async () => {
    const plan = { profile: 'smoke' as const, sizes: [4], durationMs: 5 * MIN, seeds: [1, 2] }
    const ok = scenario(4, plan.durationMs, { kind: 'loss', loss: 0.01 })
    const doomed = scenario(4, plan.durationMs, { kind: 'loss', loss: 0.9 })
    const seen: string[] = []
    const r = await runBattery(
      plan,
      {
        threads: 2,
        onRun: (run, done, total) => {
          seen.push(`${run.scenario}/${run.seed} ${done}/${total}`)
        }
      },
      [ok, doomed]
    )
    assert.equal(r.threads, 2)
    assert.equal(seen.length, 4)
    assert.deepEqual(
      r.runs.map((x) => `${x.scenario}/${x.seed}`),
      ['n4_loss_1pct/1', 'n4_loss_1pct/2', 'n4_loss_90pct/1', 'n4_loss_90pct/2']
    )
    const [good, bad] = r.summaries
    assert.equal(good?.pass, true, JSON.stringify(good?.failures))
    assert.equal(good?.runs, 2)
    assert.equal(bad?.pass, false)
    assert.equal(bad?.failures.length, 2)
    const v = batteryVerdict(r.summaries)
    assert.equal(v.pass, false)
    assert.match(v.reasons.join('\n'), /^n4_loss_90pct: seed 1: /m)
    // The figures a worker sent back are the ones an in-process run of the same options gives.
    const direct = (await simulate(scenarioOptions(ok, 2))).figures
    const fromWorker = r.runs.find((x) => x.scenario === ok.id && x.seed === 2)?.figures
    assert.deepEqual({ ...fromWorker, wallS: 0 }, { ...direct, wallS: 0 })
  })

  it('lucid sim chain --profile: a table, a report with one judged result per scenario, exit 0 on a pass', async () => {
    const file = join(dir, 'battery.json')
    const r = await captured(['chain', '--profile', 'quick', '--scenario', 'n4_loss_1pct', '--seeds', '2', '--threads', '2', '--json', file])
    assert.equal(r.code, 0, r.out)
    assert.match(r.out, /^n4_loss_1pct\s+2\/2\s+0\s/m)
    assert.match(r.out, /verdict: PASS/)
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report
    assert.deepEqual(validateReport(report), [])
    assert.equal(report.profile, 'quick')
    assert.equal(report.verdict, 'pass')
    assert.deepEqual(
      report.results.map((e) => e.id),
      ['chain.battery_n4_loss_1pct']
    )
    const e = report.results[0]
    assert.equal(e?.conditions.nodes, 4)
    assert.equal(e?.conditions.seeds, '1-2')
    assert.equal(e?.conditions.loss, 0.01)
    assert.equal(e?.repeats.length, 2)
    assert.deepEqual(
      e?.targets.map((t) => t.verdict),
      ['pass', 'pass', 'pass']
    )
    assert.equal(e?.goals.length, 1)
  })

  it('refuses bad usage of --profile', async () => {
    const usage =
      (code: string, pattern: RegExp) =>
      (err: unknown): boolean => {
        assert.ok(isLucidError(err), String(err))
        assert.equal(err.code, code)
        assert.equal(err.statusCode, 2)
        assert.match(err.message, pattern)
        return true
      }
    await assert.rejects(simCommand(['chain', '--profile', 'huge']), usage('LUCID_ERR_9003', /--profile/))
    await assert.rejects(simCommand(['chain', '--profile', 'quick', '--nodes', '4']), usage('LUCID_ERR_9001', /--nodes/))
    await assert.rejects(simCommand(['chain', '--profile', 'quick', '--seeds', '0']), usage('LUCID_ERR_9003', /--seeds/))
    await assert.rejects(simCommand(['chain', '--profile', 'quick', '--scenario', 'nothing']), usage('LUCID_ERR_9003', /--scenario/))
    await assert.rejects(simCommand(['chain', '--nodes', '4', '--duration', '1m', '--seeds', '3']), usage('LUCID_ERR_9001', /--profile/))
  })
})
