/**
 * `lucid chaos --suite fuzz|overload|faults|soak|all [--duration D] [--full] [--json F] [--host URL] [--seed N]`:
 * reliability suites against the whole system. Each suite is a module chaos/<suite>/index.ts exporting
 * `run(opts): Promise<ChaosResult>` (chaos/types.ts), loaded only when asked for, so suites written
 * separately plug in and a missing one is named (LUCID_ERR_9009) rather than breaking the others.
 *
 * The command prints each suite's figures, judges them against the targets below (the issues' "done when"
 * as data), writes the harness's report (lucid-bench/1, one entry `chaos.<suite>` per suite) and exits
 * 0 when every suite passed, 1 when one failed, 2 on a usage error, 3 when a suite crashed.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { errors, isLucidError } from '../../../services/common/errors.ts'
import { parseDuration } from '../../duration.ts'
import { hostUrl, parseFlags } from '../../args.ts'
import { assertWritable, humanOutput, STDOUT, writeJson } from '../../output.ts'
import { captureEnv, finishEnv } from '../../../harness/env.ts'
import { fmt, renderTable } from '../../../harness/report/console.ts'
import type { Report, ResultEntry } from '../../../harness/report/schema.ts'
import type { TargetSpec } from '../../../harness/targets.ts'
import { caseVerdict, judge, runVerdict } from '../../../harness/verdict.ts'
import type { ChaosOptions, ChaosResult, ChaosRun } from '../../../chaos/types.ts'

/** The suites, in the order `--suite all` runs them. */
export const SUITES = ['fuzz', 'overload', 'faults', 'soak'] as const
export type SuiteName = (typeof SUITES)[number]

/** Suites that drive a gateway over HTTP and so accept `--host`. */
const HTTP_SUITES: ReadonlySet<SuiteName> = new Set(['fuzz', 'overload'])

/** Usage of `lucid chaos`. */
export const CHAOS_USAGE = `lucid chaos --suite fuzz|overload|faults|soak|all [options]

Reliability suites against the whole system (docs/chaos.md):
  fuzz       generated hostile requests on every route of the OpenAPI document: never a 5xx, a crash or an
             unauthorised read or write (checked through the API afterwards); then 2,000 model-based
             sequences (register, logins, wallet, refresh, sessions, chunks, anchors), invariants after each step
  overload   the stress scenario at 4x the seed's rate, default hashing cost, rate limits on: load is shed
             with 429/503, /health stays fast, memory bounded, recovery measured
  faults     kill -9 of 'lucid serve' mid-write and mid-vote, many cycles: nothing acknowledged lost or torn, no
             nonce reuse, a new final block within 60 s of every restart; then MongoDB (MONGODB_URI, else the jongodb stand-in) slowed, blackholed, refused;
             then kill -9 of single validator processes of a 4-node libp2p devnet (at most f at a time), restarted:
             finality goes on, the node catches up, nothing reverts; then power cuts (data directory on a FUSE filesystem that drops unsynced writes)
  soak       contract traffic for 20 minutes (--full 4 h): live heap, RSS outside the heap, handles and
             event-loop delay fitted; a leak is a significant slope over 10 % an hour
Options:
  --duration D   length of the suite's main phase (90s, 5m); default: the quick variant's
  --full         the full variants (longer, more requests); quick is the default
  --host URL     an already running gateway (fuzz and overload only); default: 'lucid serve' started on
                 loopback in a child process with a fresh data directory
  --seed N       seed of the generated input (fuzz), to reproduce a finding
  --json F       the harness's report (lucid-bench/1), one result 'chaos.<suite>' per suite; '-': to stdout,
                 everything else on stderr
  -q, --quiet    print nothing but errors
Exit codes: 0 every suite passed, 1 one failed, 2 usage error, 3 a suite crashed.`

const FUZZ = 'issue 11: "a 4xx with its code for each, never a 5xx, never a crash, and no unauthorised read or write"'
const OVERLOAD = 'issue 11: "the gateway sheds load (429/503 with codes) instead of collapsing, /health stays fast, memory stays bounded, and it recovers"'
const t = (suite: SuiteName, metric: string, op: TargetSpec['op'], value: number, source: string): TargetSpec => ({
  case: `chaos.${suite}`,
  metric,
  op,
  value,
  source,
  kind: 'target'
})

/**
 * The targets of each suite. Every suite is also held to `findings_count <= 0` (a finding is a failure with
 * its reproduction), so a suite without entries here (faults, soak) is still judged on what it found.
 * The request-count target applies to the default length only: with --duration the user chose the length.
 */
export function chaosTargets(suite: SuiteName, opts: { full: boolean; durationGiven: boolean }): TargetSpec[] {
  const all = [t(suite, 'findings_count', '<=', 0, 'every failure a suite finds is reported as a finding')]
  switch (suite) {
    case 'fuzz':
      return [
        ...(opts.durationGiven
          ? []
          : [
              t(
                suite,
                'requests_count',
                '>=',
                opts.full ? 100_000 : 10_000,
                opts.full ? 'the full variant: 100,000 hostile requests' : 'issue 11: "tries at least 10,000 hostile requests"'
              )
            ]),
        t(suite, 'server_errors_count', '<=', 0, 'issue 11: "with 0 5xx"'),
        t(suite, 'crashes_count', '<=', 0, 'issue 11: "0 crashes"'),
        t(suite, 'unauthorised_successes_count', '<=', 0, 'issue 11: "0 unauthorised successes"'),
        t(suite, 'responses_without_code_count', '<=', 0, FUZZ),
        t(suite, 'integrity_violations_count', '<=', 0, `${FUZZ} (checked through the API after the run)`),
        t(
          suite,
          'model_sequences_count',
          '>=',
          opts.full ? 10_000 : 2000,
          'issue 16: "at least 2,000 sequences" of model-based commands (chaos/fuzz/model.ts)'
        ),
        t(
          suite,
          'model_violations_count',
          '<=',
          0,
          'issue 16: invariants checked after every step: answered in time, no 5xx, no access across users, memory bounded'
        ),
        ...all
      ]
    case 'overload':
      return [
        t(suite, 'health_p99_ms', '<', 100, 'issue 11: "keeps /health p99 under 100 ms during the burst"'),
        t(suite, 'server_errors_count', '<=', 0, `${OVERLOAD} (5xx other than 503 load shedding with its code)`),
        t(suite, 'crashes_count', '<=', 0, OVERLOAD),
        t(suite, 'responses_without_code_count', '<=', 0, OVERLOAD),
        t(suite, 'recovery_s', '<=', 30, 'issue 11: "and recovers" (within 30 s of the burst\'s end: /health p99 and a normal request mix back to baseline)'),
        t(
          suite,
          'peak_rss_bytes',
          '<',
          1024 ** 3,
          'issue 11: "memory stays bounded" (below 1 GiB: 2 hashes of 128 MiB, 64 queued logins and the heap fit well within it)'
        ),
        ...all
      ]
    default:
      return all
  }
}

/** The module of a suite. */
export function suiteModule(suite: SuiteName): URL {
  return new URL(`../../../chaos/${suite}/index.ts`, import.meta.url)
}

/** Parsed and checked flags. */
interface ChaosArgs {
  suites: SuiteName[]
  full: boolean
  durationS?: number
  target?: string
  seed?: number
  json?: string
  quiet: boolean
}

/** Parses the flags; throws LUCID_ERR_9001/9003 for bad ones (the CLI prints one line, exit 2). */
export function parseChaosArgs(argv: string[]): ChaosArgs | 'help' {
  const { values, positionals } = parseFlags(argv, 'chaos', {
    allowPositionals: true,
    options: {
      suite: { type: 'string' },
      duration: { type: 'string' },
      full: { type: 'boolean' },
      json: { type: 'string' },
      host: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) return 'help'
  if (positionals.length > 0) throw new errors.Usage(`lucid chaos takes no positional arguments ('${positionals[0] ?? ''}'); try --suite`)
  const name = values.suite
  if (name === undefined) throw new errors.Usage('lucid chaos needs --suite fuzz|overload|faults|soak|all')
  if (name !== 'all' && !(SUITES as readonly string[]).includes(name)) throw new errors.BadValue(`--suite: '${name}' (fuzz, overload, faults, soak or all)`)
  const suites = name === 'all' ? [...SUITES] : [name as SuiteName]
  const out: ChaosArgs = { suites, full: values.full === true, quiet: values.quiet === true }
  if (values.duration !== undefined) out.durationS = parseDuration(values.duration, '--duration')
  if (values.host !== undefined) {
    if (name !== 'all' && !HTTP_SUITES.has(name as SuiteName)) throw new errors.Usage(`--host applies to the fuzz and overload suites, not '${name}'`)
    out.target = hostUrl(values.host)
  }
  if (values.seed !== undefined) {
    const n = Number(values.seed)
    if (!Number.isSafeInteger(n) || n < 0) throw new errors.BadValue(`--seed: '${values.seed}' (a whole number >= 0)`)
    out.seed = n
  }
  if (values.json !== undefined) {
    assertWritable(values.json, '--json')
    out.json = values.json
  }
  return out
}

/** Loads a suite's `run`; LUCID_ERR_9009 naming the module when it is not there (yet). */
export async function loadSuite(suite: SuiteName, moduleUrl = suiteModule(suite)): Promise<ChaosRun> {
  const path = fileURLToPath(moduleUrl)
  if (!existsSync(path)) throw new errors.NotAvailableYet(`the ${suite} suite (${path} is missing)`)
  const mod = (await import(moduleUrl.href)) as { run?: unknown }
  if (typeof mod.run !== 'function') throw new errors.NotAvailableYet(`the ${suite} suite (${path} does not export run(opts))`)
  return mod.run as ChaosRun
}

/** A suite's entry in the report, judged. */
export function chaosEntry(suite: SuiteName, r: ChaosResult, specs: readonly TargetSpec[], durationS: number): ResultEntry & { findings: string[] } {
  const metrics = { ...r.metrics, findings_count: r.findings.length }
  const targets = specs.map((s) => judge(s, metrics))
  const judged = caseVerdict('completed', targets)
  return {
    id: `chaos.${suite}`,
    component: 'chaos',
    status: 'completed',
    conditions: r.conditions,
    metrics,
    repeats: [metrics],
    baselines: [],
    targets,
    goals: [],
    duration_s: durationS,
    // The suite's own judgement can only make the verdict stricter.
    verdict: judged === 'pass' && !r.passed ? 'fail' : judged,
    findings: r.findings
  }
}

/** The entry of a suite that crashed (exit 3). */
function crashedEntry(suite: SuiteName, err: unknown, durationS: number): ResultEntry {
  const message = err instanceof Error ? err.message : String(err)
  return {
    id: `chaos.${suite}`,
    component: 'chaos',
    status: 'errored',
    reason: message.split('\n')[0] ?? message,
    code: isLucidError(err) ? err.code : 'LUCID_ERR_9006',
    conditions: {},
    metrics: {},
    repeats: [],
    baselines: [],
    targets: [],
    goals: [],
    duration_s: durationS,
    verdict: 'error'
  }
}

/** The figures of a suite as a two-column table, then its conditions and findings. */
export function renderSuite(e: ResultEntry & { findings?: string[] }): string {
  const rows = Object.entries(e.metrics).map(([k, v]) => [k, fmt(v)] as const)
  const w = Math.max(6, ...rows.map(([k]) => k.length))
  const lines = [`${e.id}`, `  ${'metric'.padEnd(w)}  value`, ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`)]
  const cond = Object.entries(e.conditions)
  if (cond.length > 0) lines.push('  conditions:', ...cond.map(([k, v]) => `    ${k}: ${String(v)}`))
  const f = e.findings ?? []
  if (f.length > 0) {
    lines.push(`  findings (${f.length}):`, ...f.slice(0, 20).map((x) => `    - ${x}`))
    if (f.length > 20) lines.push(`    ... ${f.length - 20} more in the JSON report`)
  }
  return lines.join('\n')
}

/** Progress on stderr: rewritten in place on a terminal, one line every few seconds otherwise; none with --quiet. */
function progressWriter(suite: string, quiet: boolean): { write: (text: string) => void; end: () => void } {
  if (quiet) return { write: () => {}, end: () => {} }
  const tty = process.stderr.isTTY === true
  let last = 0
  return {
    write(text) {
      if (tty) {
        process.stderr.write(`\r\x1b[2K[${suite}] ${text}`)
        return
      }
      const now = performance.now()
      if (now - last >= 5000) {
        last = now
        process.stderr.write(`[${suite}] ${text}\n`)
      }
    },
    end() {
      if (tty) process.stderr.write('\n')
    }
  }
}

/** Runs `lucid chaos`; returns the exit code. */
export async function chaosCommand(argv: string[]): Promise<number> {
  const args = parseChaosArgs(argv)
  if (args === 'help') {
    process.stdout.write(`${CHAOS_USAGE}\n`)
    return 0
  }
  // Every module is looked up before anything runs: `--suite all` must not spend minutes and then stop.
  const runs = new Map<SuiteName, ChaosRun>()
  for (const s of args.suites) runs.set(s, await loadSuite(s))

  const env = captureEnv()
  const entries: ResultEntry[] = []
  const human = humanOutput(args)
  for (const suite of args.suites) {
    const dir = await mkdtemp(join(tmpdir(), `lucid-chaos-${suite}-`))
    const progress = progressWriter(suite, args.quiet)
    const opts: ChaosOptions = {
      full: args.full,
      progress: progress.write,
      tmpdir: dir,
      ...(args.durationS !== undefined ? { durationS: args.durationS } : {}),
      ...(args.target !== undefined && HTTP_SUITES.has(suite) ? { target: args.target } : {}),
      ...(args.seed !== undefined ? { seed: args.seed } : {})
    }
    const started = performance.now()
    let entry: ResultEntry
    try {
      const r = await runs.get(suite)!(opts)
      entry = chaosEntry(suite, r, chaosTargets(suite, { full: args.full, durationGiven: args.durationS !== undefined }), (performance.now() - started) / 1000)
    } catch (err) {
      if (process.env.LUCID_DEBUG === '1') console.error(err)
      entry = crashedEntry(suite, err, (performance.now() - started) / 1000)
    } finally {
      progress.end()
      await rm(dir, { recursive: true, force: true })
    }
    entries.push(entry)
    human.say(`${renderSuite(entry)}\n\n`)
  }
  const report: Report = {
    schema: 'lucid-bench/1',
    verdict: runVerdict(entries, false),
    profile: args.full ? 'full' : 'quick',
    judged: true,
    strict: false,
    env: finishEnv(env),
    results: entries
  }
  human.say(`${renderTable(report)}\n`)
  if (args.json !== undefined) {
    writeJson(args.json, report)
    if (args.json !== STDOUT) human.say(`report: ${args.json}\n`)
  }
  return report.verdict === 'error' ? 3 : report.verdict === 'fail' ? 1 : 0
}
