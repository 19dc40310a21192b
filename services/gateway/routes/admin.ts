/**
 * Admin routes (the AdminUser of the load contract), behind the Admin role; role changes need SuperAdmin.
 *
 *   POST /admin/auth/login          {username, password}  -> 200 tokens (403 unless the account is an Admin)
 *   GET  /admin/dashboard/overview  accounts and sessions by status, open recordings, chain height
 *   GET  /admin/dashboard/metrics   process, event loop, hashing pool, answers by class
 *   GET  /admin/users/              accounts, newest first (?status=active&limit=100)
 *   PUT  /admin/users/{id}/roles    {roles: [...]}  (SuperAdmin)
 */
import { clientGone } from '../client-gone.ts'
import { errors } from '../../common/errors.ts'
import type { GroupCounts } from '../../db/index.ts'
import { guard } from '../auth/guard.ts'
import { addressKey } from '../rate-limit.ts'
import { hasRole } from '../auth/roles.ts'
import type { GatewayContext } from '../context.ts'
import { type GatewayApp, LOGIN_BODY, TOKENS, USER, parseLimit, responses } from '../schemas/common.ts'
import { ACCOUNT_PARAMS, DASHBOARD_METRICS, OVERVIEW, ROLES_BODY, USERS_QUERY, USER_LIST } from '../schemas/admin.ts'
import { userView } from './users.ts'

function counts(g: GroupCounts): { total: number; by_status: GroupCounts } {
  return { total: Object.values(g).reduce((a, b) => a + b, 0), by_status: g }
}

/** Registers the /admin routes. */
export async function adminRoutes(app: GatewayApp, ctx: GatewayContext): Promise<void> {
  const security = [{ bearer: [] }]

  app.post(
    '/admin/auth/login',
    {
      // Counted per client address whatever token it carries, like every login (rate-limit.ts).
      config: { tier: 'auth' },
      schema: { tags: ['admin'], summary: 'Password login of an Admin', body: LOGIN_BODY, response: responses({ 200: TOKENS }) }
    },
    async (req, reply) => {
      const u = await ctx.accounts.checkPassword(req.body.username, req.body.password, clientGone(reply), addressKey(req.ip))
      if (!hasRole(u.roles, 'Admin')) throw new errors.Forbidden('this account is not an Admin')
      return await ctx.tokens.issue(u.user_id, u.roles)
    }
  )

  app.get(
    '/admin/dashboard/overview',
    {
      preParsing: guard('Admin'),
      schema: {
        tags: ['admin'],
        summary: 'Accounts and sessions by status, open recordings, chain height',
        security,
        response: responses({ 200: OVERVIEW })
      }
    },
    async () => {
      const [users, sessions, chain] = await Promise.all([
        ctx.db.users.countByStatus(),
        ctx.db.sessions.countByStatus(),
        // The dashboard still answers while the chain is down or absent: null says so.
        ctx.chain?.info().catch(() => null) ?? null
      ])
      return {
        users: counts(users),
        sessions: counts(sessions),
        open_recordings: ctx.sessions.openRecordings,
        chain: chain === null ? null : { height: chain.height, finalized_height: chain.finalized_height, validators: chain.validators },
        uptime_s: (ctx.config.clock.now() - ctx.startedAt) / 1000,
        started_at: new Date(ctx.startedAt).toISOString()
      }
    }
  )

  app.get(
    '/admin/dashboard/metrics',
    {
      preParsing: guard('Admin'),
      schema: {
        tags: ['admin'],
        summary: 'Process, event loop, password-hashing pool and answers by status class',
        security,
        response: responses({ 200: DASHBOARD_METRICS })
      }
    },
    async () => {
      const mem = process.memoryUsage()
      const cpu = process.cpuUsage()
      return {
        process: { rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed, cpu_user_us: cpu.user, cpu_system_us: cpu.system, uptime_s: process.uptime() },
        event_loop: ctx.stats.eventLoopDelay(),
        kdf: {
          algorithm: ctx.conditions.kdf,
          running: ctx.pool.running,
          queued: ctx.pool.queued,
          concurrency: ctx.pool.concurrency,
          queue_limit: ctx.pool.queueLimit
        },
        requests: ctx.stats.counts,
        wallet_challenges_outstanding: ctx.challenges.size
      }
    }
  )

  app.get(
    '/admin/users',
    {
      preParsing: guard('Admin'),
      schema: {
        tags: ['admin'],
        summary: 'Accounts in a status (default active), newest first',
        security,
        querystring: USERS_QUERY,
        response: responses({ 200: USER_LIST })
      }
    },
    async (req) => {
      const users = await ctx.db.users.byStatus(req.query.status ?? 'active', { limit: parseLimit(req.query.limit) })
      return { users: users.map(userView), count: users.length }
    }
  )

  app.put(
    '/admin/users/:id/roles',
    {
      preParsing: guard('SuperAdmin'),
      schema: {
        tags: ['admin'],
        summary: "Replace an account's roles (SuperAdmin)",
        security,
        params: ACCOUNT_PARAMS,
        body: ROLES_BODY,
        response: responses({ 200: USER })
      }
    },
    async (req) => userView(await ctx.accounts.setRoles(req.params.id, req.body.roles))
  )
}
