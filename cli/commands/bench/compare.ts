/**
 * `lucid compare`, two ways:
 * - `--base REF [CASES...]`: an A/B in one sitting. The ref is checked out beside this tree (harness/base-tree.ts),
 *   both trees' cases run alternately until every metric is decided or the budget ends (harness/interleave.ts),
 *   each metric is decided with a Holm-Bonferroni correction over all of them (harness/stats/decide.ts); exit 1
 *   on a decided regression of a targeted metric.
 * - `OLD.json NEW.json`: two reports from two sittings, Welch's t-test per metric over their repeats; the
 *   difference includes whatever changed on the machine between the sittings, and the output says so.
 */
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseFlags } from '../../args.ts'
import { errors } from '../../../services/common/errors.ts'
import { HEAD_DIR, headState, prepareBaseTree } from '../../../harness/base-tree.ts'
import type { Profile } from '../../../harness/case.ts'
import {
  caseErrors,
  compareReports,
  familyOf,
  INTERLEAVED_METHOD,
  interleavedExitCode,
  interleavedVerdict,
  isHeadline,
  type CompareReport,
  type MetricChange
} from '../../../harness/compare.ts'
import { captureEnv, finishEnv } from '../../../harness/env.ts'
import { interleave, runsFor, type InterleaveEvent, type Side } from '../../../harness/interleave.ts'
import { PROFILES } from '../../../harness/profile.ts'
import { selectCases } from '../../../harness/select.ts'
import { REGISTRY, TARGETS } from '../../../cases/index.ts'
import { fmt } from '../../../harness/report/console.ts'
import { validateReport, type Report } from '../../../harness/report/schema.ts'
import type { MetricDecision } from '../../../harness/stats/decide.ts'
import type { TargetSpec } from '../../../harness/targets.ts'
import { parseDuration } from '../../duration.ts'
import { assertWritable, STDOUT, writeJson } from '../../output.ts'

/** Usage of `lucid compare`. */
export const COMPARE_USAGE = `lucid compare --base REF [COMPONENT|CASE|CASE-GLOB ...] [--budget 5m] [--min-effect 5%] [options]
lucid compare OLD.json NEW.json [--min-effect 5%] [--all]

--base REF: an A/B in one sitting. REF (a commit, branch or tag) is checked out into a cache directory
(its dependencies linked from this tree when the lockfile is the same, else npm ci there, once). Then, round
after round, each case runs in both trees back to back (lucid bench CASE, same seed), which tree goes first
alternating, until every metric is decided or the budget ends; this tree runs as it is, uncommitted
changes included. Per metric: head/base as the geometric mean of the per-pair ratios with its 95 %
interval, and a decision: regression or improvement (beyond the minimum effect), "no difference" (within
it), or "undecided" (the budget ran out first). Both decisions are Holm-Bonferroni-corrected over all the
metrics (5 % familywise).
  --budget D          wall-clock budget (default 5m; 90s, 10m, 1h)
  --min-effect P      the smallest change that matters (default 5%)
  --profile P         profile of each run: smoke (default: short runs, more rounds), quick or full
  --json FILE         write the comparison with every sample (schema lucid-compare/1); '-': to stdout
  --all               decide on every metric (default: targeted metrics, headline figures of baselines)
  --seed N            seed of round 0; round r uses N + r on both sides (default 42)
  --max-rounds N      stop after N rounds even with budget left
Exit codes: 0 no decided regression of a targeted metric, 1 one, 2 usage or setup error, 3 a case errored.

OLD.json NEW.json: two reports from two sittings. Per case and metric: old and new medians, new/old,
Welch's t-test over the repeats (p, not corrected for the number of metrics), and the verdict. A change is
significant when p < 0.05 and it moves at least --min-effect; runs need --repeat >= 2 to be tested.
The machine's drift between the sittings counts as a change: prefer --base for a regression gate.
Exit codes: 0 no significant regression, 1 a significant regression, 2 usage or unreadable report.`

function readReport(path: string): Report {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new errors.MalformedReport(`${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err })
  }
  const problems = validateReport(raw)
  if (problems.length > 0) throw new errors.MalformedReport(`${path}: ${problems[0] ?? ''}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`)
  return raw as Report
}

function parseEffect(v: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(v)
  if (m === null) throw new errors.BadValue(`--min-effect: '${v}' (a percentage like 5%)`)
  return Number(m[1]) / 100
}

/** Renders the comparison as a table. */
export function renderComparison(changes: readonly MetricChange[], all: boolean): string {
  const targetedCases = new Set(changes.filter((c) => c.targeted).map((c) => c.case))
  // A case without targets (a baseline) shows its headline figures: rates and the p50/p99 latencies.
  const headline = (c: MetricChange): boolean => !targetedCases.has(c.case) && c.better !== undefined && isHeadline(c.metric)
  const shown = changes.filter((c) => all || c.targeted || c.significant || headline(c))
  const rows = shown.map((c) => [
    c.case,
    c.metric,
    fmt(c.old),
    fmt(c.new),
    `${fmt(c.ratio)}x`,
    Number.isNaN(c.p) ? '-' : c.p < 0.001 ? '<0.001' : c.p.toFixed(3),
    c.change === 'regression' ? 'REGRESSION' : c.change
  ])
  const head = ['case', 'metric', 'old', 'new', 'new/old', 'p', 'change']
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i >= 2 && i <= 5 ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
      .join('  ')
      .trimEnd()
  const reg = changes.filter((c) => c.change === 'regression').length
  const imp = changes.filter((c) => c.change === 'improvement').length
  const untested = changes.some((c) => c.change === 'untested')
  return [
    'Two sittings compared: any change of the machine between them counts as a change of the code, and p is not corrected for the number of metrics (lucid compare --base REF compares in one sitting).',
    '',
    line(head),
    w.map((n) => '-'.repeat(n)).join('  '),
    ...rows.map(line),
    '',
    `${reg} significant regression(s), ${imp} improvement(s) over ${changes.length} metrics${untested ? '; some runs had a single repeat and could not be tested (use --repeat >= 2)' : ''}`
  ].join('\n')
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(Math.abs(x) < 0.1 ? 1 : 0)}%`
const LABEL: Record<MetricDecision['decision'], string> = {
  regression: 'REGRESSION',
  improvement: 'improvement',
  same: 'no difference',
  undecided: 'undecided'
}

/** Renders an interleaved comparison: one row per decided-on metric, then the summary. */
export function renderDecisions(report: CompareReport): string {
  const rows = report.decisions.map((d) => [
    d.case,
    `${d.metric}${d.targeted ? '' : ' *'}`,
    fmt(d.base),
    fmt(d.head),
    Number.isFinite(d.ratio) ? pct(d.ratio - 1) : '-',
    Number.isFinite(d.ci_low) ? `${pct(d.ci_low - 1)} .. ${pct(d.ci_high - 1)}` : '-',
    String(d.n),
    LABEL[d.decision]
  ])
  const head = ['case', 'metric', 'base', 'head', 'change', '95% interval', 'n', 'decision']
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i >= 2 && i <= 6 ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
      .join('  ')
      .trimEnd()
  const count = (k: MetricDecision['decision']): number => report.decisions.filter((d) => d.decision === k).length
  const targetedReg = report.decisions.filter((d) => d.targeted && d.decision === 'regression').length
  const base = `${report.base.ref} (${report.base.commit.slice(0, 12)})`
  const headName = `this tree (${report.head.commit.slice(0, 12) || 'no commit'}${report.head.dirty ? ', with uncommitted changes' : ''})`
  const why = { decided: 'every metric decided', budget: 'the budget ran out', 'max-rounds': 'the round limit was reached' }[report.stopped]
  const errs = report.errors.map((e) => `errored: ${e.id} in the ${e.side} tree, round ${e.round + 1}: ${e.reason}`)
  return [
    `One sitting: base ${base} against head ${headName}, ${report.rounds.length} round(s) of ${report.cases.length} case(s) run in both trees back to back, in ${Math.round(report.elapsed_s)} s (${why}); profile ${report.profile}.`,
    '',
    line(head),
    w.map((n) => '-'.repeat(n)).join('  '),
    ...rows.map(line),
    '',
    `change = head/base - 1; * = not targeted (never fails the gate). Holm-Bonferroni over ${report.decisions.length} metrics (5 % familywise), minimum effect ${pct(report.min_effect)}.`,
    ...errs,
    `${count('regression')} regression(s) (${targetedReg} of targeted metrics), ${count('improvement')} improvement(s), ${count('same')} no difference, ${count('undecided')} undecided.`
  ].join('\n')
}

/** What a comparison between two prepared trees needs (the CLI's --base path, and the tests with fixture trees). */
export interface CompareTreesOptions {
  base: Side & { ref: string; commit: string; install?: string }
  head: Side & { ref: string; commit: string; dirty: boolean }
  /** Case ids, each run on its own in both trees. */
  cases: readonly string[]
  profile: Profile
  budgetS: number
  minEffect: number
  all?: boolean
  seed?: number
  maxRounds?: number
  targets?: readonly TargetSpec[]
  json?: string
  /** Where progress lines go (stderr by default). */
  log?: (line: string) => void
  /** Where the result goes (stdout by default). */
  print?: (text: string) => void
}

/** Runs an interleaved comparison of two trees, prints it, writes the JSON report; returns the exit code and the report. */
export async function compareTrees(opts: CompareTreesOptions): Promise<{ code: number; report: CompareReport }> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`))
  const env = captureEnv()
  const onEvent = (e: InterleaveEvent): void => {
    if (e.type === 'run-end') {
      const failed = e.run.results.filter((r) => r.status === 'errored').map((r) => r.id)
      log(
        `round ${e.round + 1} ${e.case} ${e.run.side}: ${e.run.seconds.toFixed(1)} s, load ${e.run.loadavg_1m.toFixed(2)}${failed.length > 0 ? `, errored: ${failed.join(' ')}` : ''}`
      )
    } else if (e.type === 'round-end') {
      const n = e.decisions.filter((d) => d.decision !== 'undecided').length
      log(`round ${e.round + 1} done at ${Math.round(e.elapsed_s)} s: ${n} of ${e.decisions.length} metrics decided`)
    }
  }
  const result = await interleave({
    base: opts.base,
    head: opts.head,
    cases: opts.cases,
    profile: opts.profile,
    budgetS: opts.budgetS,
    minEffect: opts.minEffect,
    family: familyOf(opts.targets ?? TARGETS, opts.all === true),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.maxRounds !== undefined ? { maxRounds: opts.maxRounds } : {}),
    loadavg: () => loadavg()[0] ?? 0,
    onEvent
  })
  const verdict = interleavedVerdict(result)
  const report: CompareReport = {
    schema: 'lucid-compare/1',
    mode: 'interleaved',
    verdict,
    base: { ref: opts.base.ref, commit: opts.base.commit, dir: opts.base.dir, ...(opts.base.install !== undefined ? { install: opts.base.install } : {}) },
    head: { ref: opts.head.ref, commit: opts.head.commit, dirty: opts.head.dirty, dir: opts.head.dir },
    cases: [...opts.cases],
    profile: opts.profile,
    budget_s: opts.budgetS,
    min_effect: opts.minEffect,
    alpha: 0.05,
    correction: 'holm-bonferroni',
    method: INTERLEAVED_METHOD,
    env: finishEnv(env),
    elapsed_s: result.elapsed_s,
    stopped: result.stopped,
    rounds: result.rounds,
    decisions: result.decisions,
    errors: caseErrors(result.rounds)
  }
  const print = opts.print ?? ((t: string) => (opts.json === STDOUT ? process.stderr : process.stdout).write(t))
  print(`${renderDecisions(report)}\n`)
  if (opts.json !== undefined) {
    writeJson(opts.json, report)
    if (opts.json !== STDOUT) print(`report: ${opts.json}\n`)
  }
  return { code: interleavedExitCode(verdict), report }
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new errors.BadValue(`${flag}: '${v}' (a whole number >= 1)`)
  return Number(v)
}

/** Runs `lucid compare`; returns the exit code. */
export async function compareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, 'compare', {
    allowPositionals: true,
    options: {
      base: { type: 'string' },
      budget: { type: 'string' },
      profile: { type: 'string' },
      json: { type: 'string' },
      seed: { type: 'string' },
      'max-rounds': { type: 'string' },
      'min-effect': { type: 'string' },
      all: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) {
    process.stdout.write(`${COMPARE_USAGE}\n`)
    return 0
  }
  const minEffect = values['min-effect'] !== undefined ? parseEffect(values['min-effect']) : 0.05
  if (values.base === undefined) {
    for (const flag of ['budget', 'profile', 'json', 'seed', 'max-rounds'] as const)
      if (values[flag] !== undefined) throw new errors.Usage(`--${flag} goes with --base REF (two reports are compared as they are)`)
    if (positionals.length !== 2) throw new errors.Usage('lucid compare OLD.json NEW.json [--min-effect 5%], or lucid compare --base REF [CASES...]')
    const changes = compareReports(readReport(positionals[0]!), readReport(positionals[1]!), TARGETS, minEffect)
    process.stdout.write(`${renderComparison(changes, values.all === true)}\n`)
    return changes.some((c) => c.change === 'regression') ? 1 : 0
  }
  if (values.base === '') throw new errors.BadValue("--base: '' (a git ref: a commit, branch or tag)")
  const budgetS = parseDuration(values.budget ?? '5m', '--budget')
  const profile = (values.profile ?? 'smoke') as Profile
  if (!PROFILES.includes(profile)) throw new errors.BadValue(`--profile: '${values.profile ?? ''}' (smoke, quick or full)`)
  if (minEffect <= 0) throw new errors.BadValue(`--min-effect: '${values['min-effect'] ?? ''}' (above 0 with --base: equivalence needs a band)`)
  const seed = positiveInt(values.seed, '--seed')
  const maxRounds = positiveInt(values['max-rounds'], '--max-rounds')
  for (const p of positionals) if (p.endsWith('.json')) throw new errors.Usage(`'${p}': --base runs the cases; it compares no report files`)
  // An unknown case is a usage error here, before any checkout. Each case runs on its own in both trees; a
  // baseline that a selected case divides by runs with that case, not on its own as well.
  const caseIds = runsFor(selectCases(positionals, REGISTRY))
  if (values.json !== undefined) assertWritable(values.json, '--json')
  const log = (l: string): void => {
    process.stderr.write(`${l}\n`)
  }
  const tree = prepareBaseTree({ ref: values.base, log })
  log(`base tree: ${tree.ref} = ${tree.commit.slice(0, 12)} in ${tree.dir} (${tree.reused ? 'reused' : 'checked out'}; dependencies ${tree.install})`)
  const state = headState()
  const { code } = await compareTrees({
    base: { dir: tree.dir, ref: tree.ref, commit: tree.commit, install: tree.install },
    head: { dir: HEAD_DIR, ref: 'working tree', commit: state.commit, dirty: state.dirty },
    cases: caseIds,
    profile,
    budgetS,
    minEffect,
    all: values.all === true,
    ...(seed !== undefined ? { seed } : {}),
    ...(maxRounds !== undefined ? { maxRounds } : {}),
    ...(values.json !== undefined ? { json: values.json } : {}),
    log
  })
  return code
}
