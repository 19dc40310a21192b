/**
 * Session routes (APIUser and SessionUser of the load contract, plus finalisation and anchoring). All
 * need a valid access token; a session belongs to the token's subject.
 *
 *   POST   /sessions                {user_id?, session_type?, duration_minutes?, quality?} -> 201 session
 *   GET    /sessions                the caller's sessions, newest first (?limit)           -> 200 {sessions, count}
 *   GET    /sessions/{id}                                                                  -> 200 session
 *   DELETE /sessions/{id}           the session and its recording                          -> 204
 *   GET    /sessions/{id}/status                                                           -> 200
 *   GET    /sessions/{id}/manifest  (finalised sessions)                                   -> 200 manifest
 *   POST   /sessions/{id}/finalize  manifest written, anchored on the chain                -> 200
 *   GET    /sessions/{id}/anchor    where the anchor stands (pending, included, final)     -> 200
 *   POST   /anchoring/session       {session_id, merkle_root, chunks?, user_id?, timestamp?} -> 202 anchor
 */
import type { FastifyInstance } from 'fastify'
import { guard, principalOf } from '../auth/guard.ts'
import type { GatewayContext } from '../context.ts'
import { LIMIT_QUERY, SESSION, SESSION_ANCHOR, SESSION_ID, SESSION_PARAMS, TIMESTAMP, parseLimit, responses } from '../schemas.ts'

interface CreateBody {
  user_id?: string | number
  session_type?: string
  duration_minutes?: number
  quality?: 'low' | 'medium' | 'high'
}
interface AnchorBody {
  session_id: string
  merkle_root: string
  chunks?: Array<{ chunk_id?: string | number; hash: string }>
  user_id?: string | number
  timestamp?: number | string
}
type IdParams = { Params: { id: string } }

const HEX64 = { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } as const

const MANIFEST = {
  type: 'object',
  properties: {
    format: { type: 'string' },
    session_id: { type: 'string' },
    owner_address: { type: 'string' },
    started_at: { type: 'string' },
    ended_at: { type: 'string' },
    key_id: { type: 'string' },
    codec: { type: 'string' },
    chunk_count: { type: 'integer' },
    merkle_root: { type: 'string' },
    chunks: {
      type: 'array',
      items: {
        type: 'object',
        properties: { index: { type: 'integer' }, size: { type: 'integer' }, ciphertext_sha256: { type: 'string' }, plaintext_size: { type: 'integer' } },
        required: ['index', 'size', 'ciphertext_sha256', 'plaintext_size']
      }
    },
    manifest_hash: { type: 'string' }
  },
  required: ['format', 'session_id', 'owner_address', 'started_at', 'ended_at', 'key_id', 'codec', 'chunk_count', 'merkle_root', 'chunks', 'manifest_hash']
} as const

/** Registers the session routes. */
export async function sessionRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const auth = { preParsing: guard('User') }
  const security = [{ bearer: [] }]
  const s = ctx.sessions

  app.post<{ Body: CreateBody }>(
    '/sessions',
    {
      ...auth,
      schema: {
        tags: ['sessions'],
        summary: 'Create a session owned by the caller',
        security,
        body: {
          type: 'object',
          properties: {
            user_id: { anyOf: [{ type: 'string', maxLength: 128 }, { type: 'integer' }], description: "A client label; the owner is the token's subject." },
            session_type: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$', default: 'rdp' },
            duration_minutes: { type: 'integer', minimum: 1, maximum: 10_080 },
            quality: { type: 'string', enum: ['low', 'medium', 'high'] }
          },
          additionalProperties: false
        },
        response: responses({ 201: SESSION })
      }
    },
    async (req, reply) => {
      const b = req.body
      const v = await s.create(principalOf(req), {
        label: b.user_id === undefined ? null : String(b.user_id),
        session_type: b.session_type ?? 'rdp',
        duration_minutes: b.duration_minutes ?? null,
        quality: b.quality ?? null
      })
      return reply.code(201).send(v)
    }
  )

  app.get<{ Querystring: { limit?: string } }>(
    '/sessions',
    {
      ...auth,
      schema: {
        tags: ['sessions'],
        summary: "The caller's sessions, newest first",
        security,
        querystring: LIMIT_QUERY,
        response: responses({
          200: { type: 'object', properties: { sessions: { type: 'array', items: SESSION }, count: { type: 'integer' } }, required: ['sessions', 'count'] }
        })
      }
    },
    async (req) => {
      const sessions = await s.list(principalOf(req), parseLimit(req.query.limit))
      return { sessions, count: sessions.length }
    }
  )

  app.get<IdParams>(
    '/sessions/:id',
    {
      ...auth,
      schema: { tags: ['sessions'], summary: 'One session (owner, or any Admin)', security, params: SESSION_PARAMS, response: responses({ 200: SESSION }) }
    },
    async (req) => await s.get(principalOf(req), req.params.id)
  )

  app.delete<IdParams>(
    '/sessions/:id',
    {
      ...auth,
      schema: {
        tags: ['sessions'],
        summary: 'Delete the session and its recording (owner)',
        security,
        params: SESSION_PARAMS,
        response: responses({ 204: { type: 'null', description: 'deleted' } })
      }
    },
    async (req, reply) => {
      await s.delete(principalOf(req), req.params.id)
      return reply.code(204).send()
    }
  )

  app.get<IdParams>(
    '/sessions/:id/status',
    {
      ...auth,
      schema: {
        tags: ['sessions'],
        summary: 'Status, chunk count, Merkle root and anchor of a session',
        security,
        params: SESSION_PARAMS,
        response: responses({
          200: {
            type: 'object',
            properties: {
              session_id: { type: 'string' },
              status: { type: 'string' },
              chunk_count: { type: 'integer' },
              merkle_root: { type: ['string', 'null'] },
              blockchain_anchor: SESSION.properties.blockchain_anchor
            },
            required: ['session_id', 'status', 'chunk_count', 'merkle_root', 'blockchain_anchor']
          }
        })
      }
    },
    async (req) => await s.get(principalOf(req), req.params.id)
  )

  app.get<IdParams>(
    '/sessions/:id/manifest',
    {
      ...auth,
      schema: {
        tags: ['sessions'],
        summary: 'The Merkle manifest of a finalised session',
        security,
        params: SESSION_PARAMS,
        response: responses({ 200: MANIFEST })
      }
    },
    async (req) => await s.manifest(principalOf(req), req.params.id)
  )

  app.post<IdParams>(
    '/sessions/:id/finalize',
    {
      ...auth,
      schema: {
        tags: ['sessions'],
        summary: 'Finish the recording: write the manifest and anchor it on the chain (owner)',
        security,
        params: SESSION_PARAMS,
        response: responses({
          200: {
            type: 'object',
            properties: {
              session_id: { type: 'string' },
              status: { type: 'string' },
              chunk_count: { type: 'integer' },
              merkle_root: { type: 'string' },
              manifest_hash: { type: 'string' },
              anchor: { anyOf: [SESSION_ANCHOR, { type: 'null' }] },
              anchor_error: { type: 'string' }
            },
            required: ['session_id', 'status', 'chunk_count', 'merkle_root', 'manifest_hash', 'anchor', 'anchor_error']
          }
        })
      }
    },
    async (req) => await s.finalize(principalOf(req), req.params.id)
  )

  app.get<IdParams>(
    '/sessions/:id/anchor',
    {
      ...auth,
      schema: {
        tags: ['sessions'],
        summary: "Where the session's anchor stands on the chain",
        security,
        params: SESSION_PARAMS,
        response: responses({ 200: SESSION_ANCHOR })
      }
    },
    async (req) => await s.anchorStatus(principalOf(req), req.params.id)
  )

  app.post<{ Body: AnchorBody }>(
    '/anchoring/session',
    {
      ...auth,
      schema: {
        tags: ['sessions', 'chain'],
        summary: 'Anchor a finalised session (owner); idempotent, checks the Merkle root against the manifest',
        security,
        body: {
          type: 'object',
          properties: {
            session_id: SESSION_ID,
            merkle_root: HEX64,
            chunks: {
              type: 'array',
              maxItems: 100_000,
              items: {
                type: 'object',
                properties: { chunk_id: { anyOf: [{ type: 'string', maxLength: 128 }, { type: 'integer' }] }, hash: HEX64 },
                required: ['hash'],
                additionalProperties: false
              }
            },
            user_id: { anyOf: [{ type: 'string', maxLength: 128 }, { type: 'integer' }] },
            timestamp: TIMESTAMP
          },
          required: ['session_id', 'merkle_root'],
          additionalProperties: false
        },
        response: responses({ 202: SESSION_ANCHOR })
      }
    },
    async (req, reply) => {
      const b = req.body
      const v = await s.anchorSession(
        principalOf(req),
        b.session_id,
        b.merkle_root,
        (b.chunks ?? []).map((c) => c.hash)
      )
      return reply.code(202).send(v)
    }
  )
}
