/**
 * The session routes' schemas (routes/sessions.ts) and the types derived from them: a session's view, its
 * status, its manifest, a finalisation's answer, and the bodies of creation and anchoring.
 */
import { type Static, Type } from 'typebox'
import { Nullable, Obj, ordered, SESSION, SESSION_ANCHOR, SESSION_BLOCK_ANCHOR, SESSION_ID, StringEnum, TIMESTAMP } from './common.ts'

/** 64 hex digits (a SHA-256). */
export const HEX64 = Type.String({ pattern: '^[0-9a-fA-F]{64}$' })

/** A client's label for a session or anchor: a string or an integer. */
const CLIENT_LABEL = Type.Union([Type.String({ maxLength: 128 }), Type.Integer()])

/** `POST /sessions` */
export const CREATE_SESSION_BODY = Obj(
  {
    user_id: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Integer()], { description: "A client label; the owner is the token's subject." })),
    session_type: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', default: 'rdp' })),
    duration_minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_080 })),
    quality: Type.Optional(StringEnum(['low', 'medium', 'high']))
  },
  { additionalProperties: false }
)
/** CREATE_SESSION_BODY as a TypeScript type. */
export type CreateSessionBody = Static<typeof CREATE_SESSION_BODY>

/** A session as the API shows it. */
export type SessionView = Static<typeof SESSION>

/** Where a session's anchor stands. */
export type AnchorView = Static<typeof SESSION_ANCHOR>

/** `GET /sessions` */
export const SESSION_LIST = Obj({ sessions: Type.Array(SESSION), count: Type.Integer() })

/** `DELETE /sessions/{id}`: no body. */
export const DELETED = Type.Unsafe<undefined>({ type: 'null', description: 'deleted' })

/** `GET /sessions/{id}/status` */
export const SESSION_STATUS_VIEW = Obj({
  session_id: Type.String(),
  status: Type.String(),
  chunk_count: Type.Integer(),
  merkle_root: Nullable(Type.String()),
  blockchain_anchor: SESSION_BLOCK_ANCHOR
})

/** A finalised session's manifest as the API shows it (the recording's Manifest, services/session/manifest.ts). */
export const MANIFEST = Obj({
  format: Type.String(),
  session_id: Type.String(),
  owner_address: Type.String(),
  started_at: Type.String(),
  ended_at: Type.String(),
  key_id: Type.String(),
  codec: Type.String(),
  chunk_count: Type.Integer(),
  merkle_root: Type.String(),
  // Immutable: readonly in the type, as the recording's own Manifest is.
  chunks: Type.Immutable(Type.Array(Obj({ index: Type.Integer(), size: Type.Integer(), ciphertext_sha256: Type.String(), plaintext_size: Type.Integer() }))),
  manifest_hash: Type.String()
})
/** MANIFEST as a TypeScript type. */
export type ManifestView = Static<typeof MANIFEST>

/** `POST /sessions/{id}/finalize` */
export const FINALIZE_VIEW = Obj({
  session_id: Type.String(),
  status: Type.String(),
  chunk_count: Type.Integer(),
  merkle_root: Type.String(),
  manifest_hash: Type.String(),
  anchor: Type.Union([SESSION_ANCHOR, Type.Null()]),
  /** Why there is no anchor (no chain wired, or the chain refused), else ''. */
  anchor_error: Type.String()
})
/** FINALIZE_VIEW as a TypeScript type. */
export type FinalizeView = Static<typeof FINALIZE_VIEW>

/** `POST /anchoring/session` */
export const ANCHOR_SESSION_BODY = Obj(
  {
    session_id: SESSION_ID,
    merkle_root: HEX64,
    chunks: Type.Optional(
      ordered(Type.Array(Obj({ chunk_id: Type.Optional(CLIENT_LABEL), hash: HEX64 }, { additionalProperties: false }), { maxItems: 100_000 }), [
        'type',
        'maxItems'
      ])
    ),
    user_id: Type.Optional(CLIENT_LABEL),
    timestamp: Type.Optional(TIMESTAMP)
  },
  { additionalProperties: false }
)
/** ANCHOR_SESSION_BODY as a TypeScript type. */
export type AnchorSessionBody = Static<typeof ANCHOR_SESSION_BODY>
