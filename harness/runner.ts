/**
 * Runs cases, each in its own child process, and assembles the report. A case that crashes, times out or
 * throws is reported as errored with its reason; the others go on.
 *
 * With `repeat` > 1 the runs go round-robin (every case once, then every case again, ...), so a baseline
 * and the cases divided by it alternate and a drift of the machine (thermal, a neighbour) hits both alike.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errors } from '../services/common/errors.ts'
import type { CaseResult, Metrics, Profile } from './case.ts'
import { startBusy } from './busy.ts'
import { type CaseLoad, captureEnv, finishEnv, sampleLoad } from './env.ts'
import { DEFAULT_TIMEOUT_S } from './profile.ts'
import type { RunMessage, WorkerMessage } from './protocol.ts'
import type { CaseDef } from './registry.ts'
import type { Report, ResultEntry } from './report/schema.ts'
import { forkTs } from './spawn.ts'
import { medianMetrics } from './stats/median.ts'
import { spreadMetrics } from './stats/spread.ts'
import type { TargetSpec } from './targets.ts'
import { caseVerdict, defaultTargets, judge, nothingSucceeded, runVerdict, specsFor, unmeasuredTargets } from './verdict.ts'

/** What every case of a run is told beyond its id and profile. */
export interface CaseOptions {
  /** The run's shared fixture directory (runBench makes one when not given). */
  sharedDir?: string
  target?: string
  pin?: { server?: string; load?: string }
  findMax?: { p99Ms: number }
}

/** Options of a run. */
export interface RunOptions extends CaseOptions {
  /** The cases to run, in order (baselines first). */
  cases: readonly CaseDef[]
  profile: Profile
  targets: readonly TargetSpec[]
  /** Runs per case (metrics are medians, each repeat is kept). Default 1. */
  repeat?: number
  strict?: boolean
  /** Seed of the cases' RNGs. */
  seed?: number
  /** Called with progress lines and case starts/ends. */
  onEvent?: (e: RunEvent) => void
  /** Processes to keep burning one core each for the whole run (`--busy N`), to measure under contention. */
  busy?: number
}

/** What the runner tells its caller while running. */
export type RunEvent =
  | { type: 'case-start'; id: string; index: number; total: number; repeat: number; repeats: number }
  | { type: 'progress'; id: string; text: string }
  | { type: 'case-end'; entry: ResultEntry }

/** One child-process run of a case: its result or why it has none. */
export type Attempt = { ok: true; result: CaseResult } | { ok: false; reason: string; code: string }

// Built into dist/ the harness is JavaScript: the worker beside this file has this file's extension.
const WORKER = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url).href

/** Runs one case once in a fresh child process. */
export async function runOnce(def: CaseDef, opts: CaseOptions & { profile: Profile; seed: number; onProgress?: (t: string) => void }): Promise<Attempt> {
  const dir = await mkdtemp(join(tmpdir(), `lucid-${def.id}-`))
  const timeoutS = def.timeoutS?.[opts.profile] ?? DEFAULT_TIMEOUT_S[opts.profile]
  try {
    return await new Promise<Attempt>((resolve) => {
      const child = forkTs(WORKER, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] })
      let stderrTail = ''
      child.stderr?.on('data', (d: Buffer) => {
        stderrTail = (stderrTail + d.toString()).slice(-2000)
        process.stderr.write(d)
      })
      let settled: Attempt | undefined
      const timer = setTimeout(() => {
        settled = { ok: false, code: 'LUCID_ERR_9007', reason: new errors.CaseTimedOut(`${def.id} exceeded ${timeoutS} s`).message }
        child.kill('SIGKILL')
      }, timeoutS * 1000)
      child.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') opts.onProgress?.(m.text)
        else if (m.type === 'result') settled ??= { ok: true, result: m.result }
        else settled ??= { ok: false, code: m.code ?? 'LUCID_ERR_9006', reason: m.message }
      })
      child.on('error', (err) => {
        settled ??= { ok: false, code: 'LUCID_ERR_9006', reason: err.message }
      })
      child.on('exit', (code, signal) => {
        clearTimeout(timer)
        if (settled === undefined) {
          const how = signal !== null ? `killed by ${signal}` : `exited with code ${String(code)}`
          const tail = stderrTail.trim().split('\n').slice(-3).join(' | ')
          settled = { ok: false, code: 'LUCID_ERR_9006', reason: new errors.CaseCrashed(`${def.id} ${how}${tail !== '' ? `: ${tail}` : ''}`).message }
        }
        resolve(settled)
      })
      const msg: RunMessage = {
        type: 'run',
        id: def.id,
        module: def.module,
        profile: opts.profile,
        seed: opts.seed,
        tmpdir: dir,
        pin: opts.pin ?? {},
        sharedDir: opts.sharedDir ?? dir,
        ...(opts.target !== undefined ? { target: opts.target } : {}),
        ...(opts.findMax !== undefined ? { findMax: opts.findMax } : {})
      }
      child.send(msg)
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Ratio metrics to same-run baselines: `<metric>_vs_<baseline>_x` = case metric / baseline metric. */
function baselineRatios(def: CaseDef, metrics: Metrics, done: ReadonlyMap<string, ResultEntry>): { baselines: ResultEntry['baselines']; ratios: Metrics } {
  const baselines: ResultEntry['baselines'] = []
  const ratios: Metrics = {}
  for (const link of def.baselines ?? []) {
    const b = done.get(link.id)
    if (b === undefined || b.status !== 'completed') continue
    baselines.push({ id: link.id, metrics: b.metrics })
    for (const [mine, theirs] of Object.entries(link.metrics)) {
      const a = metrics[mine]
      const z = b.metrics[theirs]
      if (a !== undefined && z !== undefined && z !== 0) ratios[`${mine}_vs_${link.id.slice(link.id.indexOf('.') + 1)}_x`] = a / z
    }
  }
  return { baselines, ratios }
}

/** What the repeats of one case gathered. */
interface Gathered {
  runs: Metrics[]
  last?: Extract<CaseResult, { status: 'completed' }>
  conditions: ResultEntry['conditions']
  failure?: { status: 'errored' | 'skipped'; reason: string; code?: string }
  seconds: number
  load?: CaseLoad
}

function entryOf(def: CaseDef, g: Gathered, done: ReadonlyMap<string, ResultEntry>, targetSpecs: readonly TargetSpec[], profile: Profile): ResultEntry {
  const status = g.failure?.status ?? 'completed'
  let metrics: Metrics = g.runs.length > 0 ? medianMetrics(g.runs) : {}
  const { baselines, ratios } = baselineRatios(def, metrics, done)
  metrics = { ...metrics, ...ratios }
  const specs = specsFor(def.id, targetSpecs, profile)
  const defaults = defaultTargets(def.id, metrics, [...specs.targets, ...specs.goals])
  // A case that did not complete has no figures to judge: its targets are absent, not failed.
  const targets = status === 'completed' ? [...specs.targets, ...defaults].map((s) => judge(s, metrics)) : []
  const failedAll = status === 'completed' ? nothingSucceeded(metrics, g.conditions) : undefined
  const unmeasured = status === 'completed' ? unmeasuredTargets(targets, metrics) : undefined
  const goals = status === 'completed' ? specs.goals.map((s) => judge(s, metrics)) : []
  const last = g.last
  const histograms = Object.fromEntries((last?.histograms ?? []).map((h) => [h.name, h.encoded]))
  return {
    id: def.id,
    component: def.component,
    status,
    ...(g.failure !== undefined
      ? { reason: g.failure.reason }
      : failedAll !== undefined
        ? { reason: failedAll }
        : unmeasured !== undefined
          ? { reason: unmeasured }
          : {}),
    ...(g.failure?.code !== undefined ? { code: g.failure.code } : {}),
    conditions: g.conditions,
    metrics,
    repeats: g.runs,
    ...(g.runs.length > 1 ? { spread: spreadMetrics(g.runs) } : {}),
    baselines,
    targets,
    goals,
    // Histograms, series and curves of the last repeat: the HTML and .hgrm outputs draw one run per case.
    ...(Object.keys(histograms).length > 0 ? { histograms } : {}),
    ...(last?.endpoints !== undefined ? { endpoints: last.endpoints } : {}),
    ...(last?.series !== undefined ? { series: last.series } : {}),
    ...(last?.capacity !== undefined ? { capacity: last.capacity } : {}),
    duration_s: g.seconds,
    ...(g.load !== undefined ? { load: g.load } : {}),
    verdict: caseVerdict(status, targets, failedAll)
  }
}

/** Runs every case (each `repeat` times, round-robin) and returns the judged report. */
export async function runBench(opts: RunOptions): Promise<Report> {
  const env = captureEnv()
  const repeats = Math.max(1, opts.repeat ?? 1)
  const seed = opts.seed ?? 42
  const gathered = new Map<string, Gathered>(opts.cases.map((c) => [c.id, { runs: [], conditions: {}, seconds: 0 }]))
  const done = new Map<string, ResultEntry>()
  const sharedDir = await mkdtemp(join(tmpdir(), 'lucid-run-'))
  const busyN = opts.busy ?? 0
  const busy = busyN > 0 ? startBusy(busyN) : undefined
  const caseOpts: CaseOptions = {
    sharedDir,
    ...(opts.target !== undefined ? { target: opts.target } : {}),
    ...(opts.pin !== undefined ? { pin: opts.pin } : {}),
    ...(opts.findMax !== undefined ? { findMax: opts.findMax } : {})
  }
  try {
    for (let r = 0; r < repeats; r++) {
      for (const [index, def] of opts.cases.entries()) {
        const g = gathered.get(def.id)!
        if (g.failure !== undefined) continue
        opts.onEvent?.({ type: 'case-start', id: def.id, index, total: opts.cases.length, repeat: r + 1, repeats })
        const started = performance.now()
        const load = sampleLoad()
        const a = await runOnce(def, {
          ...caseOpts,
          profile: opts.profile,
          seed: seed + r,
          onProgress: (text) => opts.onEvent?.({ type: 'progress', id: def.id, text })
        })
        g.seconds += (performance.now() - started) / 1000
        g.load = load.stop()
        if (!a.ok) g.failure = { status: 'errored', reason: a.reason, code: a.code }
        else {
          g.conditions = { ...g.conditions, ...a.result.conditions }
          if (a.result.status === 'skipped') g.failure = { status: 'skipped', reason: a.result.reason }
          else {
            g.runs.push(a.result.metrics)
            g.last = a.result
          }
        }
        if (r === repeats - 1 || g.failure !== undefined) {
          const entry = entryOf(def, g, done, opts.targets, opts.profile)
          done.set(def.id, entry)
          opts.onEvent?.({ type: 'case-end', entry })
        }
      }
    }
  } finally {
    await busy?.stop()
    await rm(sharedDir, { recursive: true, force: true })
  }
  const results = opts.cases.map((c) => done.get(c.id)!)
  const strict = opts.strict ?? false
  return {
    schema: 'lucid-bench/1',
    verdict: runVerdict(results, strict),
    profile: opts.profile,
    judged: opts.profile !== 'smoke',
    strict,
    env: { ...finishEnv(env), ...(busyN > 0 ? { busy: busyN } : {}) },
    results
  }
}
