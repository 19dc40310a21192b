/**
 * `--targets-file FILE`: a user's own targets for their machine (a Raspberry Pi, a cloud VM). The file is JSON,
 * either an array of entries or `{ "targets": [...] }`; each entry is
 * `{ "case": "gateway.health" | "session.chunk_*", "metric": "p95_ms", "op": "<", "value": 80, "source"?: "...", "kind"?: "target" | "goal" }`.
 * An entry with the same case, metric, op and kind as a built-in one replaces it; any other is added.
 */
import { readFileSync } from 'node:fs'
import { errors } from '../services/common/errors.ts'
import type { Op, TargetSpec } from './targets.ts'
import { idMatches } from './verdict.ts'

const OPS: readonly Op[] = ['<', '<=', '>', '>=']

/** Parses and validates a targets file; throws LUCID_ERR_9005 naming the first problem. */
export function loadTargetsFile(path: string): TargetSpec[] {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message
    throw new errors.MalformedTargetsFile(`${path}: ${why}`, { cause: err })
  }
  const list = Array.isArray(raw) ? raw : (raw as { targets?: unknown } | null)?.targets
  if (!Array.isArray(list)) throw new errors.MalformedTargetsFile(`${path}: expected an array of targets or {"targets": [...]}`)
  return list.map((e: unknown, i): TargetSpec => {
    const bad = (what: string): never => {
      throw new errors.MalformedTargetsFile(`${path}: entry ${i}: ${what}`)
    }
    if (typeof e !== 'object' || e === null) return bad('not an object')
    const o = e as Record<string, unknown>
    if (typeof o.case !== 'string' || !/^[a-z0-9_*]+\.[a-z0-9_*]+$|^[a-z0-9_]+\.\*$/.test(o.case))
      bad('"case" must be a case id or glob like "session.chunk_*"')
    if (typeof o.metric !== 'string' || o.metric === '') bad('"metric" must be a metric name')
    if (!OPS.includes(o.op as Op)) bad('"op" must be one of < <= > >=')
    if (typeof o.value !== 'number' || !Number.isFinite(o.value)) bad('"value" must be a finite number')
    if (o.kind !== undefined && o.kind !== 'target' && o.kind !== 'goal') bad('"kind" must be "target" or "goal"')
    if (o.source !== undefined && typeof o.source !== 'string') bad('"source" must be a string')
    return {
      case: o.case as string,
      metric: o.metric as string,
      op: o.op as Op,
      value: o.value as number,
      source: (o.source as string | undefined) ?? `user targets file ${path}`,
      kind: (o.kind as 'target' | 'goal' | undefined) ?? 'target'
    }
  })
}

/** The built-in table with the user's entries applied. */
export function mergeTargets(builtIn: readonly TargetSpec[], user: readonly TargetSpec[]): TargetSpec[] {
  const keyOf = (t: TargetSpec): string => `${t.case}\u0000${t.metric}\u0000${t.op}\u0000${t.kind}`
  const out = new Map(builtIn.map((t) => [keyOf(t), t]))
  for (const t of user) out.set(keyOf(t), t)
  return [...out.values()]
}

/**
 * Loads a targets file for a command that runs the cases `ids`: an entry whose case (or glob) names none of them is
 * refused (LUCID_ERR_9005), since a target silently ignored reads as a target met.
 */
export function loadTargetsFileFor(path: string, ids: readonly string[]): TargetSpec[] {
  const specs = loadTargetsFile(path)
  for (const [i, s] of specs.entries()) {
    if (ids.some((id) => idMatches(s.case, id))) continue
    const components = [...new Set(ids.map((id) => id.slice(0, id.indexOf('.'))))]
    const near = ids.filter((id) => id.startsWith(s.case.slice(0, s.case.indexOf('.') + 1)))
    throw new errors.MalformedTargetsFile(
      `${path}: entry ${i}: case '${s.case}' is no case here (${near.length > 0 ? `known: ${near.join(', ')}` : `components: ${components.join(', ')}; 'lucid bench --list' lists the cases`})`
    )
  }
  return specs
}

/** A command's target table (`base`, running the cases `ids`) with `--targets-file`'s entries applied when given. */
export function targetTable(base: readonly TargetSpec[], path: string | undefined, ids: readonly string[]): TargetSpec[] {
  return path === undefined ? [...base] : mergeTargets(base, loadTargetsFileFor(path, ids))
}
