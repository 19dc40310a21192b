/**
 * Who may read the gateway's insides (GET /metrics, GET /debug/timing). Neither is an open door on a public
 * interface: metrics name every route, the chain's state and the hashing queue (a map for an attacker
 * timing a login storm), and the timing endpoint can be reset by whoever reads it.
 *
 * | endpoint | without a token | otherwise |
 * |---|---|---|
 * | /metrics | a local caller (loopback peer, not forwarded), or any caller under --load-test | Admin token |
 * | /debug/timing | any caller under --load-test | Admin token |
 *
 * "Local" is the socket's peer address (127.0.0.0/8, ::1, or an IPv4-mapped loopback), never a header, and
 * a request carrying Forwarded or X-Forwarded-For is not local: a reverse proxy on the same host would
 * otherwise make every remote caller look local. Both routes are exempt from rate limits (a scraper must
 * not be throttled into gaps); the access rule, not the limiter, keeps strangers out.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { guard } from './guard.ts'

/** True when the request comes from this host over loopback and names no proxy hop. */
export function isLocalRequest(req: FastifyRequest): boolean {
  const h = req.headers
  if (h.forwarded !== undefined || h['x-forwarded-for'] !== undefined) return false
  const a = req.socket.remoteAddress
  if (a === undefined) return false
  return a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.')
}

/**
 * A preParsing hook admitting a request when `open(req)` holds, and otherwise only an Admin (401 without a
 * token or with a bad one, 403 for a lower role, exactly like the admin routes).
 */
export function observerGuard(open: (req: FastifyRequest) => boolean): (req: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown> {
  const admin = guard('Admin')
  return async (req, reply, payload) => (open(req) ? payload : await admin(req, reply, payload))
}
