/**
 * What a registered case is: its id (docs/interfaces.md section 2), the module that defines it, the baselines
 * its figures are divided by and its targets. Cases are made by `defineCase` (define-case.ts); the built-in list
 * is cases/index.ts, which finds every `cases/<component>/*.case.ts` file.
 */
import { readdirSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { errors } from '../services/common/errors.ts'
import { assertUniqueIds, type CaseDefinition, casesOf } from './define-case.ts'
import type { TargetSpec } from './targets.ts'

/** How a case's metric relates to a same-run baseline: ratio = case metric / baseline metric. */
export interface BaselineLink {
  /** The baseline case id, e.g. `baseline.http`. */
  readonly id: string
  /** Case metric name -> baseline metric name. */
  readonly metrics: Readonly<Record<string, string>>
}

/** A registered case. */
export interface CaseDef {
  readonly id: string
  readonly component: string
  readonly description: string
  /** Absolute file URL of the module that exports the case's definition (the worker imports it and finds the case by id). */
  readonly module: string
  readonly baselines?: readonly BaselineLink[]
  /** The case's own targets and goals, as rows of the target table (`case` is its id or a glob naming it). */
  readonly targets?: readonly TargetSpec[]
  /** Hard wall-clock limit per profile, seconds (default: 120 smoke, 600 quick, 3600 full). */
  readonly timeoutS?: Partial<Record<'smoke' | 'quick' | 'full', number>>
}

/** The component of a case id (`gateway.health` -> `gateway`). */
export function componentOf(id: string): string {
  return id.slice(0, id.indexOf('.'))
}

/** The cases a module file exports (`lucid bench --cases FILE`); throws LUCID_ERR_9003 when it exports none. */
export async function loadCaseFile(path: string): Promise<CaseDefinition[]> {
  const url = pathToFileURL(path).href
  let namespace: Record<string, unknown>
  try {
    namespace = (await import(url)) as Record<string, unknown>
  } catch (err) {
    throw new errors.BadValue(`--cases: ${path}: ${(err as Error).message}`, { cause: err })
  }
  const found = casesOf(namespace, url)
  if (found.length === 0) throw new errors.BadValue(`--cases: ${path} exports no case (export the result of defineCase)`)
  return found
}

/**
 * Every case under `root`: each `<component>/*.case.ts` (or `.case.js`) file is imported and the definitions it
 * exports are collected, by component (those named in `order` first, in that order, then by name), then file
 * name, then as written. So adding a case needs no list to edit.
 */
export async function findCases(root: URL, order: readonly string[] = []): Promise<CaseDefinition[]> {
  const rank = (c: string): number => (order.includes(c) ? order.indexOf(c) : order.length)
  const components = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  const found: CaseDefinition[] = []
  for (const component of components) {
    const dir = new URL(`${component}/`, root)
    const files = readdirSync(dir)
      .filter((f) => /\.case\.[jt]s$/.test(f))
      .sort()
    for (const f of files) {
      const url = new URL(f, dir).href
      found.push(...casesOf((await import(url)) as Record<string, unknown>, url))
    }
  }
  assertUniqueIds(found)
  return found
}
