/**
 * Roles of the real system and what each admits. They form a ladder: each role includes the ones below it
 * (User < NodeOperator < Admin < SuperAdmin), so a route names the least role it needs.
 *
 * - User: own sessions, chunks, anchors.
 * - NodeOperator: also submits chain transactions (node registration, votes, payout requests).
 * - Admin: also the admin dashboard and the user list; the admin rate-limit tier.
 * - SuperAdmin: also changes other accounts' roles.
 */
import { errors } from '../../common/errors.ts'

/** The roles, lowest first. */
export const ROLES = ['User', 'NodeOperator', 'Admin', 'SuperAdmin'] as const

/** A role. */
export type Role = (typeof ROLES)[number]

/** The authenticated caller, from a verified access token. */
export interface Principal {
  /** The account's user_id (the token's `sub`). */
  readonly sub: string
  readonly roles: readonly string[]
}

/** True when `r` names a role. */
export function isRole(r: unknown): r is Role {
  return typeof r === 'string' && (ROLES as readonly string[]).includes(r)
}

/** The highest rank among `roles` (-1 for none). */
export function rankOf(roles: readonly string[]): number {
  let best = -1
  for (const r of roles) best = Math.max(best, (ROLES as readonly string[]).indexOf(r))
  return best
}

/** True when `roles` include `needed` or a role above it. */
export function hasRole(roles: readonly string[], needed: Role): boolean {
  return rankOf(roles) >= ROLES.indexOf(needed)
}

/** Throws LUCID_ERR_1005 unless `p` holds `needed` (or above). */
export function assertRole(p: Principal, needed: Role): void {
  if (!hasRole(p.roles, needed)) throw new errors.Forbidden(`this needs the ${needed} role`)
}
