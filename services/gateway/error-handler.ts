/**
 * Every 4xx/5xx answer is `{"error": {"code", "message"}}` with a code from the one catalogue
 * (services/common/errors.ts). This module maps what fastify, its plugins and the services throw onto it:
 *
 * - catalogue errors keep their code and status (a 9xxx harness error escaping into a request is a bug: 500);
 * - schema validation failures and malformed JSON -> 400 LUCID_ERR_1001;
 * - body over the limit -> 413 LUCID_ERR_1007; unsupported content type -> 415 LUCID_ERR_1008;
 * - unknown routes and bad URLs -> 404 LUCID_ERR_1006 / 400 LUCID_ERR_1001;
 * - any other 4xx from a plugin -> LUCID_ERR_1001 with the plugin's message;
 * - anything else -> 500 LUCID_ERR_1009, logged with its stack, the message kept generic.
 *
 * An error carrying `retryAfterS` (hashing queue full, upload budget) sets Retry-After.
 *
 * Requests node:http refuses before fastify sees them (headers over 16 KiB, malformed HTTP, a request that
 * took too long to arrive) are answered by `clientError` in the same shape: 431 LUCID_ERR_1012, 408
 * LUCID_ERR_1013, else 400 LUCID_ERR_1001. Fastify's default answered them with a body of its own shape.
 */
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { LucidError, errors } from '../common/errors.ts'

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string }
}

/** The catalogue error an arbitrary thrown value answers as. */
export function toLucidError(err: unknown): LucidError {
  if (err instanceof LucidError) return err.statusCode >= 400 && err.statusCode <= 599 ? err : new errors.InternalError(err.code)
  const e = err as Partial<FastifyError> & { validation?: unknown; validationContext?: string }
  const message = typeof e.message === 'string' ? e.message : String(err)
  if (e.validation !== undefined) return new errors.InvalidRequest(message)
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500
  if (err instanceof SyntaxError && status === 400) return new errors.InvalidRequest(`malformed JSON body (${message})`)
  if (status === 413) return new errors.PayloadTooLarge(message)
  if (status === 415 || status === 406) return new errors.UnsupportedMediaType(message)
  if (status === 404) return new errors.NotFound(message)
  if (status === 401) return new errors.InvalidToken()
  if (status === 429) return new errors.RateLimited(message)
  if (status === 503) return new errors.ServerBusy(message)
  if (status >= 400 && status < 500) return new errors.InvalidRequest(message)
  return new errors.InternalError('the request failed on the server (logged)')
}

/** The JSON body of `e`. */
export function errorBody(e: LucidError): ErrorBody {
  return { error: { code: e.code, message: e.message } }
}

/** Sends `err` as an error answer. */
export function sendError(reply: FastifyReply, err: unknown, req?: FastifyRequest): FastifyReply {
  const e = toLucidError(err)
  // `req` names the request (method, URL, host, peer): above debug, req.log binds no request id.
  if (e.statusCode >= 500 && e.code === 'LUCID_ERR_1009') req?.log.error({ err, req }, 'request failed')
  const retry = (err as { retryAfterS?: unknown }).retryAfterS
  if (typeof retry === 'number') void reply.header('retry-after', String(retry))
  return reply.code(e.statusCode).type('application/json; charset=utf-8').send(errorBody(e))
}

/** Installs the error handler. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => sendError(reply, err, req))
}

/**
 * Installs the not-found handler, behind `limit` (the rate limiter's preHandler) when limits are on:
 * unmatched routes cost a lookup like any other request, so they count against the public tier.
 */
export function installNotFound(app: FastifyInstance, limit?: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>): void {
  const handler = (req: FastifyRequest, reply: FastifyReply): FastifyReply =>
    sendError(reply, new errors.NotFound(`${req.method} ${req.url.split('?')[0] ?? ''}`), req)
  if (limit === undefined) app.setNotFoundHandler(handler)
  else app.setNotFoundHandler({ preHandler: limit }, handler)
}

/**
 * Fastify's `clientErrorHandler`: answers a request node:http could not parse, then closes the connection
 * (the parser's state is lost, so nothing more can be read from it).
 */
export function clientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const e =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new errors.HeaderFieldsTooLarge('the request headers exceed 16 KiB')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new errors.RequestTimeout('the request did not arrive in time')
        : new errors.InvalidRequest(`malformed HTTP request (${err.code ?? 'parse error'})`)
  const body = JSON.stringify(errorBody(e))
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${e.statusCode} ${STATUS_TEXT[e.statusCode] ?? 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
    )
  }
  socket.destroy()
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }
