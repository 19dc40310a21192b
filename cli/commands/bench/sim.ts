/**
 * `lucid sim chain --nodes N --duration D [--latency L] [--loss P] [--partition SPEC] [--crash SPEC]
 * [--byzantine K] [--behaviour B] [--tx-rate R] [--seed S] [--json F]`: runs the virtual-time network simulator
 * (sim/network, docs/sim.md) and prints its figures and verdict; `--json F` writes them as a `lucid-bench/1`
 * report with one result, `chain.sim`. Exit 1 when the run fails (simVerdict: two final blocks at one height,
 * no final block, or a stall of more than 10 slots after the fault ends: a stalled chain is never a pass),
 * 2 for bad usage (LUCID_ERR_9001 / 9003).
 *
 * `lucid sim chain --profile quick|full [--seeds N] [--scenario TEXT] [--threads T] [--json F]`: the consensus
 * battery (sim/network/battery.ts): every scenario for every seed on worker threads, a table, and a report
 * with one result per scenario (`chain.battery_<scenario>`). Exit 1 when any run fails simVerdict.
 */
import { parseArgs } from 'node:util'
import { parseErrorMessage } from '../../args.ts'
import { errors } from '../../../services/common/errors.ts'
import {
  BATTERY_PLANS,
  BEHAVIOURS,
  GOAL_STALL_SLOTS,
  MAX_STALL_SLOTS,
  batteryScenarios,
  scenarioSeeds,
  batteryVerdict,
  describeLatency,
  figureMetrics,
  parseCrashes,
  parseLatency,
  parseLoss,
  parsePartitions,
  parseTime,
  queueBaseline,
  renderBattery,
  reproduceCommand,
  runBattery,
  scenarioConditions,
  scenarioMetrics,
  simVerdict,
  simulate,
  type BatteryPlan,
  type BatteryProfile,
  type BatteryRun,
  type CreditFigures,
  type Behaviour,
  type ScenarioSummary,
  type SimFigures,
  type SimOptions
} from '../../../sim/network/index.ts'
import { simConditions } from '../../../sim/conditions.ts'
import type { Conditions, Metrics } from '../../../harness/case.ts'
import { captureEnv, finishEnv } from '../../../harness/env.ts'
import type { Report, ResultEntry } from '../../../harness/report/schema.ts'
import { TARGETS } from '../../../cases/index.ts'
import { caseVerdict, judge, runVerdict, specsFor } from '../../../harness/verdict.ts'
import { assertWritable, STDOUT, writeJson } from '../../output.ts'

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
  --newcomers N      N honest nodes join after genesis (registered in slot 1), relaying 100 GB a day for
                     an independent session owner (docs/sim.md, "Newcomers and Sybils")
  --sybils K         one operator joins with K identities that vote and flood receipted relay claims on
                     100 GB sessions of its own; the run reports its committee weight epoch by epoch and
                     fails if it reaches a third before the E2 bound (or a newcomer misses E1)
  --slots-per-epoch S  epoch length in slots (default 8640, a day; 48 runs epochs in 8 simulated minutes)
  --seed S           seeds keys, delays, losses and the load (default 1)
  --json F           write a lucid-bench/1 report
  --quiet, -q        no progress on stderr (by default a live line when stderr is a terminal: simulated
                     time, height, events per second, time left)
  --progress         a progress line every 10 s even when stderr is not a terminal (logs, CI)

       lucid sim chain --profile quick|full [--seeds N] [--scenario TEXT] [--threads T] [--json F]

  --profile P        the consensus battery (docs/sim.md): loss 1/2/5 %, 1- and 10-minute partitions (halves,
                     minority vs majority) that heal, f byzantine committee members (equivocate, silent,
                     double), crashes of f members; quick: 4 and 20 nodes, 30 min, 20 seeds; full: 100
                     nodes, 1 h, 5 seeds. Prints one line per scenario; --json writes one result each
  --seeds N          seeds 1..N per scenario instead of the profile's
  --scenario TEXT    only the scenarios whose id contains TEXT (e.g. n20_, loss, partition_10m)
  --threads T        worker threads (default: one per core)
Exit codes: 0 ran, stayed safe and kept finalising; 1 two final blocks at one height, no final block, or a
stall of more than 10 slots after the last partition or crash ended (loss and byzantine nodes last the
whole run: then any stall of more than 10 slots), in the run or in any run of the battery; 2 usage error.`

/** A single run's flags. */
const RUN_FLAGS = [
  'nodes',
  'duration',
  'latency',
  'loss',
  'partition',
  'crash',
  'byzantine',
  'behaviour',
  'tx-rate',
  'seed',
  'newcomers',
  'sybils',
  'slots-per-epoch'
] as const
/** The battery's flags (with --profile). */
const BATTERY_FLAGS = ['profile', 'seeds', 'scenario', 'threads'] as const

type Values = Record<string, string | boolean | undefined>

/** `lucid sim chain`'s flags, parsed strictly, with string and integer readers. Throws LUCID_ERR_9001 / 9003. */
function parseFlags(argv: readonly string[]): { values: Values; str: (k: string) => string | undefined; int: (k: string, min: number) => number | undefined } {
  const [what, ...rest] = argv
  if (what !== 'chain') throw new errors.Usage(`lucid sim chain ... (got '${what ?? ''}'); try lucid sim --help`)
  let values: Values
  try {
    values = parseArgs({
      args: rest,
      strict: true,
      options: {
        ...Object.fromEntries([...RUN_FLAGS, ...BATTERY_FLAGS, 'json'].map((k) => [k, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
        quiet: { type: 'boolean', short: 'q' },
        progress: { type: 'boolean' }
      }
    }).values
  } catch (err) {
    throw new errors.Usage(parseErrorMessage(err as Error & { code?: string }, 'sim'))
  }
  const str = (k: string): string | undefined => values[k] as string | undefined
  const int = (k: string, min: number): number | undefined => {
    const v = str(k)
    if (v === undefined) return undefined
    if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw new errors.BadValue(`--${k}: '${v}' (an integer >= ${min})`)
    return Number(v)
  }
  return { values, str, int }
}

/** The simulator's options from the command line. Throws LUCID_ERR_9001 / 9003. */
export function parseSimArgs(argv: readonly string[]): { opts: SimOptions; json?: string; help: boolean; progress: ProgressMode } {
  if (argv[0] === '--help' || argv[0] === '-h') return { opts: { nodes: 1, durationMs: 1 }, help: true, progress: 'off' }
  const { values, str, int } = parseFlags(argv)
  if (values.help === true) return { opts: { nodes: 1, durationMs: 1 }, help: true, progress: 'off' }
  if (values.quiet === true && values.progress === true) throw new errors.Usage('--quiet and --progress contradict each other; try lucid sim --help')
  const progress: ProgressMode = values.quiet === true ? 'off' : values.progress === true ? 'lines' : 'auto'
  const battery = BATTERY_FLAGS.find((k) => values[k] !== undefined)
  if (battery !== undefined) throw new errors.Usage(`--${battery} belongs to the battery (--profile quick|full); try lucid sim --help`)
  const nodes = int('nodes', 1)
  const duration = str('duration')
  if (nodes === undefined || duration === undefined) throw new errors.Usage('lucid sim chain needs --nodes N and --duration D; try lucid sim --help')
  const behaviour = str('behaviour')
  if (behaviour !== undefined && !BEHAVIOURS.includes(behaviour as Behaviour))
    throw new errors.BadValue(`--behaviour: '${behaviour}' (${BEHAVIOURS.join(' or ')})`)
  const byzantine = int('byzantine', 0)
  if (byzantine !== undefined && byzantine > nodes) throw new errors.BadValue(`--byzantine: ${byzantine} (at most --nodes, ${nodes})`)
  const rate = str('tx-rate')
  if (rate !== undefined && !/^\d+(\.\d+)?$/.test(rate)) throw new errors.BadValue(`--tx-rate: '${rate}' (transactions per second, >= 0)`)
  const json = jsonFlag(str)
  const opt = <T>(k: string, parse: (v: string) => T): T | undefined => {
    const v = str(k)
    return v === undefined ? undefined : parse(v)
  }
  const latency = opt('latency', (v) => parseLatency(v))
  const loss = opt('loss', (v) => parseLoss(v))
  const partitions = opt('partition', (v) => parsePartitions(v, nodes))
  const crashes = opt('crash', (v) => parseCrashes(v, nodes))
  const seed = int('seed', 0)
  const newcomers = int('newcomers', 0)
  const sybils = int('sybils', 0)
  const spe = int('slots-per-epoch', 24)
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
    ...(seed !== undefined ? { seed } : {}),
    ...(newcomers !== undefined || sybils !== undefined ? { newcomers: { honest: newcomers ?? 0, sybils: sybils ?? 0 } } : {}),
    ...(spe !== undefined ? { params: { slots_per_epoch: spe } } : {})
  }
  return { opts, ...(json !== undefined ? { json } : {}), help: false, progress }
}

/** Progress on stderr: `auto` a live line on a terminal and nothing otherwise, `lines` a line every 10 s anywhere, `off` none. */
export type ProgressMode = 'auto' | 'lines' | 'off'

/** --json's file, checked to be writable. */
function jsonFlag(str: (k: string) => string | undefined): string | undefined {
  const json = str('json')
  if (json !== undefined) assertWritable(json, '--json')
  return json
}

/** What `--profile` asks for. */
export interface BatteryArgs {
  readonly plan: BatteryPlan
  readonly scenario?: string
  readonly threads?: number
  readonly json?: string
}

/** The battery's arguments, or undefined when the command line has no --profile (a single run). Throws LUCID_ERR_9001 / 9003. */
export function parseBatteryArgs(argv: readonly string[]): BatteryArgs | undefined {
  if (argv[0] !== 'chain' || !argv.some((a) => a === '--profile' || a.startsWith('--profile='))) return undefined
  const { values, str, int } = parseFlags(argv)
  const profile = str('profile')
  if (profile === undefined || values.help === true) return undefined
  if (profile !== 'quick' && profile !== 'full') throw new errors.BadValue(`--profile: '${profile}' (quick or full)`)
  const single = RUN_FLAGS.find((k) => values[k] !== undefined)
  if (single !== undefined)
    throw new errors.Usage(`--${single} does not apply to --profile ${profile} (the battery runs its own scenarios); try lucid sim --help`)
  const base = BATTERY_PLANS[profile as BatteryProfile]
  const seeds = int('seeds', 1)
  const threads = int('threads', 1)
  const scenario = str('scenario')
  const json = jsonFlag(str)
  const plan = seeds === undefined ? base : { ...base, seeds: Array.from({ length: seeds }, (_, i) => i + 1) }
  if (scenario !== undefined && !batteryScenarios(plan).some((s) => s.id.includes(scenario)))
    throw new errors.BadValue(`--scenario: '${scenario}' names no scenario of --profile ${profile}`)
  return { plan, ...(scenario !== undefined ? { scenario } : {}), ...(threads !== undefined ? { threads } : {}), ...(json !== undefined ? { json } : {}) }
}

const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '-')

/** The figures as the command prints them. */
export function renderFigures(f: SimFigures): string {
  const safety =
    f.safetyViolations.length === 0
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
    f.freshSync === undefined
      ? 'fresh node       nothing to sync'
      : `fresh node       syncs ${f.freshSync.blocks} blocks in ${f3(f.freshSync.virtualS)} s simulated (${f.freshSync.signatures} signatures; ${f3(f.freshSync.wallS)} s of wall time here)`,
    `network          ${f.network.sent} messages: ${f.network.lost} lost, ${f.network.cut} cut by partitions, ${f.network.down} to or from a down node`,
    `byzantine        ${f.adversary.equivocations} equivocations, ${f.adversary.invalidBlocks} invalid blocks; honest nodes refused ${JSON.stringify(f.rejected)}`,
    ...(f.credits === undefined ? [] : [creditLine(f.credits)])
  ]
  return lines.join('\n')
}

/** The credit economy's line: the newcomers' seat and the operator's weight, against the E1 and E2 bounds. */
function creditLine(c: CreditFigures): string {
  const shares = c.sybilShare.map((x) => (x * 100).toFixed(1)).join(' ')
  const join = c.newcomerJoinEpoch === null ? 'never' : `epoch ${c.newcomerJoinEpoch}`
  const capture = c.sybilCaptureEpoch === null ? `not within ${c.epochs} epochs` : `epoch ${c.sybilCaptureEpoch}`
  return [
    `credits          newcomer on the committee: ${join} (E1 bound ${c.e1Bound}${c.committeeRoom ? '' : '; the committee was full, not judged'}); operator's third of the weight: ${capture} (E2 bound ${c.e2Bound})`,
    `                 operator's weight by epoch, %: ${shares}; its claims ${c.claimedOverCap.toFixed(0)}x the epoch's service cap`
  ].join('\n')
}

/** A judged result entry of a simulation (the targets and goals of `id` from the target table). */
export function simEntry(id: string, conditions: Conditions, metrics: Metrics, repeats: Metrics[], durationS: number): ResultEntry {
  const specs = specsFor(id, TARGETS)
  const targets = specs.targets.map((s) => judge(s, metrics))
  return {
    id,
    component: 'chain',
    status: 'completed',
    conditions,
    metrics,
    repeats,
    baselines: [],
    targets,
    goals: specs.goals.map((s) => judge(s, metrics)),
    duration_s: durationS,
    verdict: caseVerdict('completed', targets)
  }
}

/** Where the human output goes: stderr when the JSON report goes to stdout (`--json -`). */
const humanStream = (json: string | undefined): NodeJS.WriteStream => (json === STDOUT ? process.stderr : process.stdout)

/** Writes a `lucid-bench/1` report of `results`; returns its verdict. */
function writeReport(json: string, env: ReturnType<typeof captureEnv>, profile: Report['profile'], results: ResultEntry[]): Report['verdict'] {
  const report: Report = { schema: 'lucid-bench/1', verdict: runVerdict(results, false), profile, judged: true, strict: false, env: finishEnv(env), results }
  writeJson(json, report)
  if (json !== STDOUT) process.stdout.write(`report: ${json}\n`)
  return report.verdict
}

/** Lines naming the failing seeds, then those over the goal (5 per scenario at most), each with the command that reproduces it. */
function investigate(summaries: readonly ScenarioSummary[], runs: readonly BatteryRun[]): string[] {
  const lines = summaries.flatMap((s) => {
    const seeds = [...new Set([...s.failures.map((f) => f.seed), ...s.overGoal])].slice(0, 5)
    return seeds.map((seed) => {
      const f = runs.find((x) => x.scenario === s.scenario.id && x.seed === seed)?.figures
      const slots = f === undefined ? 'no figures' : `${(f.stallAfterFaultS / (f.simS / f.slots)).toFixed(1)} slots, ${f.safetyViolations.length} violations`
      return `  ${s.scenario.id} seed ${seed} (${slots}): ${reproduceCommand(s.scenario, seed)}`
    })
  })
  return lines.length === 0 ? [] : ['to investigate (failing seeds, then seeds over the goal):', ...lines]
}

/** The sybil scenarios' credit bounds, one line each (docs/chain.md, "Credits"). */
function creditLines(summaries: readonly ScenarioSummary[]): string[] {
  return summaries.flatMap((s) =>
    s.sybilCaptureEpoch === undefined
      ? []
      : [
          `${s.scenario.id}: operator's third of the weight at the earliest in epoch ${s.sybilCaptureEpoch} over the seeds (E2 bound ${s.e2Bound ?? '?'}; 17 = not within 16 epochs); honest newcomer on the committee by epoch ${s.newcomerJoinEpoch ?? '?'} at the latest (E1 bound ${s.e1Bound ?? '?'}, judged where the committee has room)`
        ]
  )
}

/** Runs the battery; returns the exit code. */
async function batteryCommand(a: BatteryArgs): Promise<number> {
  const env = captureEnv()
  const scenarios = batteryScenarios(a.plan).filter((s) => a.scenario === undefined || s.id.includes(a.scenario))
  const total = scenarios.reduce((n, s) => n + scenarioSeeds(s, a.plan).length, 0)
  const tty = process.stderr.isTTY === true
  const started = performance.now()
  let lastLine = 0
  const r = await runBattery(
    a.plan,
    {
      ...(a.threads !== undefined ? { threads: a.threads } : {}),
      onRun: (run, done) => {
        const now = performance.now()
        const line = `${done}/${total} runs, ${((now - started) / 1000).toFixed(0)} s (${run.scenario} seed ${run.seed}${run.figures === undefined ? ': NO FIGURES' : ''})`
        if (tty) process.stderr.write(`\r${line}\x1b[K`)
        else if (now - lastLine > 30_000 || done === total) {
          lastLine = now
          process.stderr.write(`${line}\n`)
        }
      }
    },
    scenarios
  )
  if (tty) process.stderr.write('\n')
  const verdict = batteryVerdict(r.summaries)
  const seeds = a.plan.seeds
  const seedText = `${seeds[0] ?? '-'}-${seeds[seeds.length - 1] ?? '-'}`
  humanStream(a.json).write(
    [
      `consensus battery, profile ${a.plan.profile}: ${scenarios.length} scenarios x ${seeds.length} seeds (${seedText}), ${a.plan.durationMs / 60_000} simulated minutes each (sybil: 17 epochs of 48 slots, 136 minutes, 16 judged, 5 seeds at most), ${r.runs.length} runs on ${r.threads} threads in ${r.wallS.toFixed(1)} s of wall time`,
      'stall: the longest time without a final block after the fault ended (max over seeds; 1 slot = the normal pace) and its seed;',
      "fin p50: median of the runs' finality p50; fin p99: max of the runs' p99; msg/blk: mean over seeds",
      renderBattery(r.summaries),
      `must: no safety violation, no stall of more than ${MAX_STALL_SLOTS} slots after the fault ends, in any run; goal: ${GOAL_STALL_SLOTS} slots (${r.summaries.filter((s) => s.goalMet).length} of ${r.summaries.length} scenarios meet it)`,
      ...creditLines(r.summaries),
      ...investigate(r.summaries, r.runs),
      `verdict: ${verdict.pass ? 'PASS' : `FAIL\n  ${verdict.reasons.join('\n  ')}`}`,
      ''
    ].join('\n')
  )
  let reportVerdict: Report['verdict'] = 'pass'
  if (a.json !== undefined) {
    const results = r.summaries.map((s) =>
      simEntry(
        `chain.battery_${s.scenario.id}`,
        {
          simulator: 'sim/network: real chain code on a virtual clock, virtual signatures charged in virtual time',
          ...scenarioConditions(s.scenario),
          seeds: seedText,
          seeds_planned: s.seedsPlanned,
          latency: describeLatency({ kind: 'constant', ms: 50 }),
          tx_rate_per_s: 0.2,
          aggregation:
            "safety summed; stall max over seeds; finality_p50_s median of the runs' p50; finality_p99_s max of the runs' p99; messages_per_block mean",
          worst_seed: Number.isFinite(s.worstSeed) ? s.worstSeed : 'none',
          worst_seed_command: Number.isFinite(s.worstSeed) ? reproduceCommand(s.scenario, s.worstSeed) : 'none',
          failed_seeds: s.failures.map((f) => f.seed).join(',') || 'none',
          over_goal_seeds: s.overGoal.join(',') || 'none'
        },
        scenarioMetrics(s),
        r.runs.filter((run) => run.scenario === s.scenario.id && run.figures !== undefined).map((run) => figureMetrics(run.figures as SimFigures)),
        s.wallS
      )
    )
    reportVerdict = writeReport(a.json, env, a.plan.profile, results)
  }
  return verdict.pass && reportVerdict === 'pass' ? 0 : 1
}

const fmtRate = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(1)} k`)

/**
 * Progress of a long run on stderr: simulated time, the best final height (hourly), events per second and the
 * time left at this pace. On a terminal one live line (redrawn at most twice a second); with `lines` (--progress)
 * a line every 10 s of wall time wherever stderr goes; nothing with `off` (--quiet) or off a terminal by default.
 * Runs shorter than a report interval print nothing. A tick is no event of the run (queue.ts): the run is the same.
 */
function progressReporter(
  mode: ProgressMode,
  durationMs: number,
  started: number
): { hour: (simMs: number, height: number) => void; tick: ((simMs: number, events: number) => void) | undefined; end: () => void } {
  const tty = process.stderr.isTTY === true
  const live = mode !== 'off' && tty
  const lines = mode === 'lines' && !tty
  const every = live ? 500 : 10_000
  let height = 0
  let last = started
  let drawn = false
  return {
    hour: (_simMs, h) => {
      height = h
    },
    tick:
      live || lines
        ? (simMs, events) => {
            const now = performance.now()
            if (now - last < every) return
            last = now
            const wallS = (now - started) / 1000
            const eta = simMs > 0 ? (wallS * (durationMs - simMs)) / simMs : NaN
            const line = `simulated ${(simMs / 3_600_000).toFixed(2)} h of ${(durationMs / 3_600_000).toFixed(2)} h (${((100 * simMs) / durationMs).toFixed(0)} %), height ${height}, ${fmtRate(events / wallS)} events/s, ${wallS.toFixed(0)} s, ETA ${Number.isFinite(eta) ? eta.toFixed(0) : '?'} s`
            if (live) {
              process.stderr.write(`\r${line}\x1b[K`)
              drawn = true
            } else process.stderr.write(`${line}\n`)
          }
        : undefined,
    end: () => {
      if (drawn) process.stderr.write('\n')
    }
  }
}

/** Runs `lucid sim ...` with the arguments after `sim`; returns the exit code. */
export async function simCommand(argv: string[]): Promise<number> {
  const battery = parseBatteryArgs(argv)
  if (battery !== undefined) return await batteryCommand(battery)
  const { opts, json, help, progress: mode } = parseSimArgs(argv)
  if (help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const env = captureEnv()
  // The yardstick, in this process just before and just after the run: a bare event queue's events per second
  // (queue.ts). Their mean anchors the run's speed; apart, they show how much the machine's load moved meanwhile.
  const before = queueBaseline()
  const started = performance.now()
  const progress = progressReporter(mode, opts.durationMs, started)
  const r = await simulate({ ...opts, progress: progress.hour, ...(progress.tick !== undefined ? { tick: progress.tick } : {}) })
  progress.end()
  const after = queueBaseline()
  const baseline = (before + after) / 2
  const f = r.figures
  const verdict = simVerdict(f)
  const eventsPerS = f.events / f.wallS
  humanStream(json).write(
    `${renderFigures(f)}\nspeed            ${fmtRate(eventsPerS)} events/s of wall time (${r.runCpuS.toFixed(1)} s of CPU for the ${f.wallS.toFixed(1)} s run); a bare event queue here: ${fmtRate(baseline)} events/s (the baseline, same process: ${fmtRate(before)} before the run, ${fmtRate(after)} after), ratio ${(eventsPerS / baseline).toFixed(4)}\nverdict          ${verdict.pass ? 'PASS' : `FAIL: ${verdict.reasons.join('; ')}`}\n`
  )
  if (json !== undefined) {
    const metrics = {
      ...figureMetrics(f),
      events_per_s: eventsPerS,
      baseline_events_per_s: baseline,
      baseline_before_events_per_s: before,
      baseline_after_events_per_s: after,
      baseline_ratio: eventsPerS / baseline,
      run_cpu_s: r.runCpuS
    }
    writeReport(json, env, 'full', [simEntry('chain.sim', simConditions(opts), metrics, [metrics], (performance.now() - started) / 1000)])
  }
  return verdict.pass ? 0 : 1
}
