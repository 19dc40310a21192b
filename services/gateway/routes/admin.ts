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
import type { FastifyInstance } from 'fastify'
import { errors } from '../../common/errors.ts'
import type { GroupCounts } from '../../db/index.ts'
import { guard } from '../auth/guard.ts'
import { addressKey } from '../rate-limit.ts'
import { ROLES, hasRole, type Role } from '../auth/roles.ts'
import type { GatewayContext } from '../context.ts'
import { LOGIN_BODY, TOKENS, USER, parseLimit, responses } from '../schemas.ts'
import { userView } from './users.ts'

const COUNTS = {
  type: 'object',
  properties: { total: { type: 'integer' }, by_status: { type: 'object', additionalProperties: { type: 'integer' } } },
  required: ['total', 'by_status']
} as const
const NUM = { type: 'number' } as const
const INT = { type: 'integer' } as const

function counts(g: GroupCounts): { total: number; by_status: GroupCounts } {
  return { total: Object.values(g).reduce((a, b) => a + b, 0), by_status: g }
}

/** Registers the /admin routes. */
export async function adminRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const security = [{ bearer: [] }]

  app.post<{ Body: { username: string; password: string } }>(
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
        response: responses({
          200: {
            type: 'object',
            properties: {
              users: COUNTS,
              sessions: COUNTS,
              open_recordings: INT,
              chain: { type: ['object', 'null'], properties: { height: INT, finalized_height: INT, validators: INT } },
              uptime_s: NUM,
              started_at: { type: 'string', format: 'date-time' }
            },
            required: ['users', 'sessions', 'open_recordings', 'chain', 'uptime_s', 'started_at']
          }
        })
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
        response: responses({
          200: {
            type: 'object',
            properties: {
              process: {
                type: 'object',
                properties: { rss_bytes: INT, heap_used_bytes: INT, cpu_user_us: INT, cpu_system_us: INT, uptime_s: NUM },
                required: ['rss_bytes', 'heap_used_bytes', 'cpu_user_us', 'cpu_system_us', 'uptime_s']
              },
              event_loop: { type: 'object', properties: { p50_ms: NUM, p99_ms: NUM, max_ms: NUM }, required: ['p50_ms', 'p99_ms', 'max_ms'] },
              kdf: {
                type: 'object',
                properties: { algorithm: { type: 'string' }, running: INT, queued: INT, concurrency: INT, queue_limit: INT },
                required: ['algorithm', 'running', 'queued', 'concurrency', 'queue_limit']
              },
              requests: {
                type: 'object',
                properties: { total: INT, '2xx': INT, '3xx': INT, '4xx': INT, '5xx': INT, rate_limited: INT, shed: INT },
                required: ['total', '2xx', '3xx', '4xx', '5xx', 'rate_limited', 'shed']
              },
              wallet_challenges_outstanding: INT
            },
            required: ['process', 'event_loop', 'kdf', 'requests', 'wallet_challenges_outstanding']
          }
        })
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

  app.get<{ Querystring: { status?: string; limit?: string } }>(
    '/admin/users',
    {
      preParsing: guard('Admin'),
      schema: {
        tags: ['admin'],
        summary: 'Accounts in a status (default active), newest first',
        security,
        querystring: {
          type: 'object',
          properties: { status: { type: 'string', pattern: '^[a-z_]{1,32}$' }, limit: { type: 'string', pattern: '^[0-9]{1,4}$' } },
          additionalProperties: false
        },
        response: responses({ 200: { type: 'object', properties: { users: { type: 'array', items: USER }, count: INT }, required: ['users', 'count'] } })
      }
    },
    async (req) => {
      const users = await ctx.db.users.byStatus(req.query.status ?? 'active', { limit: parseLimit(req.query.limit) })
      return { users: users.map(userView), count: users.length }
    }
  )

  app.put<{ Params: { id: string }; Body: { roles: Role[] } }>(
    '/admin/users/:id/roles',
    {
      preParsing: guard('SuperAdmin'),
      schema: {
        tags: ['admin'],
        summary: "Replace an account's roles (SuperAdmin)",
        security,
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_.@-]{1,64}$' } }, required: ['id'], additionalProperties: false },
        body: {
          type: 'object',
          properties: { roles: { type: 'array', items: { type: 'string', enum: [...ROLES] }, minItems: 1, maxItems: ROLES.length, uniqueItems: true } },
          required: ['roles'],
          additionalProperties: false
        },
        response: responses({ 200: USER })
      }
    },
    async (req) => userView(await ctx.accounts.setRoles(req.params.id, req.body.roles))
  )
}
