import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseSimArgs, simCommand } from '../../cli/commands/bench/sim.ts'
import { validateReport, type Report } from '../../harness/report/schema.ts'
import { isLucidError } from '../../services/common/errors.ts'
import { captureStdout } from '../fixtures/stdout.ts'

/** Runs simCommand with stdout captured. */
async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const { value, out } = await captureStdout(async () => await simCommand(argv))
  return { code: value, out }
}

const usage =
  (code: string, pattern?: RegExp) =>
  (err: unknown): boolean => {
    assert.ok(isLucidError(err), String(err))
    assert.equal(err.code, code)
    assert.equal(err.statusCode, 2)
    if (pattern !== undefined) assert.match(err.message, pattern)
    return true
  }

describe('lucid sim chain', () => {
  let dir = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lucid-sim-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('refuses bad usage with LUCID_ERR_9001 and bad values with LUCID_ERR_9003', async () => {
    await assert.rejects(simCommand([]), usage('LUCID_ERR_9001'))
    await assert.rejects(simCommand(['network']), usage('LUCID_ERR_9001'))
    await assert.rejects(simCommand(['chain', '--duration', '1h']), usage('LUCID_ERR_9001', /--nodes/))
    await assert.rejects(simCommand(['chain', '--nodes', '4', '--duration', '1h', '--warp', '9']), usage('LUCID_ERR_9001', /warp/))
    await assert.rejects(simCommand(['chain', '--nodes', 'four', '--duration', '1h']), usage('LUCID_ERR_9003', /--nodes/))
    await assert.rejects(simCommand(['chain', '--nodes', '0', '--duration', '1h']), usage('LUCID_ERR_9003', /--nodes/))
    await assert.rejects(simCommand(['chain', '--nodes', '4', '--duration', '1 hour']), usage('LUCID_ERR_9003', /--duration/))
    await assert.rejects(simCommand(['chain', '--nodes', '4', '--duration', '1h', '--latency', '80ms-20ms']), usage('LUCID_ERR_9003', /--latency/))
    await assert.rejects(simCommand(['chain', '--nodes', '4', '--duration', '1h', '--loss', '100%']), usage('LUCID_ERR_9003', /--loss/))
    await assert.rejects(simCommand(['chain', '--nodes', '4', '--duration', '1h', '--partition', '10m-5m:0|1-3']), usage('LUCID_ERR_9003', /--partition/))
    await assert.rejects(simCommand(['chain', '--nodes', '4', '--duration', '1h', '--partition', '5m-10m:0-1|1-3']), usage('LUCID_ERR_9003', /two groups/))
    await assert.rejects(simCommand(['chain', '--nodes', '4', '--duration', '1h', '--partition', '5m-10m:0-4|5']), usage('LUCID_ERR_9003', /0 to 3/))
    await assert.rejects(simCommand(['chain', '--nodes', '4', '--duration', '1h', '--crash', '5m:0']), usage('LUCID_ERR_9003', /--crash/))
    await assert.rejects(simCommand(['chain', '--nodes', '4', '--duration', '1h', '--byzantine', '5']), usage('LUCID_ERR_9003', /--byzantine/))
    await assert.rejects(simCommand(['chain', '--nodes', '4', '--duration', '1h', '--behaviour', 'lazy']), usage('LUCID_ERR_9003', /--behaviour/))
    await assert.rejects(simCommand(['chain', '--nodes', '4', '--duration', '1h', '--json', join(dir, 'no', 'such', 'dir', 'r.json')]), usage('LUCID_ERR_9004'))
  })

  it('parses the specs into the simulator options', () => {
    const { opts, json } = parseSimArgs([
      'chain',
      '--nodes',
      '10',
      '--duration',
      '1h30m',
      '--latency',
      '50ms~10ms',
      '--loss',
      '1%',
      '--partition',
      '10m-20m:0-3,8|4-7;30m-40m:0',
      '--crash',
      '5m-6m:2,9',
      '--byzantine',
      '3',
      '--behaviour',
      'invalid',
      '--tx-rate',
      '2',
      '--seed',
      '9',
      '--json',
      join(dir, 'x.json')
    ])
    assert.equal(opts.durationMs, 90 * 60_000)
    assert.deepEqual(opts.latency, { kind: 'normal', meanMs: 50, sdMs: 10 })
    assert.equal(opts.loss, 0.01)
    assert.deepEqual(opts.partitions, [
      {
        fromMs: 600_000,
        toMs: 1_200_000,
        groups: [
          [0, 1, 2, 3, 8],
          [4, 5, 6, 7]
        ]
      },
      { fromMs: 1_800_000, toMs: 2_400_000, groups: [[0]] }
    ])
    assert.deepEqual(opts.crashes, [{ fromMs: 300_000, toMs: 360_000, nodes: [2, 9] }])
    assert.equal(opts.byzantine, 3)
    assert.equal(opts.behaviour, 'invalid')
    assert.equal(opts.txPerS, 2)
    assert.equal(opts.seed, 9)
    assert.equal(json, join(dir, 'x.json'))
  })

  it('shows progress on a terminal by default, every 10 s anywhere with --progress, never with --quiet', async () => {
    const base = ['chain', '--nodes', '4', '--duration', '1h']
    assert.equal(parseSimArgs(base).progress, 'auto')
    assert.equal(parseSimArgs([...base, '--progress']).progress, 'lines')
    assert.equal(parseSimArgs([...base, '--quiet']).progress, 'off')
    assert.equal(parseSimArgs([...base, '-q']).progress, 'off')
    await assert.rejects(simCommand([...base, '--quiet', '--progress']), usage('LUCID_ERR_9001', /contradict/))
  })

  it('prints the figures and writes a valid lucid-bench/1 report', async () => {
    const file = join(dir, 'sim.json')
    const r = await run(['chain', '--nodes', '8', '--duration', '5m', '--loss', '1%', '--seed', '3', '--json', file])
    assert.equal(r.code, 0)
    for (const label of ['blocks', 'slots', 'finality', 'throughput', 'forks', 'safety', 'liveness', 'catch-up', 'fresh node', 'speed'])
      assert.match(r.out, new RegExp(`^${label}\\s`, 'm'))
    assert.match(r.out, /safe: no two final blocks at one height/)
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report
    assert.deepEqual(validateReport(report), [])
    assert.equal(report.results.length, 1)
    const e = report.results[0]
    assert.equal(e?.id, 'chain.sim')
    assert.equal(e?.conditions.nodes, 8)
    assert.equal(e?.conditions.loss, 0.01)
    assert.equal(e?.metrics.safety_violations_count, 0)
    assert.ok((e?.metrics.blocks_count ?? 0) >= 25)
    for (const m of [
      'interval_mean_s',
      'interval_stdev_s',
      'missed_slots_count',
      'fallback_blocks_count',
      'finality_p50_s',
      'finality_p95_s',
      'finality_p99_s',
      'tx_per_s',
      'forks_count',
      'orphans_count',
      'fresh_sync_s',
      'day_wall_s',
      'events_per_s',
      'baseline_events_per_s',
      'baseline_before_events_per_s',
      'baseline_after_events_per_s',
      'baseline_ratio',
      'run_cpu_s'
    ]) {
      assert.equal(typeof e?.metrics[m], 'number', m)
    }
    // The speed beside its same-process yardstick: a bare event queue runs far more events per second than the chain.
    assert.match(
      r.out,
      /^speed\s+.* events\/s of wall time \([\d.]+ s of CPU for the [\d.]+ s run\); a bare event queue here: .* events\/s \(the baseline, same process: .* before the run, .* after\), ratio \d/m
    )
    assert.ok((e?.metrics.baseline_events_per_s ?? 0) > (e?.metrics.events_per_s ?? Infinity))
  })

  it('exits 1 when two blocks became final at one height', async () => {
    const r = await run(['chain', '--nodes', '20', '--duration', '1m', '--byzantine', '6', '--seed', '5'])
    assert.equal(r.code, 1)
    assert.match(r.out, /safety\s+VIOLATED at \d+ height/)
  })
})
