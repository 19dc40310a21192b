/**
 * The case registry: every benchmark case by id (interfaces.md section 2), the module that runs it and
 * the baselines its figures are divided by. Each component adds its cases in bench/cases/<component>/index.ts
 * and lists them here; targets stay in targets.ts.
 */
import { baselineCases } from './cases/baseline/index.ts'
import { chainCases } from './cases/chain/index.ts'
import { dbCases } from './cases/db/index.ts'
import { gatewayCases } from './cases/gateway/index.ts'
import { loadCases } from './cases/load/index.ts'
import { sessionCases } from './cases/session/index.ts'

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
  /** Absolute file URL of the module exporting the run function. */
  readonly module: string
  /** Name of the exported CaseRun in that module. */
  readonly export: string
  readonly baselines?: readonly BaselineLink[]
  /** Hard wall-clock limit per profile, seconds (default: 120 smoke, 600 quick, 3600 full). */
  readonly timeoutS?: Partial<Record<'smoke' | 'quick' | 'full', number>>
}

/** Every registered case, baselines first (they run before the cases that divide by them). */
export const REGISTRY: readonly CaseDef[] = [
  ...baselineCases,
  ...dbCases,
  ...sessionCases,
  ...chainCases,
  ...gatewayCases,
  ...loadCases
]

/** The component of a case id (`gateway.health` -> `gateway`). */
export function componentOf (id: string): string {
  return id.slice(0, id.indexOf('.'))
}
