/**
 * Every benchmark case, found rather than listed: each `cases/<component>/*.case.ts` file is imported and the
 * `defineCase` definitions it exports are collected (harness/registry.ts `findCases`; harness/define-case.ts
 * says how a worker finds one again). So a new case is one file, or one more `defineCase` in a component's
 * file. The definition files import nothing heavy (their `run` loads the measuring code), so listing stays
 * fast.
 *
 * The harness takes this list as an argument and never imports the cases itself (README, "Layout").
 */
import { type CaseDefinition, targetsOf } from '../harness/define-case.ts'
import { findCases } from '../harness/registry.ts'
import type { TargetSpec } from '../harness/targets.ts'

/**
 * Components in the order they run (baselines first: the others divide by them); a component not named here
 * runs after these, in name order.
 */
const ORDER = ['baseline', 'db', 'session', 'chain', 'gateway', 'load']

/** Every registered case, baselines first (they run before the cases that divide by them). */
export const REGISTRY: readonly CaseDefinition[] = await findCases(new URL('./', import.meta.url), ORDER)

/** The target table: every case's seed targets and the goals beyond them (docs/interfaces.md section 2). */
export const TARGETS: readonly TargetSpec[] = targetsOf(REGISTRY)
