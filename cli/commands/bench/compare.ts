/**
 * `lucid compare OLD.json NEW.json [--min-effect 5%] [--all]`: prints per case and metric both values, the
 * ratio and whether the change is significant; exits 1 on a significant regression, so CI can gate on it.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { errors } from '../../../services/common/errors.ts'
import { compareReports, type MetricChange } from '../../../harness/compare.ts'
import { fmt } from '../../../harness/report/console.ts'
import { validateReport, type Report } from '../../../harness/report/schema.ts'

/** Usage of `lucid compare`. */
export const COMPARE_USAGE = `lucid compare OLD.json NEW.json [--min-effect 5%] [--all]

Per case and metric: old and new medians, new/old, Welch's t-test over the repeats (p), and the verdict.
A change is significant when p < 0.05 and it moves at least --min-effect (default 5%); runs need
--repeat >= 2 on both sides to be tested. Shown: targeted metrics (headline figures for cases without
targets) and every significant change; --all shows every metric.
Exit codes: 0 no significant regression, 1 a significant regression, 2 usage or unreadable report.`

function readReport(path: string): Report {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new errors.LUCID_ERR_9008(`${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err })
  }
  const problems = validateReport(raw)
  if (problems.length > 0) throw new errors.LUCID_ERR_9008(`${path}: ${problems[0] ?? ''}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`)
  return raw as Report
}

function parseEffect(v: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(v)
  if (m === null) throw new errors.LUCID_ERR_9003(`--min-effect: '${v}' (a percentage like 5%)`)
  return Number(m[1]) / 100
}

/** Renders the comparison as a table. */
export function renderComparison(changes: readonly MetricChange[], all: boolean): string {
  const targetedCases = new Set(changes.filter((c) => c.targeted).map((c) => c.case))
  // A case without targets (a baseline) shows its headline figures: rates and the p50/p99 latencies.
  const headline = (c: MetricChange): boolean =>
    !targetedCases.has(c.case) &&
    c.better !== undefined &&
    /(^|_)(p50|p99)_ms$|_per_s$/.test(c.metric) &&
    !/^(uncorrected|closed|send_lag|generator|intended)/.test(c.metric)
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
    line(head),
    w.map((n) => '-'.repeat(n)).join('  '),
    ...rows.map(line),
    '',
    `${reg} significant regression(s), ${imp} improvement(s) over ${changes.length} metrics${untested ? '; some runs had a single repeat and could not be tested (use --repeat >= 2)' : ''}`
  ].join('\n')
}

/** Runs `lucid compare`; returns the exit code. */
export async function compareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'min-effect': { type: 'string' }, all: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }
  })
  if (values.help === true) {
    process.stdout.write(`${COMPARE_USAGE}\n`)
    return 0
  }
  if (positionals.length !== 2) throw new errors.LUCID_ERR_9001('lucid compare OLD.json NEW.json [--min-effect 5%]')
  const minEffect = values['min-effect'] !== undefined ? parseEffect(values['min-effect']) : 0.05
  const changes = compareReports(readReport(positionals[0]!), readReport(positionals[1]!), minEffect)
  process.stdout.write(`${renderComparison(changes, values.all === true)}\n`)
  return changes.some((c) => c.change === 'regression') ? 1 : 0
}
