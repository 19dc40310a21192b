/**
 * JSON schemas shared by the routes: validation on the way in (ajv, no type coercion of bodies, unknown
 * body fields refused) and fast serialisation on the way out (fast-json-stringify: only the listed fields
 * leave, so an internal field can never leak through a response).
 *
 * Path and query parameters are declared as strings with patterns and converted by the handlers: with
 * type coercion off for the whole gateway, `"duration_minutes": "30"` is a 400 rather than a silent 30.
 */
import { errors } from '../common/errors.ts'

/** `{"error": {"code", "message"}}` */
export const ERROR = {
  type: 'object',
  description: 'Every 4xx/5xx answer. `code` is a stable LUCID_ERR_* code (docs/errors.md).',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string', pattern: '^LUCID_ERR_[0-9]{4}$' }, message: { type: 'string' } },
      required: ['code', 'message']
    }
  },
  required: ['error']
} as const

/** Response schemas with the error body for every 4xx and 5xx. */
export function responses<T extends Record<number, unknown>>(ok: T): T & { '4xx': typeof ERROR; '5xx': typeof ERROR } {
  return { ...ok, '4xx': ERROR, '5xx': ERROR }
}

/** A session id in a path: the UUIDs the gateway issues, or other ids of the same alphabet. */
export const SESSION_ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const

/** `{ id }` path parameters. */
export const SESSION_PARAMS = { type: 'object', properties: { id: SESSION_ID }, required: ['id'], additionalProperties: false } as const

/** A non-negative integer in a path or query string. */
export const UINT_STRING = { type: 'string', pattern: '^[0-9]{1,15}$' } as const

/** `?limit=N` (1..1000, default 100). */
export const LIMIT_QUERY = {
  type: 'object',
  properties: { limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: '1..1000, default 100' } },
  additionalProperties: false
} as const

/** The limit of a list query from its string (LIMIT_QUERY), clamped to 1..1000. */
export function parseLimit(s: string | undefined): number {
  if (s === undefined) return 100
  return Math.min(1000, Math.max(1, Number(s)))
}

/** A login's answer. */
export const TOKENS = {
  type: 'object',
  properties: {
    token: { type: 'string', description: 'The access token (same as access_token; the load contract reads this name).' },
    access_token: { type: 'string' },
    refresh_token: { type: 'string' },
    token_type: { type: 'string', enum: ['bearer'] },
    expires_in: { type: 'integer', description: 'seconds' },
    refresh_expires_in: { type: 'integer', description: 'seconds' },
    user_id: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } }
  },
  required: ['token', 'access_token', 'refresh_token', 'token_type', 'expires_in', 'refresh_expires_in', 'user_id', 'roles']
} as const

/** `POST /auth/login` and `POST /admin/auth/login`. */
export const LOGIN_BODY = {
  type: 'object',
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 64 },
    password: { type: 'string', minLength: 1, maxLength: 1024 }
  },
  required: ['username', 'password'],
  additionalProperties: false
} as const

/** An account as the API shows it. */
export const USER = {
  type: 'object',
  properties: {
    user_id: { type: 'string' },
    email: { type: 'string' },
    tron_address: { type: ['string', 'null'] },
    roles: { type: 'array', items: { type: 'string' } },
    status: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' }
  },
  required: ['user_id', 'email', 'tron_address', 'roles', 'status', 'created_at']
} as const

/** A session as the API shows it (SessionView). */
export const SESSION = {
  type: 'object',
  properties: {
    session_id: { type: 'string' },
    owner: { type: 'string', description: 'The authenticated subject that created it.' },
    label: { type: ['string', 'null'], description: 'The user_id the client sent: a label, never the owner.' },
    session_type: { type: 'string' },
    duration_minutes: { type: ['integer', 'null'] },
    quality: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['recording', 'finalised'] },
    chunk_count: { type: 'integer' },
    created_at: { type: 'string', format: 'date-time' },
    merkle_root: { type: ['string', 'null'] },
    blockchain_anchor: {
      type: ['object', 'null'],
      properties: { block_height: { type: 'integer' }, hash: { type: 'string' } }
    }
  },
  required: [
    'session_id',
    'owner',
    'label',
    'session_type',
    'duration_minutes',
    'quality',
    'status',
    'chunk_count',
    'created_at',
    'merkle_root',
    'blockchain_anchor'
  ]
} as const

/** Where a session's anchor stands (AnchorView). */
export const SESSION_ANCHOR = {
  type: 'object',
  properties: {
    session_id: { type: 'string' },
    tx_id: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'included', 'final', 'rejected'] },
    block_height: { type: ['integer', 'null'] },
    block_hash: { type: ['string', 'null'] },
    manifest_hash: { type: 'string' },
    merkle_root: { type: 'string' }
  },
  required: ['session_id', 'tx_id', 'status', 'block_height', 'block_hash', 'manifest_hash', 'merkle_root']
} as const

/** A chain receipt (TxReceipt). */
export const RECEIPT = {
  type: 'object',
  properties: {
    tx_id: { type: 'string' },
    status: { type: 'string', enum: ['pending'] },
    accepted_at: { type: 'integer', description: 'ms since the epoch' }
  },
  required: ['tx_id', 'status', 'accepted_at']
} as const

/** A block (BlockView). */
export const BLOCK = {
  type: 'object',
  properties: {
    height: { type: 'integer' },
    hash: { type: 'string' },
    previous_hash: { type: 'string' },
    timestamp: { type: 'integer' },
    slot: { type: 'integer' },
    epoch: { type: 'integer' },
    producer: { type: 'string' },
    merkle_root: { type: 'string' },
    transactions: { type: 'array', items: { type: 'string' } },
    anchors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          kind: { type: 'string', enum: ['session', 'data'] },
          tx_id: { type: 'string' },
          label: { type: 'string' },
          digest: { type: 'string' },
          merkle_root: { type: 'string' }
        },
        required: ['kind', 'tx_id', 'label', 'digest', 'merkle_root']
      }
    },
    final: { type: 'boolean' }
  },
  required: ['height', 'hash', 'previous_hash', 'timestamp', 'slot', 'epoch', 'producer', 'merkle_root', 'transactions', 'anchors', 'final']
} as const

/** A timestamp as clients send it: seconds or ms since the epoch, or an ISO 8601 string. */
export const TIMESTAMP = {
  anyOf: [
    { type: 'number', minimum: 0, maximum: 1e15 },
    { type: 'string', maxLength: 64 }
  ]
} as const

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
