/**
 * The one catalogue of Lucid errors. Every typed error and every HTTP error body carries a stable
 * `LUCID_ERR_*` code that is never reused once retired (docs/errors.md lists them all).
 *
 * Ranges: 1xxx gateway input and auth, 2xxx session pipeline, 3xxx rate limiting and load shedding,
 * 4xxx database, 5xxx chain, 9xxx CLI and benchmark harness.
 *
 * The classes are written here rather than built with @fastify/error: that library names every error
 * `FastifyError` and types its constructors loosely; ours print as `LucidError [code]`, share one base class
 * and still carry the `statusCode` fastify's error handler answers with.
 */
import { format } from 'node:util'

/** Base class of every error in the catalogue: `code` is stable, `statusCode` is the HTTP status (or, for 9xxx, the exit code). */
export class LucidError extends Error {
  readonly code: string
  readonly statusCode: number
  constructor(code: string, statusCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LucidError'
    this.code = code
    this.statusCode = statusCode
  }

  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}`
  }
}

/** A constructor from the catalogue: `new E(...formatArgs, { cause })`. */
export interface LucidErrorConstructor {
  new (...args: unknown[]): LucidError
  readonly code: string
  readonly statusCode: number
}

function define(code: string, template: string, statusCode: number): LucidErrorConstructor {
  return class extends LucidError {
    static readonly code = code
    static readonly statusCode = statusCode
    constructor(...args: unknown[]) {
      // A trailing `{ cause }` object is the standard error option, not a format argument.
      const last = args.at(-1)
      const options = typeof last === 'object' && last !== null && 'cause' in last ? (args.pop() as { cause: unknown }) : undefined
      super(code, statusCode, format(template, ...args), options)
    }
  }
}

/** The catalogue. Messages are util.format templates; `%s` slots take the constructor's arguments. */
export const errors = {
  // 1xxx gateway input and auth
  LUCID_ERR_1001: define('LUCID_ERR_1001', 'Invalid request: %s', 400),
  LUCID_ERR_1002: define('LUCID_ERR_1002', 'Authentication required', 401),
  LUCID_ERR_1003: define('LUCID_ERR_1003', 'Invalid or expired token', 401),
  LUCID_ERR_1004: define('LUCID_ERR_1004', 'Invalid credentials', 401),
  LUCID_ERR_1005: define('LUCID_ERR_1005', 'Forbidden: %s', 403),
  LUCID_ERR_1006: define('LUCID_ERR_1006', 'Not found: %s', 404),
  LUCID_ERR_1007: define('LUCID_ERR_1007', 'Payload too large: %s', 413),
  LUCID_ERR_1008: define('LUCID_ERR_1008', 'Unsupported media type: %s', 415),
  LUCID_ERR_1009: define('LUCID_ERR_1009', 'Internal error: %s', 500),
  LUCID_ERR_1010: define('LUCID_ERR_1010', 'Wallet challenge unknown, expired or already used: %s', 401),
  LUCID_ERR_1011: define('LUCID_ERR_1011', 'Already exists: %s', 409),
  LUCID_ERR_1012: define('LUCID_ERR_1012', 'Request header fields too large: %s', 431),
  LUCID_ERR_1013: define('LUCID_ERR_1013', 'Request timed out: %s', 408),
  LUCID_ERR_1014: define('LUCID_ERR_1014', 'Reserved name: %s', 400),

  // 2xxx session pipeline
  LUCID_ERR_2001: define('LUCID_ERR_2001', 'Malformed chunk envelope: %s', 400),
  LUCID_ERR_2002: define('LUCID_ERR_2002', 'Chunk authentication failed: %s', 400),
  LUCID_ERR_2003: define('LUCID_ERR_2003', 'Chunk out of order: %s', 409),
  LUCID_ERR_2004: define('LUCID_ERR_2004', 'Chunk too large: %s', 413),
  LUCID_ERR_2005: define('LUCID_ERR_2005', 'Manifest integrity check failed: %s', 422),
  LUCID_ERR_2006: define('LUCID_ERR_2006', 'Decompression failed: %s', 400),
  LUCID_ERR_2007: define('LUCID_ERR_2007', 'Chunk missing: %s', 404),
  LUCID_ERR_2008: define('LUCID_ERR_2008', 'Chunk hash mismatch: %s', 422),
  LUCID_ERR_2009: define('LUCID_ERR_2009', 'Chunk or manifest belongs to another session: %s', 409),
  LUCID_ERR_2010: define('LUCID_ERR_2010', 'Wrong master key: %s', 401),
  LUCID_ERR_2011: define('LUCID_ERR_2011', 'Recording in the wrong state: %s', 409),
  LUCID_ERR_2012: define('LUCID_ERR_2012', 'Recording metadata disagrees with the stored recording: %s', 422),
  LUCID_ERR_2013: define('LUCID_ERR_2013', 'Manifest authentication failed: %s', 422),
  LUCID_ERR_2014: define('LUCID_ERR_2014', 'Recording does not match its chain anchor: %s', 422),

  // 3xxx rate limiting and load shedding
  LUCID_ERR_3001: define('LUCID_ERR_3001', 'Rate limit exceeded, retry in %s', 429),
  LUCID_ERR_3002: define('LUCID_ERR_3002', 'Server busy: %s', 503),
  LUCID_ERR_3003: define('LUCID_ERR_3003', 'Worker threads unavailable: %s', 503),

  // 4xxx database
  LUCID_ERR_4001: define('LUCID_ERR_4001', 'Document not found: %s', 404),
  LUCID_ERR_4002: define('LUCID_ERR_4002', 'Duplicate key: %s', 409),
  LUCID_ERR_4003: define('LUCID_ERR_4003', 'Invalid document: %s', 400),
  LUCID_ERR_4004: define('LUCID_ERR_4004', 'Database is not open: %s', 503),
  LUCID_ERR_4005: define('LUCID_ERR_4005', 'Database unreachable: %s', 503),
  LUCID_ERR_4006: define('LUCID_ERR_4006', 'Transaction conflict, retry: %s', 409),
  LUCID_ERR_4007: define('LUCID_ERR_4007', 'Database directory is locked: %s', 503),
  LUCID_ERR_4008: define('LUCID_ERR_4008', 'No database server available: %s', 503),
  LUCID_ERR_4009: define('LUCID_ERR_4009', 'Invalid query: %s', 400),

  // 5xxx chain
  LUCID_ERR_5001: define('LUCID_ERR_5001', 'Invalid block: %s', 400),
  LUCID_ERR_5002: define('LUCID_ERR_5002', 'Invalid transaction: %s', 400),
  LUCID_ERR_5003: define('LUCID_ERR_5003', 'Block not found: %s', 404),
  LUCID_ERR_5004: define('LUCID_ERR_5004', 'Chain not available: %s', 503),
  LUCID_ERR_5005: define('LUCID_ERR_5005', 'Block does not extend the finalised chain: %s', 409),
  LUCID_ERR_5006: define('LUCID_ERR_5006', 'Block producer is not the rightful leader or fallback of its slot: %s', 400),
  LUCID_ERR_5007: define('LUCID_ERR_5007', 'Fallback block before its window opened: %s', 400),
  LUCID_ERR_5008: define('LUCID_ERR_5008', 'Bad block signature: %s', 400),
  LUCID_ERR_5009: define('LUCID_ERR_5009', 'Merkle root or anchor list does not match the block contents: %s', 400),
  LUCID_ERR_5010: define('LUCID_ERR_5010', 'Block over its limits: %s', 413),
  LUCID_ERR_5011: define('LUCID_ERR_5011', 'Slot or timestamp out of bounds: %s', 400),
  LUCID_ERR_5012: define('LUCID_ERR_5012', 'Transaction replayed: %s', 409),
  LUCID_ERR_5013: define('LUCID_ERR_5013', 'Bad transaction signature: %s', 400),
  LUCID_ERR_5014: define('LUCID_ERR_5014', 'Certificate short of quorum: %s', 400),
  LUCID_ERR_5015: define('LUCID_ERR_5015', 'Invalid certificate: %s', 400),
  LUCID_ERR_5016: define('LUCID_ERR_5016', 'Transaction pool full: %s', 503),
  LUCID_ERR_5017: define('LUCID_ERR_5017', 'Sync failed: %s', 502),

  // 9xxx CLI and harness
  LUCID_ERR_9001: define('LUCID_ERR_9001', 'Usage: %s', 2),
  LUCID_ERR_9002: define('LUCID_ERR_9002', 'Unknown component or case: %s', 2),
  LUCID_ERR_9003: define('LUCID_ERR_9003', 'Bad value for %s', 2),
  LUCID_ERR_9004: define('LUCID_ERR_9004', 'Cannot write %s', 2),
  LUCID_ERR_9005: define('LUCID_ERR_9005', 'Malformed targets file %s', 2),
  LUCID_ERR_9006: define('LUCID_ERR_9006', 'Benchmark case crashed: %s', 3),
  LUCID_ERR_9007: define('LUCID_ERR_9007', 'Benchmark case timed out: %s', 3),
  LUCID_ERR_9008: define('LUCID_ERR_9008', 'Malformed report: %s', 2),
  LUCID_ERR_9009: define('LUCID_ERR_9009', 'Not available yet: %s', 2),
  LUCID_ERR_9010: define('LUCID_ERR_9010', 'Load runs cannot be merged: %s', 2),
  LUCID_ERR_9011: define('LUCID_ERR_9011', 'Locust unavailable: %s', 2),
  LUCID_ERR_9012: define('LUCID_ERR_9012', 'Locust run failed: %s', 3),
  LUCID_ERR_9013: define('LUCID_ERR_9013', 'Cannot prepare the base tree: %s', 2),
  LUCID_ERR_9014: define('LUCID_ERR_9014', 'A compared tree failed to run: %s', 2)
} as const

/** A code from the catalogue. */
export type LucidErrorCode = keyof typeof errors

/** True when `err` is a catalogue error (optionally with the given code). */
export function isLucidError(err: unknown, code?: LucidErrorCode): err is LucidError {
  return err instanceof LucidError && (code === undefined || err.code === code)
}
