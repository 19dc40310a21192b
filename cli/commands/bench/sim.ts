/**
 * `lucid sim chain --nodes N --duration D [--latency L] [--loss P] [--partition SPEC] [--crash SPEC]
 * [--byzantine K] [--behaviour B] [--tx-rate R] [--seed S] [--json F]`: runs the virtual-time network simulator
 * (sim/network, docs/sim.md) and prints its figures and verdict; `--json F` writes them as a `lucid-bench/1`
 * report with one result, `chain.sim`. Exit 1 when the run fails (simVerdict: two final blocks at one height,
 * no final block, or a stall of more than 10 slots after the fault ends: a stalled chain is never a pass),
 * 2 for bad usage (LUCID_ERR_9001 / 9003).
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { errors } from '../../../services/common/errors.ts'
import {
  BEHAVIOURS, figureMetrics, parseCrashes, parseLatency, parseLoss, parsePartitions, parseTime, simVerdict, simulate,
  type Behaviour, type SimFigures, type SimOptions
} from '../../../sim/network/index.ts'
import { simConditions } from '../../../sim/conditions.ts'
import { captureEnv, finishEnv } from '../../../harness/env.ts'
import type { Report, ResultEntry } from '../../../harness/report/schema.ts'
import { TARGETS } from '../../../harness/targets.ts'
import { caseVerdict, judge, runVerdict, specsFor } from '../../../harness/verdict.ts'
import { assertWritable } from '../../output.ts'

const USAGE = `Usage: lucid sim chain --nodes N --duration D [--latency L] [--loss P] [--partition SPEC] [--crash SPEC]
                      [--byzantine K] [--behaviour B] [--tx-rate R] [--seed S] [--json F]

  --nodes N          validators (numbered by rank: 0..15 are the finality committee)
  --duration D       simulated time after genesis: 90s, 30m, 24h, 1h30m
  --latency L        one-way delay of every link: 50ms (default), 20ms-80ms (uniform), 50ms~10ms (normal)
  --loss P           probability a message is lost: 1% or 0.01 (default 0)
  --partition SPEC   FROM-TO:NODES|NODES[|...][;...]   e.g. 30m-45m:0-49|50-99 (unnamed nodes: one more group)
  --crash SPEC       FROM-TO:NODES[;...]               e.g. 2h-2h30m:3,17 (stop, then restart and sync)
  --byzantine K      the K highest-ranked nodes are byzantine (default 0)
  --behaviour B      what they do: equivocate (default; twin proposals, split votes), double (split votes),
                     silent (withholds votes) or invalid (bad block signatures)
  --tx-rate R        session anchors offered per simulated second (default 0.2)
  --seed S           seeds keys, delays, losses and the load (default 1)
  --json F           write a lucid-bench/1 report
Exit codes: 0 ran, stayed safe and kept finalising; 1 two final blocks at one height, no final block, or a
stall of more than 10 slots after the last partition or crash ended (loss and byzantine nodes last the
whole run: then any stall of more than 10 slots); 2 usage error.`

/** The simulator's options from the command line. Throws LUCID_ERR_9001 / 9003. */
export function parseSimArgs (argv: readonly string[]): { opts: SimOptions, json?: string, help: boolean } {
  const [what, ...rest] = argv
  if (what === '--help' || what === '-h') return { opts: { nodes: 1, durationMs: 1 }, help: true }
  if (what !== 'chain') throw new errors.LUCID_ERR_9001(`lucid sim chain ... (got '${what ?? ''}'); try lucid sim --help`)
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: rest,
      strict: true,
      options: {
        nodes: { type: 'string' }, duration: { type: 'string' }, latency: { type: 'string' }, loss: { type: 'string' },
        partition: { type: 'string' }, crash: { type: 'string' }, byzantine: { type: 'string' }, behaviour: { type: 'string' },
        'tx-rate': { type: 'string' }, seed: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (err) {
    throw new errors.LUCID_ERR_9001(`${(err as Error).message}; try lucid sim --help`)
  }
  if (values.help === true) return { opts: { nodes: 1, durationMs: 1 }, help: true }
  const str = (k: string): string | undefined => values[k] as string | undefined
  const int = (k: string, min: number): number | undefined => {
    const v = str(k)
    if (v === undefined) return undefined
    if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw new errors.LUCID_ERR_9003(`--${k}: '${v}' (an integer >= ${min})`)
    return Number(v)
  }
  const nodes = int('nodes', 1)
  const duration = str('duration')
  if (nodes === undefined || duration === undefined) throw new errors.LUCID_ERR_9001('lucid sim chain needs --nodes N and --duration D; try lucid sim --help')
  const behaviour = str('behaviour')
  if (behaviour !== undefined && !BEHAVIOURS.includes(behaviour as Behaviour)) throw new errors.LUCID_ERR_9003(`--behaviour: '${behaviour}' (${BEHAVIOURS.join(' or ')})`)
  const byzantine = int('byzantine', 0)
  if (byzantine !== undefined && byzantine > nodes) throw new errors.LUCID_ERR_9003(`--byzantine: ${byzantine} (at most --nodes, ${nodes})`)
  const rate = str('tx-rate')
  if (rate !== undefined && !(/^\d+(\.\d+)?$/.test(rate))) throw new errors.LUCID_ERR_9003(`--tx-rate: '${rate}' (transactions per second, >= 0)`)
  const json = str('json')
  if (json !== undefined) assertWritable(json, '--json')
  const opt = <T>(k: string, parse: (v: string) => T): T | undefined => { const v = str(k); return v === undefined ? undefined : parse(v) }
  const latency = opt('latency', (v) => parseLatency(v))
  const loss = opt('loss', (v) => parseLoss(v))
  const partitions = opt('partition', (v) => parsePartitions(v, nodes))
  const crashes = opt('crash', (v) => parseCrashes(v, nodes))
  const seed = int('seed', 0)
  const opts: SimOptions = {
    nodes,
    durationMs: parseTime(duration, '--duration'),
    ...(latency !== undefined ? { latency } : {}),
    ...(loss !== undefined ? { loss } : {}),
    ...(partitions !== undefined ? { partitions } : {}),
    ...(crashes !== undefined ? { crashes } : {}),
    ...(byzantine !== undefined ? { byzantine } : {}),
    ...(behaviour !== undefined ? { behaviour: behaviour as Behaviour } : {}),
    ...(rate !== undefined ? { txPerS: Number(rate) } : {}),
    ...(seed !== undefined ? { seed } : {})
  }
  return { opts, ...(json !== undefined ? { json } : {}), help: false }
}

const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '-')

/** The figures as the command prints them. */
export function renderFigures (f: SimFigures): string {
  const safety = f.safetyViolations.length === 0
    ? 'safe: no two final blocks at one height'
    : `VIOLATED at ${f.safetyViolations.length} height(s), first at height ${f.safetyViolations[0]?.height ?? '?'} (${f.safetyViolations[0]?.hashes.join(' vs ') ?? ''})`
  const lines = [
    `simulated ${f.simS} s (${f.slots} slots) of ${f.nodes} honest nodes in ${f.wallS.toFixed(1)} s of wall time (${f.events} events, ${f.signatures} virtual signatures)`,
    `blocks           ${f.blocks} final; interval mean ${f3(f.intervalMeanS)} s, stdev ${f3(f.intervalStdevS)} s`,
    `slots            ${f.missedSlots} missed, ${f.fallbacks} filled by a fallback`,
    `finality         p50 ${f3(f.finalityP50S)} s, p95 ${f3(f.finalityP95S)} s, p99 ${f3(f.finalityP99S)} s, max ${f3(f.finalityMaxS)} s (proposal to finality, every live honest node)`,
    `throughput       ${f3(f.txPerS)} tx/s final of ${f3(f.offeredTxPerS)} offered (${f.load.refused} submissions refused)`,
    `forks            ${f.forks} heights with rival blocks, ${f.orphans} orphaned blocks`,
    `safety           ${safety}`,
    `liveness         longest stall ${f3(f.longestStallS)} s, ${f3(f.stallAfterFaultS)} s after the fault ended (at ${f.faultEndS} s)${f.stalledAtEnd ? '; STALLED at the end (no final block in the last 3 slots)' : ''}; ${(f.convergedRatio * 100).toFixed(1)} % of live honest nodes on the reference chain`,
    `messages         ${f3(f.messagesPerBlock)} per final block`,
    `catch-up         ${f.syncRounds} sync rounds (${f.syncFailures} failed), rejoin p50 ${f3(f.rejoinP50S)} s, max ${f3(f.rejoinMaxS)} s`,
    f.freshSync === undefined ? 'fresh node       nothing to sync' : `fresh node       syncs ${f.freshSync.blocks} blocks in ${f3(f.freshSync.virtualS)} s simulated (${f.freshSync.signatures} signatures; ${f3(f.freshSync.wallS)} s of wall time here)`,
    `network          ${f.network.sent} messages: ${f.network.lost} lost, ${f.network.cut} cut by partitions, ${f.network.down} to or from a down node`,
    `byzantine        ${f.adversary.equivocations} equivocations, ${f.adversary.invalidBlocks} invalid blocks; honest nodes refused ${JSON.stringify(f.rejected)}`
  ]
  return lines.join('\n')
}

/** Runs `lucid sim ...` with the arguments after `sim`; returns the exit code. */
export async function simCommand (argv: string[]): Promise<number> {
  const { opts, json, help } = parseSimArgs(argv)
  if (help) { process.stdout.write(`${USAGE}\n`); return 0 }
  const env = captureEnv()
  const started = performance.now()
  const tty = process.stderr.isTTY === true
  const r = await simulate({
    ...opts,
    progress: (ms, height) => { if (tty) process.stderr.write(`\rsimulated ${(ms / 3_600_000).toFixed(0)} h, height ${height}, ${((performance.now() - started) / 1000).toFixed(1)} s`) }
  })
  if (tty) process.stderr.write('\n')
  const f = r.figures
  const verdict = simVerdict(f)
  process.stdout.write(`${renderFigures(f)}\nverdict          ${verdict.pass ? 'PASS' : `FAIL: ${verdict.reasons.join('; ')}`}\n`)
  if (json !== undefined) {
    const id = 'chain.sim'
    const metrics = figureMetrics(f)
    const specs = specsFor(id, TARGETS)
    const targets = specs.targets.map((s) => judge(s, metrics))
    const entry: ResultEntry = {
      id, component: 'chain', status: 'completed', conditions: simConditions(opts), metrics, repeats: [metrics], baselines: [],
      targets, goals: specs.goals.map((s) => judge(s, metrics)), duration_s: (performance.now() - started) / 1000, verdict: caseVerdict('completed', targets)
    }
    const report: Report = { schema: 'lucid-bench/1', verdict: runVerdict([entry], false), profile: 'full', judged: true, strict: false, env: finishEnv(env), results: [entry] }
    writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`)
    process.stdout.write(`report: ${json}\n`)
  }
  return verdict.pass ? 0 : 1
}
