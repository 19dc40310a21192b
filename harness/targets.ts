/**
 * What a target is. The target table itself is made of the cases' own targets: each case declares its seed
 * targets (docs/interfaces.md section 2), each with the sentence of the seed (quoted in docs/reference.md
 * section 1, with the original test files' numbers) it comes from, and its goals beyond the seed (`kind:
 * 'goal'`, never changing the exit code) in its `defineCase` (define-case.ts); cases/index.ts gathers them as
 * `TARGETS`. `--targets-file FILE` overrides or adds entries (see loadTargetsFile in targets-file.ts).
 */

import type { Profile } from './case.ts'

/** Comparison operator of a target. */
export type Op = '<' | '<=' | '>' | '>='

/** One target or goal on one metric of one case (or of every case matching a glob). */
export interface TargetSpec {
  /** Case id, or a glob over case ids (`session.chunk_*`). */
  readonly case: string
  readonly metric: string
  readonly op: Op
  readonly value: number
  /** Where the number comes from: the seed's sentence, the original test, or "beyond the seed". */
  readonly source: string
  readonly kind: 'target' | 'goal'
  /** Profiles the entry applies to (default: all), for figures only a longer profile produces. */
  readonly profiles?: readonly Profile[]
}
