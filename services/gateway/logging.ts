/**
 * The gateway's logger: pino, one JSON object per line, level from `--log-level` or LUCID_LOG_LEVEL
 * (default info), secrets redacted. docs/observability.md shows the lines.
 *
 * Redaction is by path (pino's redact, compiled once): authorization and cookie headers wherever a request
 * or its headers are logged, and password or token fields at the top level or one object down (a logged
 * body, `{ body: { password } }`). The gateway's own lines never carry them; the paths are the guard for a
 * line added later that logs a request's headers or body whole.
 */
import pino, { type DestinationStream, type Logger } from 'pino'
import { errors } from '../common/errors.ts'

/** The levels, most severe first; `silent` writes nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** A pino level name. */
export type LogLevel = (typeof LOG_LEVELS)[number]

/** The environment variable that sets the level when no flag does. */
export const LOG_LEVEL_ENV = 'LUCID_LOG_LEVEL'

/** The level when neither flag nor environment sets one. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info'

/** Where secrets may sit in a logged object; each is replaced by `[redacted]`. */
export const REDACT_PATHS: readonly string[] = Object.freeze([
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'cookie',
  'password',
  '*.password',
  'new_password',
  '*.new_password',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token'
])

/** The censor written in place of a redacted value. */
export const REDACTED = '[redacted]'

/**
 * The level from a flag value, else the environment, else info. An unknown name is refused
 * (LUCID_ERR_9003, naming the valid ones) rather than silently logging at another level.
 */
export function resolveLogLevel(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): LogLevel {
  const raw = flag ?? env[LOG_LEVEL_ENV]
  if (raw === undefined || raw === '') return DEFAULT_LOG_LEVEL
  const level = raw.toLowerCase()
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new errors.BadValue(`log level ${raw}${flag === undefined ? ` (from ${LOG_LEVEL_ENV})` : ''}: one of ${LOG_LEVELS.join(', ')}`)
  }
  return level as LogLevel
}

/**
 * A pino logger for the gateway at `level`, writing JSON lines to `destination` (default: stdout,
 * synchronously, so no line is lost when the process dies; at the default level nothing is written per
 * request, so the synchronous write costs only on warnings and errors).
 */
export function createGatewayLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      name: 'lucid-gateway',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED }
    },
    destination ?? pino.destination({ dest: 1, sync: true })
  )
}
