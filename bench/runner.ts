/**
 * Runs cases, each in its own child process, and assembles the report. A case that crashes, times out or
 * throws is reported as errored with its reason; the others go on.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errors } from '../services/common/errors.ts'
import type { CaseResult, Metrics, Profile } from './case.ts'
import { captureEnv, finishEnv } from './env.ts'
import { DEFAULT_TIMEOUT_S } from './profile.ts'
import type { RunMessage, WorkerMessage } from './protocol.ts'
import type { CaseDef } from './registry.ts'
import type { Report, ResultEntry } from './report/schema.ts'
import { forkTs } from './spawn.ts'
import { medianMetrics } from './stats/median.ts'
import type { TargetSpec } from './targets.ts'
import { caseVerdict, judge, runVerdict, specsFor } from './verdict.ts'

/** Options of a run. */
export interface RunOptions {
  /** The cases to run, in order (baselines first). */
  cases: readonly CaseDef[]
  profile: Profile
  targets: readonly TargetSpec[]
  /** Runs per case (metrics are medians, each repeat is kept). Default 1. */
  repeat?: number
  strict?: boolean
  target?: string
  /** Seed of the cases' RNGs. */
  seed?: number
  /** Called with progress lines and case starts/ends. */
  onEvent?: (e: RunEvent) => void
}

/** What the runner tells its caller while running. */
export type RunEvent =
  | { type: 'case-start', id: string, index: number, total: number, repeat: number, repeats: number }
  | { type: 'progress', id: string, text: string }
  | { type: 'case-end', entry: ResultEntry }

/** One child-process run of a case: its result or why it has none. */
type Attempt =
  | { ok: true, result: CaseResult }
  | { ok: false, reason: string, code: string }

const WORKER = new URL('./worker.ts', import.meta.url).href

/** Runs one case once in a fresh child process. */
export async function runOnce (def: CaseDef, opts: { profile: Profile, seed: number, target?: string, onProgress?: (t: string) => void }): Promise<Attempt> {
  const dir = await mkdtemp(join(tmpdir(), `lucid-${def.id}-`))
  const timeoutS = def.timeoutS?.[opts.profile] ?? DEFAULT_TIMEOUT_S[opts.profile]
  try {
    return await new Promise<Attempt>((resolve) => {
      const child = forkTs(WORKER, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] })
      let stderrTail = ''
      child.stderr?.on('data', (d: Buffer) => { stderrTail = (stderrTail + d.toString()).slice(-2000); process.stderr.write(d) })
      let settled: Attempt | undefined
      const timer = setTimeout(() => {
        settled = { ok: false, code: 'LUCID_ERR_9007', reason: new errors.LUCID_ERR_9007(`${def.id} exceeded ${timeoutS} s`).message }
        child.kill('SIGKILL')
      }, timeoutS * 1000)
      child.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') opts.onProgress?.(m.text)
        else if (m.type === 'result') settled ??= { ok: true, result: m.result }
        else settled ??= { ok: false, code: m.code ?? 'LUCID_ERR_9006', reason: m.message }
      })
      child.on('error', (err) => { settled ??= { ok: false, code: 'LUCID_ERR_9006', reason: err.message } })
      child.on('exit', (code, signal) => {
        clearTimeout(timer)
        if (settled === undefined) {
          const how = signal !== null ? `killed by ${signal}` : `exited with code ${String(code)}`
          const tail = stderrTail.trim().split('\n').slice(-3).join(' | ')
          settled = { ok: false, code: 'LUCID_ERR_9006', reason: new errors.LUCID_ERR_9006(`${def.id} ${how}${tail !== '' ? `: ${tail}` : ''}`).message }
        }
        resolve(settled)
      })
      const msg: RunMessage = {
        type: 'run', id: def.id, module: def.module, export: def.export, profile: opts.profile, seed: opts.seed, tmpdir: dir,
        ...(opts.target !== undefined ? { target: opts.target } : {})
      }
      child.send(msg)
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Ratio metrics to same-run baselines: `<metric>_vs_<baseline>_x` = case metric / baseline metric. */
function baselineRatios (def: CaseDef, metrics: Metrics, done: ReadonlyMap<string, ResultEntry>): { baselines: ResultEntry['baselines'], ratios: Metrics } {
  const baselines: ResultEntry['baselines'] = []
  const ratios: Metrics = {}
  for (const link of def.baselines ?? []) {
    const b = done.get(link.id)
    if (b === undefined || b.status !== 'completed') continue
    baselines.push({ id: link.id, metrics: b.metrics })
    for (const [mine, theirs] of Object.entries(link.metrics)) {
      const a = metrics[mine]; const z = b.metrics[theirs]
      if (a !== undefined && z !== undefined && z !== 0) ratios[`${mine}_vs_${link.id.slice(link.id.indexOf('.') + 1)}_x`] = a / z
    }
  }
  return { baselines, ratios }
}

/** Runs every case (each `repeat` times) and returns the judged report. */
export async function runBench (opts: RunOptions): Promise<Report> {
  const env = captureEnv()
  const repeats = Math.max(1, opts.repeat ?? 1)
  const seed = opts.seed ?? 42
  const done = new Map<string, ResultEntry>()
  const results: ResultEntry[] = []
  for (const [index, def] of opts.cases.entries()) {
    const started = performance.now()
    const runs: Metrics[] = []
    const histograms: Record<string, string> = {}
    let conditions: ResultEntry['conditions'] = {}
    let failure: { status: 'errored' | 'skipped', reason: string, code?: string } | undefined
    let extra: Pick<ResultEntry, 'endpoints' | 'series'> = {}
    for (let r = 0; r < repeats && failure === undefined; r++) {
      opts.onEvent?.({ type: 'case-start', id: def.id, index, total: opts.cases.length, repeat: r + 1, repeats })
      const a = await runOnce(def, {
        profile: opts.profile, seed: seed + r,
        onProgress: (text) => opts.onEvent?.({ type: 'progress', id: def.id, text }),
        ...(opts.target !== undefined ? { target: opts.target } : {})
      })
      if (!a.ok) { failure = { status: 'errored', reason: a.reason, code: a.code }; break }
      const res = a.result
      conditions = { ...conditions, ...res.conditions }
      if (res.status === 'skipped') { failure = { status: 'skipped', reason: res.reason }; break }
      runs.push(res.metrics)
      // Histograms of the last repeat are kept (the HTML and .hgrm outputs draw one distribution per case).
      for (const h of res.histograms ?? []) histograms[h.name] = h.encoded
      extra = { ...(res.endpoints !== undefined ? { endpoints: res.endpoints } : {}), ...(res.series !== undefined ? { series: res.series } : {}) }
    }
    const status = failure?.status ?? 'completed'
    let metrics: Metrics = runs.length > 0 ? medianMetrics(runs) : {}
    const { baselines, ratios } = baselineRatios(def, metrics, done)
    metrics = { ...metrics, ...ratios }
    const specs = specsFor(def.id, opts.targets)
    // A case that did not complete has no figures to judge: its targets are absent, not failed.
    const targets = status === 'completed' ? specs.targets.map((s) => judge(s, metrics)) : []
    const goals = status === 'completed' ? specs.goals.map((s) => judge(s, metrics)) : []
    const entry: ResultEntry = {
      id: def.id,
      component: def.component,
      status,
      ...(failure !== undefined ? { reason: failure.reason } : {}),
      ...(failure?.code !== undefined ? { code: failure.code } : {}),
      conditions,
      metrics,
      repeats: runs,
      baselines,
      targets,
      goals,
      ...(Object.keys(histograms).length > 0 ? { histograms } : {}),
      ...extra,
      duration_s: (performance.now() - started) / 1000,
      verdict: caseVerdict(status, targets)
    }
    done.set(def.id, entry)
    results.push(entry)
    opts.onEvent?.({ type: 'case-end', entry })
  }
  const strict = opts.strict ?? false
  return { schema: 'lucid-bench/1', verdict: runVerdict(results, strict), profile: opts.profile, judged: opts.profile !== 'smoke', strict, env: finishEnv(env), results }
}
