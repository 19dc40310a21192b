/**
 * What the gateway logs per request, and what that costs.
 *
 * Measured here (pino 10, one core): a JSON line written synchronously costs ~5 µs, and fastify's default
 * per-request child logger (binding the request id) ~1 µs, whether or not anything is logged. At the
 * benchmark's ~15 000 /health answers a second, one line per request would take 8 % of a core and the child
 * loggers 1.5 %. So:
 *
 * - one line per request ("request completed": method, URL, peer, route template, status, ms, request id) at
 *   `debug`, never at the default `info`; fastify's separate "incoming request" line is dropped;
 * - per-request child loggers only at `debug` or below (where the request id is worth its cost, tying the
 *   access line to the request's other lines); above it, `req.log` is the root logger and the few lines a
 *   request writes at info or higher (errors, warnings) name the request themselves (`req`: method, URL,
 *   host, remote address);
 * - unknown routes are a `debug` line, so a scanner cannot fill the log at `info`.
 */
import { LogController } from 'fastify'
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import type { Logger } from 'pino'

/** True when `logger` writes `debug` lines. */
export function logsPerRequest(logger: Logger): boolean {
  return logger.isLevelEnabled('debug')
}

/** Fastify's per-request logging, at the levels above. */
export class GatewayLogController extends LogController {
  readonly #perRequest: boolean

  /** @param perRequest true when the logger's level writes debug lines (fixed when the app is built) */
  constructor(perRequest: boolean) {
    super({ disableRequestLogging: false })
    this.#perRequest = perRequest
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    if (error !== null && error !== undefined) {
      reply.log.error({ req, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
      return
    }
    if (!this.#perRequest) return
    // `req` and `res` go through fastify's serializers (method, URL, host, peer; status code): never headers.
    reply.log.debug({ req, route: req.is404 ? null : req.routeOptions.url, res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }

  override routeNotFound(req: FastifyRequest): void {
    if (this.#perRequest) req.log.debug({ req }, 'route not found')
  }
}

/**
 * fastify's `childLoggerFactory`: a child binding the request id when per-request lines are on, else the
 * logger itself (no allocation per request).
 */
export function childLoggerFactory(perRequest: boolean): NonNullable<FastifyServerOptions['childLoggerFactory']> {
  return perRequest ? (logger, bindings, opts) => logger.child(bindings, opts) : (logger) => logger
}
