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
import { guard, principalOf } from '../auth/guard.ts'
import type { GatewayContext } from '../context.ts'
import { type GatewayApp, LIMIT_QUERY, SESSION, SESSION_ANCHOR, SESSION_PARAMS, parseLimit, responses } from '../schemas/common.ts'
import { ANCHOR_SESSION_BODY, CREATE_SESSION_BODY, DELETED, FINALIZE_VIEW, MANIFEST, SESSION_LIST, SESSION_STATUS_VIEW } from '../schemas/sessions.ts'

/** Registers the session routes. */
export async function sessionRoutes(app: GatewayApp, ctx: GatewayContext): Promise<void> {
  const auth = { preParsing: guard('User') }
  const security = [{ bearer: [] }]
  const s = ctx.sessions

  app.post(
    '/sessions',
    {
      ...auth,
      schema: {
        tags: ['sessions'],
        summary: 'Create a session owned by the caller',
        security,
        body: CREATE_SESSION_BODY,
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

  app.get(
    '/sessions',
    {
      ...auth,
      schema: {
        tags: ['sessions'],
        summary: "The caller's sessions, newest first",
        security,
        querystring: LIMIT_QUERY,
        response: responses({ 200: SESSION_LIST })
      }
    },
    async (req) => {
      const sessions = await s.list(principalOf(req), parseLimit(req.query.limit))
      return { sessions, count: sessions.length }
    }
  )

  app.get(
    '/sessions/:id',
    {
      ...auth,
      schema: { tags: ['sessions'], summary: 'One session (owner, or any Admin)', security, params: SESSION_PARAMS, response: responses({ 200: SESSION }) }
    },
    async (req) => await s.get(principalOf(req), req.params.id)
  )

  app.delete(
    '/sessions/:id',
    {
      ...auth,
      schema: {
        tags: ['sessions'],
        summary: 'Delete the session and its recording (owner)',
        security,
        params: SESSION_PARAMS,
        response: responses({ 204: DELETED })
      }
    },
    async (req, reply) => {
      await s.delete(principalOf(req), req.params.id)
      return reply.code(204).send()
    }
  )

  app.get(
    '/sessions/:id/status',
    {
      ...auth,
      schema: {
        tags: ['sessions'],
        summary: 'Status, chunk count, Merkle root and anchor of a session',
        security,
        params: SESSION_PARAMS,
        response: responses({ 200: SESSION_STATUS_VIEW })
      }
    },
    async (req) => await s.get(principalOf(req), req.params.id)
  )

  app.get(
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

  app.post(
    '/sessions/:id/finalize',
    {
      ...auth,
      schema: {
        tags: ['sessions'],
        summary: 'Finish the recording: write the manifest and anchor it on the chain (owner)',
        security,
        params: SESSION_PARAMS,
        response: responses({ 200: FINALIZE_VIEW })
      }
    },
    async (req) => await s.finalize(principalOf(req), req.params.id)
  )

  app.get(
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

  app.post(
    '/anchoring/session',
    {
      ...auth,
      schema: {
        tags: ['sessions', 'chain'],
        summary: 'Anchor a finalised session (owner); idempotent, checks the Merkle root against the manifest',
        security,
        body: ANCHOR_SESSION_BODY,
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
