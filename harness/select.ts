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
  // Baselines the chosen cases divide by run too, and theirs in turn (gateway.sessions divides by
  // gateway.health, which divides by baseline.fastify).
  const byId = new Map(registry.map((c) => [c.id, c]))
  const pending = [...chosen]
  for (let id = pending.pop(); id !== undefined; id = pending.pop())
    for (const b of byId.get(id)?.baselines ?? [])
      if (!chosen.has(b.id) && byId.has(b.id)) {
        chosen.add(b.id)
        pending.push(b.id)
      }
  // Each case after the cases it divides by; otherwise the `baseline` component first, then registry order.
  const picked = [
    ...registry.filter((c) => chosen.has(c.id) && c.component === 'baseline'),
    ...registry.filter((c) => chosen.has(c.id) && c.component !== 'baseline')
  ]
  const ordered: CaseDef[] = []
  const placed = new Set<string>()
  while (ordered.length < picked.length) {
    const ready = picked.find((c) => !placed.has(c.id) && (c.baselines ?? []).every((b) => placed.has(b.id) || !byId.has(b.id)))
    // A cycle of baselines (a case dividing by itself, through others) has no order: say so.
    if (ready === undefined)
      throw new errors.UnknownCase(
        `baselines form a cycle among ${picked
          .filter((c) => !placed.has(c.id))
          .map((c) => c.id)
          .join(', ')}`
      )
    ordered.push(ready)
    placed.add(ready.id)
  }
  return ordered
}
