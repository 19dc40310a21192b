/**
 * The targets every load scenario is judged by (`load.light`, ...), by the bench cases (cases/load) and by
 * `lucid load` and `lucid merge` alike. They live here rather than beside the bench cases because `lucid load`
 * judges a run without the cases (load/ never imports cases/); the cases declare them from here.
 */
import { type CaseTarget, target } from '../../harness/define-case.ts'
import type { TargetSpec } from '../../harness/targets.ts'
import { SCENARIOS } from './index.ts'

/** A scenario's targets: the seed's error rate and every endpoint's p95 within the gateway's loosest target. */
export const SCENARIO_TARGETS: readonly CaseTarget[] = [
  target('error_ratio', '<', 0.05, 'seed: "Error Rate: <5% error rate"'),
  target('max_endpoint_p95_ms', '<', 100, 'per-endpoint p95 within the gateway targets (the loosest: mixed workload p95 < 100 ms)')
]

/** The rows of every scenario's case id (`load.<name>`), as the target table holds them. */
export const LOAD_TARGETS: readonly TargetSpec[] = Object.keys(SCENARIOS).flatMap((name) =>
  SCENARIO_TARGETS.map((t): TargetSpec => ({ case: `load.${name}`, metric: t.metric, op: t.op, value: t.value, source: t.source, kind: 'target' }))
)
