/** The /admin routes' schemas (routes/admin.ts) and the types derived from them. */
import { type Static, Type } from 'typebox'
import { ROLES } from '../auth/roles.ts'
import { Dictionary, Nullable, Obj, StringEnum, USER } from './common.ts'

/** A count, total and by status. */
export const COUNTS = Obj({ total: Type.Integer(), by_status: Dictionary(Type.Integer()) })

/** `GET /admin/dashboard/overview` */
export const OVERVIEW = Obj({
  users: COUNTS,
  sessions: COUNTS,
  open_recordings: Type.Integer(),
  chain: Nullable(Obj({ height: Type.Optional(Type.Integer()), finalized_height: Type.Optional(Type.Integer()), validators: Type.Optional(Type.Integer()) })),
  uptime_s: Type.Number(),
  started_at: Type.String({ format: 'date-time' })
})

/** `GET /admin/dashboard/metrics` */
export const DASHBOARD_METRICS = Obj({
  process: Obj({
    rss_bytes: Type.Integer(),
    heap_used_bytes: Type.Integer(),
    cpu_user_us: Type.Integer(),
    cpu_system_us: Type.Integer(),
    uptime_s: Type.Number()
  }),
  event_loop: Obj({ p50_ms: Type.Number(), p99_ms: Type.Number(), max_ms: Type.Number() }),
  kdf: Obj({ algorithm: Type.String(), running: Type.Integer(), queued: Type.Integer(), concurrency: Type.Integer(), queue_limit: Type.Integer() }),
  requests: Obj({
    total: Type.Integer(),
    '2xx': Type.Integer(),
    '3xx': Type.Integer(),
    '4xx': Type.Integer(),
    '5xx': Type.Integer(),
    rate_limited: Type.Integer(),
    shed: Type.Integer()
  }),
  wallet_challenges_outstanding: Type.Integer()
})

/** `GET /admin/users` query. */
export const USERS_QUERY = Obj(
  { status: Type.Optional(Type.String({ pattern: '^[a-z_]{1,32}$' })), limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })) },
  { additionalProperties: false }
)

/** `GET /admin/users` */
export const USER_LIST = Obj({ users: Type.Array(USER), count: Type.Integer() })

/** `{ id }` path parameters of an account. */
export const ACCOUNT_PARAMS = Obj({ id: Type.String({ pattern: '^[A-Za-z0-9_.@-]{1,64}$' }) }, { additionalProperties: false })

/** `PUT /admin/users/{id}/roles` */
export const ROLES_BODY = Obj(
  { roles: Type.Array(StringEnum(ROLES), { minItems: 1, maxItems: ROLES.length, uniqueItems: true }) },
  { additionalProperties: false }
)
/** ROLES_BODY as a TypeScript type. */
export type RolesBody = Static<typeof ROLES_BODY>
