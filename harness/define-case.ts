/**
 * `defineCase`: a benchmark case in one call, in one file: its id, description, the same-run baselines its
 * figures are divided by, its targets and goals, its time limit and its `run`.
 *
 * How a case is found without naming its module or export in a string. Cases run in a child process each
 * (worker.ts), which must import the case's module afresh, so the runner has to know *where* a case was
 * defined. `defineCase` records that itself: the file URL of its caller, read from V8's structured call
 * sites (what `import.meta.url` is inside that file). The worker imports that URL and picks, among the
 * module's exports, the case definition with the id it was asked to run (definitions carry a brand,
 * `Symbol.for('lucid-perf.case')`, so a definition made by another copy of this module, say a user's project
 * importing the built package, is recognised too). So a case must be exported (named, default, or in an
 * exported array or object), and that is all: no export name, no module string.
 *
 * Listing: the built-in registry (cases/index.ts) imports every `cases/<component>/*.case.ts` file and
 * collects their exported definitions; `lucid bench --cases FILE` and `bench()` do the same for a user's file
 * or list. Listing imports the definition files in the parent process, so a definition file keeps its imports
 * cheap and loads its heavy modules inside `run` (`await import('./cases.ts')`).
 */
import { pathToFileURL } from 'node:url'
import { errors } from '../services/common/errors.ts'
import type { CaseRun, Profile } from './case.ts'
import type { BaselineLink, CaseDef } from './registry.ts'
import type { Op, TargetSpec } from './targets.ts'

/** A target or goal on one of the case's metrics. */
export interface CaseTarget {
  readonly metric: string
  readonly op: Op
  readonly value: number
  /** Where the number comes from: the seed's sentence, the original test, "beyond the seed", your own reason. */
  readonly source: string
  /**
   * The case ids it applies to, an id or a glob (default: this case's id). A family of cases shares one entry
   * this way (`chain.consensus*` judges the in-process and the p2p consensus alike), so that a targets file
   * overrides it once, as it always did.
   */
  readonly case?: string
  /** Profiles the entry applies to (default: all), for figures only a longer profile produces. */
  readonly profiles?: readonly Profile[]
}

/** A target row in one call: `target('p95_ms', '<', 10, 'seed: "..."')` (in `targets` or `goals`). */
export function target(metric: string, op: Op, value: number, source: string, more: Pick<CaseTarget, 'case' | 'profiles'> = {}): CaseTarget {
  return { metric, op, value, source, ...more }
}

/** What `defineCase` takes. */
export interface CaseSpec {
  /** `component.name` (`gateway.health`, `mine.serialise`): letters, digits and _; the component is the part before the dot. */
  readonly id: string
  readonly description: string
  /** Same-run baselines: each named case runs first and `<metric>_vs_<name>_x` ratios are added. */
  readonly baselines?: readonly BaselineLink[]
  /** Targets: a miss fails the run (exit 1). */
  readonly targets?: readonly CaseTarget[]
  /** Goals: judged and reported, never change the exit code. */
  readonly goals?: readonly CaseTarget[]
  /** Hard wall-clock limit per profile, seconds (default: 120 smoke, 600 quick, 3600 full). */
  readonly timeoutS?: Partial<Record<Profile, number>>
  /** Measures, in the case's own child process. */
  readonly run: CaseRun
}

/** A defined case: a registry entry (`CaseDef`) that also carries its `run` and its targets as table rows. */
export interface CaseDefinition extends CaseDef {
  readonly targets: readonly TargetSpec[]
  readonly run: CaseRun
}

const BRAND = Symbol.for('lucid-perf.case')
/** Set on globalThis in a case's child process (worker.ts), for every copy of this module to see. */
export const IN_WORKER = Symbol.for('lucid-perf.in-case-worker')
/** Definition order across every copy of this module, so a file's cases list in the order they are written. */
const SEQ = Symbol.for('lucid-perf.case-seq')
const ID = /^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/

type Branded = CaseDefinition & { readonly [BRAND]: number }

/** The file URL of the code that called `fn`. */
function callerUrl(fn: (...args: never[]) => unknown): string {
  const prev = Error.prepareStackTrace
  const holder: { stack?: unknown } = {}
  let sites: NodeJS.CallSite[] | undefined
  try {
    // V8 formats `stack` when it is first read, with the prepareStackTrace of that moment.
    Error.prepareStackTrace = (_e, callSites) => callSites
    Error.captureStackTrace(holder, fn)
    sites = holder.stack as NodeJS.CallSite[] | undefined
  } finally {
    Error.prepareStackTrace = prev
  }
  const file = sites?.[0]?.getFileName() ?? undefined
  if (file === undefined) throw new errors.BadValue('defineCase: cannot tell which file defines the case (call it at the top level of a module)')
  return file.startsWith('file:') ? file : pathToFileURL(file).href
}

/**
 * Defines a benchmark case. Export the result from its module: the runner finds it there by id.
 * @example
 * export const serialise = defineCase({
 *   id: 'mine.serialise',
 *   description: 'my serialiser on a 1 KiB object',
 *   baselines: [{ id: 'mine.json', metrics: { ops_per_s: 'ops_per_s' } }],
 *   targets: [{ metric: 'ops_per_s', op: '>', value: 100_000, source: 'our budget' }],
 *   run: async (ctx) => ({ status: 'completed', metrics: { ops_per_s: await measure(ctx) } })
 * })
 */
export function defineCase(spec: CaseSpec): CaseDefinition {
  if (!ID.test(spec.id)) throw new errors.BadValue(`defineCase id: '${spec.id}' (component.name: letters, digits and _)`)
  const module = callerUrl(defineCase)
  const row =
    (kind: TargetSpec['kind']) =>
    (t: CaseTarget): TargetSpec => ({
      case: t.case ?? spec.id,
      metric: t.metric,
      op: t.op,
      value: t.value,
      source: t.source,
      kind,
      ...(t.profiles !== undefined ? { profiles: t.profiles } : {})
    })
  const g = globalThis as { [SEQ]?: number }
  const seq = (g[SEQ] ?? 0) + 1
  g[SEQ] = seq
  const def: Branded = {
    [BRAND]: seq,
    id: spec.id,
    component: spec.id.slice(0, spec.id.indexOf('.')),
    description: spec.description,
    module,
    targets: [...(spec.targets ?? []).map(row('target')), ...(spec.goals ?? []).map(row('goal'))],
    run: spec.run,
    ...(spec.baselines !== undefined ? { baselines: spec.baselines } : {}),
    ...(spec.timeoutS !== undefined ? { timeoutS: spec.timeoutS } : {})
  }
  return def
}

/** True for a value `defineCase` made (by this copy of the module or another). */
export function isCaseDefinition(v: unknown): v is CaseDefinition {
  return typeof v === 'object' && v !== null && typeof (v as { [BRAND]?: unknown })[BRAND] === 'number'
}

/**
 * The case definitions a module exports (directly, or in an exported array or object), once each, in the order they were
 * defined. `module` is set to `url` when given: the file the definitions were found in is the one the worker
 * imports, even when a helper in another file called `defineCase`.
 */
export function casesOf(namespace: Readonly<Record<string, unknown>>, url?: string): CaseDefinition[] {
  const found = new Set<CaseDefinition>()
  for (const v of Object.values(namespace)) {
    const items: unknown[] = isCaseDefinition(v) ? [v] : Array.isArray(v) ? v : typeof v === 'object' && v !== null ? Object.values(v) : []
    for (const item of items) if (isCaseDefinition(item)) found.add(item)
  }
  const seqOf = (d: CaseDefinition): number => (d as Branded)[BRAND]
  const list = [...found].sort((a, b) => seqOf(a) - seqOf(b))
  return url === undefined ? list : list.map((d) => (d.module === url ? d : ({ ...d, module: url } as CaseDefinition)))
}

/** Checks that no id is defined twice; throws LUCID_ERR_9003 naming both modules. */
export function assertUniqueIds(cases: readonly CaseDef[]): void {
  const seen = new Map<string, string>()
  for (const c of cases) {
    const other = seen.get(c.id)
    if (other !== undefined) throw new errors.BadValue(`case id '${c.id}': defined twice (${other} and ${c.module})`)
    seen.set(c.id, c.module)
  }
}

/** The target table of a list of cases: each case's targets and goals, in case order. */
export function targetsOf(cases: readonly CaseDef[]): TargetSpec[] {
  return cases.flatMap((c) => c.targets ?? [])
}
