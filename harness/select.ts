/**
 * Which cases a `lucid bench` invocation runs: components (`db`), ids (`db.transaction`) or globs
 * (`session.chunk_*`), plus the baselines those cases divide by, baselines first.
 */
import { errors } from '../services/common/errors.ts'
import type { CaseDef } from './registry.ts'
import { idMatches } from './verdict.ts'

/** Resolves the patterns against the registry; throws LUCID_ERR_9002 for a pattern that matches nothing. */
export function selectCases(patterns: readonly string[], registry: readonly CaseDef[]): CaseDef[] {
  const chosen = new Set<string>()
  if (patterns.length === 0) for (const c of registry) chosen.add(c.id)
  for (const p of patterns) {
    const hits = registry.filter((c) => c.component === p || idMatches(p, c.id))
    if (hits.length === 0) {
      const components = [...new Set(registry.map((c) => c.component))].join(', ')
      throw new errors.UnknownCase(`'${p}' (components: ${components}; or a case id or glob, see lucid bench --list)`)
    }
    for (const h of hits) chosen.add(h.id)
  }
  // Baselines the chosen cases divide by run too, before them.
  for (const c of registry) if (chosen.has(c.id)) for (const b of c.baselines ?? []) chosen.add(b.id)
  const picked = registry.filter((c) => chosen.has(c.id))
  // Baselines first: the `baseline` component, and any case another picked case divides by (a user's own).
  const divisors = new Set(picked.flatMap((c) => (c.baselines ?? []).map((b) => b.id)))
  const first = (c: CaseDef): boolean => c.component === 'baseline' || divisors.has(c.id)
  return [...picked.filter(first), ...picked.filter((c) => !first(c))]
}
