/**
 * The gateway's route schemas and their TypeScript types from one source: each schema is written once with
 * TypeBox, the types the handlers see are derived from it (`Static<>`, and for each route through the
 * fastify type provider, `GatewayApp`), so a schema change is a type change. The schemas are plain JSON
 * Schema at run time, exactly as before: validation on the way in (ajv, no type coercion of bodies, unknown
 * body fields refused) and fast serialisation on the way out (fast-json-stringify: only the listed fields
 * leave, so an internal field can never leak through a response).
 *
 * This module holds what several routes share; each concern's own schemas are in the module beside it
 * (schemas/sessions.ts, schemas/auth.ts, ...).
 *
 * Path and query parameters are declared as strings with patterns and converted by the handlers: with
 * type coercion off for the whole gateway, `"duration_minutes": "30"` is a 400 rather than a silent 30.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify'
import { type Static, type TObject, type TObjectOptions, type TProperties, type TSchema, type TUnsafe, Type } from 'typebox'
import { errors } from '../../common/errors.ts'

/** The fastify instance the routes are registered on: its handlers' request and reply types come from the route schemas. */
export type GatewayApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>

/**
 * `schema` with its keys in the order `first`, then the rest, every TypeBox marker kept. The OpenAPI document
 * (GET /openapi.json) shows the schemas with their keys in the order they were written by hand before
 * TypeBox (`type, description, properties, required, ...`), so the document is the same byte for byte;
 * validation and serialisation do not depend on key order.
 */
export function ordered<T extends TSchema>(schema: T, first: readonly string[]): T {
  const descriptors = Object.getOwnPropertyDescriptors(schema)
  const out = {}
  for (const k of first) if (k in descriptors) Object.defineProperty(out, k, descriptors[k]!)
  for (const k of Reflect.ownKeys(descriptors)) if (typeof k !== 'string' || !first.includes(k)) Object.defineProperty(out, k, descriptors[k as string]!)
  return out as T
}

/** Type.Object with the keys in the hand-written order (see ordered). */
export function Obj<T extends TProperties>(properties: T, options?: TObjectOptions): TObject<T> {
  return ordered(Type.Object(properties, options), ['type', 'description', 'properties', 'required'])
}

/**
 * A string enumeration as `{type: 'string', enum}` (TypeBox's own Enum omits the type, and a union of literals
 * would be an anyOf, which fast-json-stringify serialises more slowly), typed as the union of its values.
 */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

/** `schema` or null, as `{type: [type, 'null']}` (one serialiser, no anyOf), typed `Static<schema> | null`. */
export function Nullable<T extends TSchema & { type: string }>(schema: T, options: Record<string, unknown> = {}): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'], ...options })
}

/** An object with any fields (`{type: 'object'}`: nothing listed, nothing checked beyond the options). */
export function AnyObject(options: Record<string, unknown> = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ type: 'object', ...options })
}

/** An object whose every field is `value` (`{type: 'object', additionalProperties: value}`). */
export function Dictionary<V extends TSchema>(value: V): TUnsafe<Record<string, Static<V>>> {
  return Type.Unsafe<Record<string, Static<V>>>({ type: 'object', additionalProperties: value })
}

/** `{"error": {"code", "message"}}` */
export const ERROR = Obj(
  {
    error: Obj({ code: Type.String({ pattern: '^LUCID_ERR_[0-9]{4}$' }), message: Type.String() })
  },
  { description: 'Every 4xx/5xx answer. `code` is a stable LUCID_ERR_* code (docs/errors.md).' }
)

/** Response schemas with the error body for every 4xx and 5xx. */
export function responses<T extends Record<number, TSchema>>(ok: T): T & { '4xx': typeof ERROR; '5xx': typeof ERROR } {
  return { ...ok, '4xx': ERROR, '5xx': ERROR }
}

/** A session id in a path: the UUIDs the gateway issues, or other ids of the same alphabet. */
export const SESSION_ID = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })

/** `{ id }` path parameters. */
export const SESSION_PARAMS = Obj({ id: SESSION_ID }, { additionalProperties: false })

/** A non-negative integer in a path or query string. */
export const UINT_STRING = Type.String({ pattern: '^[0-9]{1,15}$' })

/** `?limit=N` (1..1000, default 100). */
export const LIMIT_QUERY = Obj(
  { limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1..1000, default 100' })) },
  { additionalProperties: false }
)

/** The limit of a list query from its string (LIMIT_QUERY), clamped to 1..1000. */
export function parseLimit(s: string | undefined): number {
  if (s === undefined) return 100
  return Math.min(1000, Math.max(1, Number(s)))
}

/** A login's answer. */
export const TOKENS = Obj({
  token: Type.String({ description: 'The access token (same as access_token; the load contract reads this name).' }),
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: StringEnum(['bearer']),
  expires_in: Type.Integer({ description: 'seconds' }),
  refresh_expires_in: Type.Integer({ description: 'seconds' }),
  user_id: Type.String(),
  roles: Type.Array(Type.String())
})
/** TOKENS as a TypeScript type. */
export type Tokens = Static<typeof TOKENS>

/** `POST /auth/login` and `POST /admin/auth/login`. */
export const LOGIN_BODY = Obj(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 })
  },
  { additionalProperties: false }
)

/** An account as the API shows it. */
export const USER = Obj({
  user_id: Type.String(),
  email: Type.String(),
  tron_address: Nullable(Type.String()),
  roles: Type.Array(Type.String()),
  status: Type.String(),
  created_at: Type.String({ format: 'date-time' })
})
/** USER as a TypeScript type. */
export type UserView = Static<typeof USER>

/** A session's anchor as a session shows it: the block that holds it, once included. */
export const SESSION_BLOCK_ANCHOR = Nullable(Obj({ block_height: Type.Optional(Type.Integer()), hash: Type.Optional(Type.String()) }))

/** A session as the API shows it. */
export const SESSION = Obj({
  session_id: Type.String(),
  owner: Type.String({ description: 'The authenticated subject that created it.' }),
  label: Nullable(Type.String(), { description: 'The user_id the client sent: a label, never the owner.' }),
  session_type: Type.String(),
  duration_minutes: Nullable(Type.Integer()),
  quality: Nullable(Type.String()),
  status: StringEnum(['recording', 'finalised']),
  chunk_count: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  merkle_root: Nullable(Type.String()),
  blockchain_anchor: SESSION_BLOCK_ANCHOR
})

/** Where a session's anchor stands. */
export const SESSION_ANCHOR = Obj({
  session_id: Type.String(),
  tx_id: Type.String(),
  status: StringEnum(['pending', 'included', 'final', 'rejected']),
  block_height: Nullable(Type.Integer()),
  block_hash: Nullable(Type.String()),
  manifest_hash: Type.String(),
  merkle_root: Type.String()
})

/** A chain receipt (TxReceipt). */
export const RECEIPT = Obj({
  tx_id: Type.String(),
  status: StringEnum(['pending']),
  accepted_at: Type.Integer({ description: 'ms since the epoch' })
})

/** A block (BlockView). */
export const BLOCK = Obj({
  height: Type.Integer(),
  hash: Type.String(),
  previous_hash: Type.String(),
  timestamp: Type.Integer(),
  slot: Type.Integer(),
  epoch: Type.Integer(),
  producer: Type.String(),
  merkle_root: Type.String(),
  // Immutable: readonly in the type, as the chain port's BlockView is.
  transactions: Type.Immutable(Type.Array(Type.String())),
  anchors: Type.Immutable(
    Type.Array(
      Obj({
        kind: StringEnum(['session', 'data']),
        tx_id: Type.String(),
        label: Type.String(),
        digest: Type.String(),
        merkle_root: Type.String()
      })
    )
  ),
  final: Type.Boolean()
})

/** A timestamp as clients send it: seconds or ms since the epoch, or an ISO 8601 string. */
export const TIMESTAMP = Type.Union([Type.Number({ minimum: 0, maximum: 1e15 }), Type.String({ maxLength: 64 })])

/**
 * ISO-8601 date and time with seconds and a zone, as RFC 3339 writes it (`2026-12-03T12:00:00Z`,
 * `...T12:00:00.123456+00:00`: the reference client sends Python's `isoformat()`). Date.parse alone would also
 * take "Dec 3 2026" and other forms no document promises.
 */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

/**
 * Milliseconds since the epoch of a TIMESTAMP, or `fallback` when absent. The one rule (docs/gateway.md): a
 * number is milliseconds since the epoch, a non-negative integer, taken as it is (no guessing seconds from its
 * size: `5` is 5 ms after the epoch, and then refused by the anchor's time window); a string is ISO-8601 with a
 * zone. Anything else is LUCID_ERR_1001.
 */
export function timestampMs(t: number | string | undefined, fallback: number): number {
  if (t === undefined) return fallback
  if (typeof t === 'number') {
    if (!Number.isSafeInteger(t) || t < 0) throw new errors.InvalidRequest('timestamp must be milliseconds since the epoch (an integer) or an ISO-8601 date')
    return t
  }
  const ms = ISO_8601.test(t) ? Date.parse(t) : Number.NaN
  if (!Number.isFinite(ms) || ms < 0) throw new errors.InvalidRequest('timestamp is neither milliseconds since the epoch nor an ISO-8601 date with a zone')
  return ms
}

/**
 * True when `s` is well-formed UTF-16 (no lone surrogate). JSON may carry `"\\ud800"`, which parses into a
 * string UTF-8 cannot encode: hashing it would silently substitute U+FFFD (two different inputs, one
 * digest) and the chain's canonical encoding refuses it (a 500 before this check).
 */
export function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)
}
