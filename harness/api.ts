/**
 * The public API, the package entry (`import { bench, defineCase } from 'lucid-perf'`, package.json "exports",
 * built into dist/ by `npm run build`): define cases with `defineCase` and run them with `bench`, through the
 * same runner as `lucid bench` (each case in its own child process, baselines first, targets judged, the
 * `lucid-bench/1` report). `lucid bench --cases FILE` runs a file of such cases from the command line.
 */
import { errors } from '../services/common/errors.ts'
import type { Metrics, Profile } from './case.ts'
import { assertUniqueIds, type CaseDefinition, IN_WORKER, targetsOf } from './define-case.ts'
import type { JudgedTarget, Report, ResultEntry } from './report/schema.ts'
import { type RunEvent, runBench } from './runner.ts'
import { selectCases } from './select.ts'
import { loadTargetsFile, mergeTargets } from './targets-file.ts'
import type { TargetSpec } from './targets.ts'
import { exitCode } from './verdict.ts'

export type { CaseContext, CaseResult, CaseRun, Conditions, EncodedHistogram, Metrics, Profile } from './case.ts'
export { type CaseDefinition, type CaseSpec, type CaseTarget, defineCase, target } from './define-case.ts'
export type { BaselineLink } from './registry.ts'
export { renderTable } from './report/console.ts'
export { renderHtml } from './report/html.ts'
export type { JudgedTarget, Report, ResultEntry } from './report/schema.ts'
export type { RunEvent } from './runner.ts'
export type { Op, TargetSpec } from './targets.ts'

/** How `bench` runs. */
export interface BenchOptions {
  /** smoke (seconds, judges no speed in the exit code), quick (default) or full. */
  profile?: Profile
  /** Runs per case; metrics are medians, every repeat is kept. Default 1. */
  repeat?: number
  /** Seed of the cases' random generators (default 42). */
  seed?: number
  /** A skipped case fails the run. */
  strict?: boolean
  /** A targets file (`lucid bench --targets-file` format) applied over the cases' own targets. */
  targetsFile?: string
  /** Progress: case starts and ends, the cases' own progress lines. */
  onEvent?: (e: RunEvent) => void
}

/** One case's outcome, by status. */
export type CaseOutcome =
  | {
      readonly status: 'completed'
      readonly id: string
      /** `error`: a target's metric was not produced, or no request succeeded (`reason`). */
      readonly verdict: 'pass' | 'fail' | 'error'
      readonly metrics: Metrics
      readonly targets: readonly JudgedTarget[]
      readonly goals: readonly JudgedTarget[]
      readonly reason?: string
    }
  | { readonly status: 'errored'; readonly id: string; readonly reason: string; readonly code: string }
  | { readonly status: 'skipped'; readonly id: string; readonly reason: string }

/** A missed target, with its case. */
export interface MissedTarget extends JudgedTarget {
  readonly case: string
}

/** What `bench` returns, by the run's verdict; `report` is the full `lucid-bench/1` report, `exitCode` what `lucid bench` would exit with. */
export type BenchResult =
  | { readonly verdict: 'pass'; readonly exitCode: number; readonly cases: readonly CaseOutcome[]; readonly report: Report }
  | {
      readonly verdict: 'fail'
      readonly exitCode: number
      readonly cases: readonly CaseOutcome[]
      readonly report: Report
      readonly missed: readonly MissedTarget[]
    }
  | {
      readonly verdict: 'error'
      readonly exitCode: number
      readonly cases: readonly CaseOutcome[]
      readonly report: Report
      /** The cases that crashed, timed out, threw, or could not be judged. */
      readonly errors: readonly CaseOutcome[]
    }

function outcomeOf(r: ResultEntry): CaseOutcome {
  if (r.status === 'errored') return { status: 'errored', id: r.id, reason: r.reason ?? '', code: r.code ?? 'LUCID_ERR_9006' }
  if (r.status === 'skipped') return { status: 'skipped', id: r.id, reason: r.reason ?? '' }
  const verdict = r.verdict === 'skipped' ? 'error' : r.verdict
  return {
    status: 'completed',
    id: r.id,
    verdict,
    metrics: r.metrics,
    targets: r.targets,
    goals: r.goals,
    ...(r.reason !== undefined ? { reason: r.reason } : {})
  }
}

/**
 * Runs the cases (their baselines must be among them: they run first) and judges them by their own targets.
 * Throws LUCID_ERR_9002 for a baseline not in the list, LUCID_ERR_9003 for an id given twice. Call it from a
 * module other than the ones defining the cases: each case's process imports its defining module again.
 */
export async function bench(cases: readonly CaseDefinition[], opts: BenchOptions = {}): Promise<BenchResult> {
  // Each case's child process imports the module that defines it: a module that also calls bench() at its top
  // level would start a whole run in every child. Refused there, with the way out.
  if ((globalThis as { [IN_WORKER]?: boolean })[IN_WORKER] === true)
    throw new errors.Usage(
      'bench() was called while a case process imported the module defining its case: define the cases in a module of their own and call bench() from another'
    )
  assertUniqueIds(cases)
  const ids = new Set(cases.map((c) => c.id))
  for (const c of cases)
    for (const b of c.baselines ?? []) if (!ids.has(b.id)) throw new errors.UnknownCase(`'${b.id}' (a baseline of ${c.id}): pass it to bench() too`)
  const profile = opts.profile ?? 'quick'
  const own: TargetSpec[] = targetsOf(cases)
  const targets = opts.targetsFile !== undefined ? mergeTargets(own, loadTargetsFile(opts.targetsFile)) : own
  const report = await runBench({
    cases: selectCases([], cases),
    profile,
    targets,
    ...(opts.repeat !== undefined ? { repeat: opts.repeat } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.strict !== undefined ? { strict: opts.strict } : {}),
    ...(opts.onEvent !== undefined ? { onEvent: opts.onEvent } : {})
  })
  const outcomes = report.results.map(outcomeOf)
  const code = exitCode(report.verdict, profile)
  switch (report.verdict) {
    case 'pass':
      return { verdict: 'pass', exitCode: code, cases: outcomes, report }
    case 'fail':
      return {
        verdict: 'fail',
        exitCode: code,
        cases: outcomes,
        report,
        missed: report.results.flatMap((r) => r.targets.filter((t) => t.verdict === 'fail').map((t) => ({ ...t, case: r.id })))
      }
    case 'error':
      return {
        verdict: 'error',
        exitCode: code,
        cases: outcomes,
        report,
        errors: outcomes.filter((o) => o.status === 'errored' || (o.status === 'completed' && o.verdict === 'error'))
      }
  }
}
