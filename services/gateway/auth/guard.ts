/**
 * Who is calling, and may they. Two hooks:
 *
 * - `identify` (every request, onRequest): verifies a Bearer access token if one is sent and records the
 *   principal, or the reason it was refused; it never rejects by itself. Running first lets the rate
 *   limiter key on the token's subject and pick the caller's tier.
 * - `guard(role)` (protected routes, preParsing: after the rate limiter, before the body is read, so an
 *   unauthenticated upload is refused without reading its megabytes): 401 LUCID_ERR_1002 without a token,
 *   401 LUCID_ERR_1003 for a bad or expired one, 403 LUCID_ERR_1005 for a role too low.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { errors, type LucidError } from '../../common/errors.ts'
import { assertRole, type Principal, type Role } from './roles.ts'
import type { TokenService } from './tokens.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, when a valid access token was sent. */
    principal?: Principal
    /** Why a sent token was refused. */
    authError?: LucidError
  }
}

/**
 * The onRequest hook that establishes `request.principal`. Callback style rather than async: it runs on
 * every request, most carry no token, and an async hook costs a promise and a microtask turn each time.
 */
export function identify(tokens: TokenService): (req: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  return (req, _reply, done) => {
    const h = req.headers.authorization
    if (h !== undefined) {
      const m = /^Bearer +([A-Za-z0-9_.-]+) *$/i.exec(h)
      if (m === null) req.authError = new errors.InvalidToken()
      else {
        try {
          req.principal = tokens.verifyAccess(m[1] as string)
        } catch (err) {
          req.authError = err as LucidError
        }
      }
    }
    done()
  }
}

/** The principal of a guarded request (the guard ran, so it is there). */
export function principalOf(req: FastifyRequest): Principal {
  const p = req.principal
  if (p === undefined) throw new errors.AuthenticationRequired()
  return p
}

/** The hooks guard() made: the rate limiter tells guarded routes by them (they alone count as authenticated). */
const guards = new WeakSet<object>()

/** True when `hook` is a guard made by guard(). */
export function isGuard(hook: unknown): boolean {
  return typeof hook === 'function' && guards.has(hook)
}

/** A preParsing hook admitting callers that hold `role` (or a higher one). */
export function guard(role: Role): (req: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown> {
  const hook = async (req: FastifyRequest, _reply: FastifyReply, payload: unknown): Promise<unknown> => {
    if (req.authError !== undefined) throw req.authError
    assertRole(principalOf(req), role)
    return payload
  }
  guards.add(hook)
  return hook
}
