import { errors } from '../../../services/common/errors.ts'
import type { Profile } from '../../../harness/case.ts'
import { PROFILES } from '../../../harness/profile.ts'
import { assertUniqueIds, targetsOf } from '../../../harness/define-case.ts'
import { type CaseDef, loadCaseFile } from '../../../harness/registry.ts'
import { REGISTRY, TARGETS } from '../../../cases/index.ts'
import { renderTable } from '../../../harness/report/console.ts'
import { writeHgrm } from '../../../harness/report/hgrm.ts'
import { parseCpuList } from '../../../load/pin.ts'
import { progressPrinter } from '../../../harness/report/progress.ts'
import { runBench } from '../../../harness/runner.ts'
import { selectCases } from '../../../harness/select.ts'
import { targetTable } from '../../../harness/targets-file.ts'
import { exitCode } from '../../../harness/verdict.ts'
import { hostUrl, parseFlags } from '../../args.ts'
import { assertWritable, assertWritableDir, humanOutput, writeReportFiles } from '../../output.ts'

/** Usage of `lucid bench`. */
export const BENCH_USAGE = `lucid bench [COMPONENT|CASE|CASE-GLOB ...] [options]

Runs every selected benchmark case (default: all) in its own process against its seed target.
  --profile smoke|quick|full  how long to run: smoke ~10 s per component (CI, judges no speed),
                              quick (default) <= ~2 min per component, full = the seed's durations
  --repeat R                  run each case R times; metrics are medians, each repeat is kept
  --json FILE                 write the JSON report (schema lucid-bench/1, docs/report.md); '-': to stdout,
                              with every other line on stderr
  --targets-file FILE         override or add targets (docs/report.md, "Your own targets")
  --host URL                  the system under test for the gateway and load cases: an already running
                              gateway (default: each case starts its own on loopback); baselines always run
                              their own raw servers, so the ratios stay true
  --cases FILE                run your own cases (a module exporting defineCase cases, README "Your own cases")
                              with their own targets, instead of the built-in ones; repeatable
  -q, --quiet                 print nothing but errors (the exit code and --json/--html carry the result)
  --html FILE                 write a self-contained HTML page (latency curves, load over time, targets)
  --hgrm DIR                  write HdrHistogram percentile-distribution files, one per case and histogram
  --pin-server CPUS           pin the server process to CPUS (taskset list, e.g. 0)
  --pin-load CPUS             pin the load generator processes to CPUS (e.g. 1)
  --find-max --p99 MS         HTTP cases: search the highest open-model rate whose p99 stays under MS
  --busy N                    keep N processes burning a core each while the cases run (started and stopped
                              by the runner): behaviour under contention, measured on purpose
  --strict                    a skipped case fails the run
  --seed N                    seed of the cases' random generators (default 42)
  --list                      list the registered cases and exit
The HTTP cases run at the seed's connections and rate (their targets are judged there), so bench takes no
autocannon-style -c/-d/-R: 'lucid load -u N -r R -t D' drives the gateway at your own load.
How long a run takes: README.md, "What the commands cost".
Exit codes: 0 every target met, 1 a target missed, 2 usage or setup error, 3 a case crashed.`

function positiveInt(v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new errors.BadValue(`${flag}: '${v}' (a whole number >= 1)`)
  return Number(v)
}

function nonNegativeInt(v: string, flag: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 64) throw new errors.BadValue(`${flag}: '${v}' (a whole number from 0 to 64)`)
  return Number(v)
}

/** Lists the registry, one case a line. */
function listCases(registry: readonly CaseDef[]): string {
  return registry.map((c) => `${c.id.padEnd(28)} ${c.description}`).join('\n')
}

/** Runs `lucid bench`; returns the exit code. */
export async function benchCommand(argv: string[], registry: readonly CaseDef[] = REGISTRY): Promise<number> {
  const { values, positionals } = parseFlags(argv, 'bench', {
    allowPositionals: true,
    options: {
      profile: { type: 'string' },
      repeat: { type: 'string' },
      json: { type: 'string' },
      'targets-file': { type: 'string' },
      host: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      cases: { type: 'string', multiple: true },
      strict: { type: 'boolean' },
      html: { type: 'string' },
      hgrm: { type: 'string' },
      'pin-server': { type: 'string' },
      'pin-load': { type: 'string' },
      'find-max': { type: 'boolean' },
      p99: { type: 'string' },
      seed: { type: 'string' },
      busy: { type: 'string' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) {
    process.stdout.write(`${BENCH_USAGE}\n`)
    return 0
  }
  // --cases: the user's cases are the ones run (all, or those the patterns name); the built-in ones stay known
  // so that a user's case may divide by a built-in baseline.
  const own = (await Promise.all((values.cases ?? []).map((f) => loadCaseFile(f)))).flat()
  const known = own.length > 0 ? [...own, ...registry] : registry
  assertUniqueIds(known)
  if (values.list === true) {
    process.stdout.write(`${listCases(own.length > 0 ? own : known)}\n`)
    return 0
  }
  const profile = (values.profile ?? 'quick') as Profile
  if (!PROFILES.includes(profile)) throw new errors.BadValue(`--profile: '${values.profile ?? ''}' (smoke, quick or full)`)
  const repeat = positiveInt(values.repeat, '--repeat', 1)
  const seed = positiveInt(values.seed, '--seed', 42)
  const busy = values.busy === undefined ? 0 : nonNegativeInt(values.busy, '--busy')
  const target = values.host !== undefined ? hostUrl(values.host) : undefined
  if (values.json !== undefined) assertWritable(values.json, '--json')
  if (values.html !== undefined) assertWritable(values.html, '--html')
  if (values.hgrm !== undefined) assertWritableDir(values.hgrm, '--hgrm')
  const pin = {
    ...(values['pin-server'] !== undefined ? { server: parseCpuList(values['pin-server'], '--pin-server') } : {}),
    ...(values['pin-load'] !== undefined ? { load: parseCpuList(values['pin-load'], '--pin-load') } : {})
  }
  if ((values['find-max'] === true) !== (values.p99 !== undefined)) throw new errors.Usage('--find-max and --p99 MS go together')
  let findMax: { p99Ms: number } | undefined
  if (values.p99 !== undefined) {
    const p99Ms = Number(values.p99)
    if (!Number.isFinite(p99Ms) || p99Ms <= 0) throw new errors.BadValue(`--p99: '${values.p99}' (milliseconds, > 0)`)
    findMax = { p99Ms }
  }
  const table = [...TARGETS, ...targetsOf(own)]
  const targets = targetTable(
    table,
    values['targets-file'],
    known.map((c) => c.id)
  )
  const cases = selectCases(positionals.length === 0 && own.length > 0 ? own.map((c) => c.id) : positionals, known)
  const human = humanOutput(values)

  const report = await runBench({
    cases,
    profile,
    targets,
    repeat,
    seed,
    strict: values.strict === true,
    busy,
    ...(human.progress !== undefined ? { onEvent: progressPrinter(human.progress) } : {}),
    pin,
    ...(target !== undefined ? { target } : {}),
    ...(findMax !== undefined ? { findMax } : {})
  })
  human.say(`\n${renderTable(report)}\n`)
  writeReportFiles(report, values, human)
  if (values.hgrm !== undefined) {
    const files = writeHgrm(report, values.hgrm)
    human.say(`hgrm: ${files.length} files in ${values.hgrm}\n`)
  }
  return exitCode(report.verdict, profile)
}
