/**
 * The sampling loop of `lucid compare --base REF`: runs the base tree's and the head tree's cases alternately in
 * one sitting and after every round decides each metric (harness/stats/decide.ts), until all are decided or the
 * budget is spent.
 *
 * A round takes every case in turn and runs it in both trees back to back: a pair. Each run is a child process
 * `node <tree>/bin/lucid.js bench CASE --profile P --seed S --json F`, so the base may be any commit whose
 * `lucid bench` writes `lucid-bench/1` (the baselines a case divides by run with it, as in any `lucid bench`).
 * Pairing per case, as Node's benchmark/compare.js interleaves per benchmark, keeps the two halves of a pair
 * seconds apart: a neighbour's burst or the machine's drift hits both. Which tree goes first alternates from
 * pair to pair and round to round (base-head, head-base, ...), so whatever the second run inherits from the
 * first (a warm page cache) falls on each tree as often. Both runs of a pair get the same seed, so seeded
 * workloads are the same on both sides; rounds get successive seeds.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errors } from '../services/common/errors.ts'
import type { Metrics, Profile } from './case.ts'
import { validateReport, type Report } from './report/schema.ts'
import { allDecided, decide, type Direction, type MetricDecision, type PairedSamples } from './stats/decide.ts'

/** The two sides of a comparison. */
export type SideName = 'base' | 'head'

/** A tree to run: its directory (holding bin/lucid.js) and extra environment for its runs. */
export interface Side {
  dir: string
  env?: Readonly<Record<string, string>>
}

/** One case's outcome in one run of a tree (a run of a case also runs the baselines it divides by). */
export interface CaseSample {
  id: string
  status: 'completed' | 'errored' | 'skipped'
  reason?: string
  /** The run's metrics (one repeat, with its same-run baseline ratios); empty unless completed. */
  metrics: Metrics
}

/** One run of one tree. */
export interface SideRun {
  side: SideName
  seed: number
  /** Seconds from the comparison's start to this run's start. */
  started_s: number
  seconds: number
  exit_code: number
  /** Load average (1 min) when the run started. */
  loadavg_1m: number
  results: CaseSample[]
}

/** One case run in both trees back to back, in `order`. */
export interface Pair {
  case: string
  order: [SideName, SideName]
  base: SideRun
  head: SideRun
}

/** One round: every case once, as a pair. */
export interface Round {
  index: number
  seed: number
  pairs: Pair[]
}

/** Whether a metric is decided on, which way is better and whether a target names it; undefined leaves it out. */
export type FamilyOf = (caseId: string, metric: string) => { better: Direction; targeted: boolean } | undefined

/** What the loop tells its caller. */
export type InterleaveEvent =
  | { type: 'run-start'; round: number; case: string; side: SideName }
  | { type: 'run-end'; round: number; case: string; run: SideRun }
  | { type: 'round-end'; round: number; elapsed_s: number; decisions: readonly MetricDecision[] }

/** Options of the loop. */
export interface InterleaveOptions {
  base: Side
  head: Side
  /** Case ids, each run on its own (`lucid bench ID`, with its baselines) in both trees (see runsFor). */
  cases: readonly string[]
  profile: Profile
  /** Wall-clock budget in seconds: after the first round, no pair starts that would, by its last length, end after it. */
  budgetS: number
  minEffect: number
  alpha?: number
  family: FamilyOf
  /** Seed of round 0 (round r uses seed + r). Default 42. */
  seed?: number
  /** Hard cap on rounds (tests). Default unlimited. */
  maxRounds?: number
  onEvent?: (e: InterleaveEvent) => void
  /** Current load average, for the record (injected in tests). */
  loadavg?: () => number
}

/** Why sampling stopped. */
export type Stopped = 'decided' | 'budget' | 'max-rounds'

/** What the loop gathered and decided. */
export interface InterleaveResult {
  rounds: Round[]
  decisions: MetricDecision[]
  stopped: Stopped
  elapsed_s: number
}

/** Runs one tree's `lucid bench` once and reads its report; LUCID_ERR_9014 when the tree cannot run or report. */
export async function runTree(
  side: SideName,
  tree: Side,
  cases: readonly string[],
  profile: Profile,
  seed: number,
  scratch: string
): Promise<Omit<SideRun, 'started_s' | 'loadavg_1m'>> {
  const json = join(scratch, `${side}-${seed}.json`)
  const args = [join(tree.dir, 'bin', 'lucid.js'), 'bench', ...cases, '--profile', profile, '--seed', String(seed), '--json', json]
  const started = performance.now()
  const { code, tail } = await new Promise<{ code: number; tail: string }>((resolve) => {
    const child = spawn(process.execPath, args, { cwd: tree.dir, env: { ...process.env, ...tree.env }, stdio: ['ignore', 'ignore', 'pipe'] })
    let tail = ''
    child.stderr.on('data', (d: Buffer) => {
      tail = (tail + d.toString()).slice(-4000)
    })
    child.on('error', (err) => resolve({ code: -1, tail: err.message }))
    child.on('close', (c, signal) => resolve({ code: c ?? (signal !== null ? 128 : -1), tail }))
  })
  const seconds = (performance.now() - started) / 1000
  const last = tail
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-2)
    .join(' | ')
  if (code === 2 || code < 0) throw new errors.ComparedTreeFailed(`${side} tree (${tree.dir}): lucid bench exited ${code}: ${last}`)
  let report: Report
  try {
    const raw: unknown = JSON.parse(await readFile(json, 'utf8'))
    const problems = validateReport(raw)
    if (problems.length > 0) throw new Error(`its report is not lucid-bench/1: ${problems[0] ?? ''}`)
    report = raw as Report
  } catch (err) {
    throw new errors.ComparedTreeFailed(`${side} tree (${tree.dir}): lucid bench exited ${code} without a usable report (${(err as Error).message}): ${last}`, {
      cause: err
    })
  } finally {
    await rm(json, { force: true })
  }
  const results: CaseSample[] = report.results.map((r) => ({
    id: r.id,
    status: r.status,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    metrics: r.status === 'completed' ? r.metrics : {}
  }))
  return { side, seed, seconds, exit_code: code, results }
}

/**
 * The paired samples of every metric in the family: per pair, every case both trees' runs completed (the
 * paired case, and the baselines that ran with it: a baseline that several cases divide by is sampled once per
 * such case).
 */
export function pairSamples(rounds: readonly Round[], family: FamilyOf): PairedSamples[] {
  const out = new Map<string, PairedSamples & { base: number[]; head: number[] }>()
  for (const round of rounds)
    for (const pair of round.pairs) {
      const heads = new Map(pair.head.results.map((r) => [r.id, r]))
      for (const b of pair.base.results) {
        const h = heads.get(b.id)
        if (h === undefined || b.status !== 'completed' || h.status !== 'completed') continue
        for (const [metric, bv] of Object.entries(b.metrics)) {
          const hv = h.metrics[metric]
          if (hv === undefined || !Number.isFinite(hv) || !Number.isFinite(bv)) continue
          const key = `${b.id}\u0000${metric}`
          let s = out.get(key)
          if (s === undefined) {
            const f = family(b.id, metric)
            if (f === undefined) continue
            s = { case: b.id, metric, better: f.better, targeted: f.targeted, base: [], head: [] }
            out.set(key, s)
          }
          s.base.push(bv)
          s.head.push(hv)
        }
      }
    }
  return [...out.values()]
}

/** The runs a round needs: every case, except a baseline that another selected case runs with it anyway. */
export function runsFor(cases: ReadonlyArray<{ id: string; baselines?: ReadonlyArray<{ id: string }> }>): string[] {
  const ranWith = new Set(cases.flatMap((c) => (c.baselines ?? []).map((b) => b.id)))
  return cases.filter((c) => !ranWith.has(c.id)).map((c) => c.id)
}

/** Runs rounds until every metric is decided, the budget is spent or maxRounds is reached. */
export async function interleave(opts: InterleaveOptions): Promise<InterleaveResult> {
  const seed0 = opts.seed ?? 42
  const load = opts.loadavg ?? (() => 0)
  const start = performance.now()
  const elapsed = (): number => (performance.now() - start) / 1000
  const rounds: Round[] = []
  let decisions: MetricDecision[] = []
  let stopped: Stopped | undefined
  const scratch = await mkdtemp(join(tmpdir(), 'lucid-compare-run-'))
  try {
    for (let r = 0; stopped === undefined; r++) {
      if (opts.maxRounds !== undefined && r >= opts.maxRounds) {
        stopped = 'max-rounds'
        break
      }
      const round: Round = { index: r, seed: seed0 + r, pairs: [] }
      const previous = rounds.at(-1)
      for (const [k, id] of opts.cases.entries()) {
        const last = previous?.pairs.find((p) => p.case === id)
        if (r > 0 && elapsed() + (last !== undefined ? last.base.seconds + last.head.seconds : 0) > opts.budgetS) {
          stopped = 'budget'
          break
        }
        const order: [SideName, SideName] = (r + k) % 2 === 0 ? ['base', 'head'] : ['head', 'base']
        const runs: Partial<Record<SideName, SideRun>> = {}
        for (const side of order) {
          opts.onEvent?.({ type: 'run-start', round: r, case: id, side })
          const started_s = elapsed()
          const loadavg_1m = load()
          const run = await runTree(side, side === 'base' ? opts.base : opts.head, [id], opts.profile, round.seed, scratch)
          runs[side] = { ...run, started_s, loadavg_1m }
          opts.onEvent?.({ type: 'run-end', round: r, case: id, run: runs[side]! })
        }
        round.pairs.push({ case: id, order, base: runs.base!, head: runs.head! })
      }
      if (round.pairs.length === 0) break
      rounds.push(round)
      decisions = decide(pairSamples(rounds, opts.family), { minEffect: opts.minEffect, ...(opts.alpha !== undefined ? { alpha: opts.alpha } : {}) })
      opts.onEvent?.({ type: 'round-end', round: r, elapsed_s: elapsed(), decisions })
      if (allDecided(decisions)) stopped = 'decided'
      // Nothing to decide on after two rounds (every case failed on a side): more rounds will not help.
      else if (decisions.length === 0 && r >= 1) stopped = 'decided'
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
  return { rounds, decisions, stopped: stopped ?? 'budget', elapsed_s: elapsed() }
}
