/**
 * The caller's own account: GET /users and GET /users/me (the mixed benchmark's `/users` is this
 * authenticated read; the list of all accounts is the admin route GET /admin/users).
 */
import type { User } from '../../db/index.ts'
import { guard, principalOf } from '../auth/guard.ts'
import type { GatewayContext } from '../context.ts'
import { isoTime } from '../iso-time.ts'
import { type GatewayApp, USER, type UserView, responses } from '../schemas/common.ts'

/** An account as the API shows it. */
export function userView(u: User): UserView {
  return {
    user_id: u.user_id,
    email: u.email,
    tron_address: u.tron_address ?? null,
    roles: u.roles,
    status: u.status,
    created_at: isoTime(u.created_at)
  }
}

/** Registers /users and /users/me. */
export async function userRoutes(app: GatewayApp, ctx: GatewayContext): Promise<void> {
  const opts = {
    preParsing: guard('User'),
    schema: { tags: ['users'], summary: "The authenticated caller's account", security: [{ bearer: [] }], response: responses({ 200: USER }) }
  }
  const me = async (req: Parameters<typeof principalOf>[0]): Promise<UserView> => userView(await ctx.accounts.activeUser(principalOf(req).sub))
  app.get('/users', opts, me)
  app.get('/users/me', opts, me)
}
