/**
 * Every benchmark case, by component. Each component lists its cases in cases/<component>/index.ts (id, module,
 * export, baselines); this list is what `lucid bench` runs. The harness takes the list as an argument and
 * never imports the cases itself (README, "Layout").
 */
import type { CaseDef } from '../harness/registry.ts'
import { baselineCases } from './baseline/index.ts'
import { chainCases } from './chain/index.ts'
import { dbCases } from './db/index.ts'
import { gatewayCases } from './gateway/index.ts'
import { loadCases } from './load/index.ts'
import { sessionCases } from './session/index.ts'

/** Every registered case, baselines first (they run before the cases that divide by them). */
export const REGISTRY: readonly CaseDef[] = [...baselineCases, ...dbCases, ...sessionCases, ...chainCases, ...gatewayCases, ...loadCases]
