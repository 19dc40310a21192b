/**
 * What a registered case is: its id (docs/interfaces.md section 2), the module that runs it and the baselines its
 * figures are divided by. The list itself is cases/index.ts (each component's cases in
 * cases/<component>/index.ts); targets stay in targets.ts.
 */

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

/** The component of a case id (`gateway.health` -> `gateway`). */
export function componentOf(id: string): string {
  return id.slice(0, id.indexOf('.'))
}
