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

/**
 * Base class of every error in the catalogue: `code` is stable, `statusCode` is the HTTP status (or, for 9xxx, the
 * exit code). `name` stays `LucidError` for every one (what logs and `toString` print before the code); each
 * constructor carries its own name in `errorName` (and as the class's `name`).
 */
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

/** A constructor from the catalogue: `new errors.Name(...formatArgs, { cause })`. */
export interface LucidErrorConstructor<C extends string = string> {
  new (...args: unknown[]): LucidError
  readonly code: C
  readonly errorName: string
  readonly statusCode: number
}

function define<C extends string>(code: C, errorName: string, template: string, statusCode: number): LucidErrorConstructor<C> {
  const E = class extends LucidError {
    static readonly code = code
    static readonly errorName = errorName
    static readonly statusCode = statusCode
    constructor(...args: unknown[]) {
      // A trailing `{ cause }` object is the standard error option, not a format argument.
      const last = args.at(-1)
      const options = typeof last === 'object' && last !== null && 'cause' in last ? (args.pop() as { cause: unknown }) : undefined
      super(code, statusCode, format(template, ...args), options)
    }
  }
  // The class's own name, for stack traces and debuggers (`new errors.TransactionReplayed(...)` reads as one).
  Object.defineProperty(E, 'name', { value: errorName })
  return E
}

/**
 * The catalogue, by name (issue 20: 400 call sites read `errors.LUCID_ERR_5012`, and a docstring had already
 * named the wrong codes); each name keeps its stable code. Messages are util.format templates; `%s` slots take
 * the constructor's arguments.
 */
export const errors = {
  // 1xxx gateway input and auth
  InvalidRequest: define('LUCID_ERR_1001', 'InvalidRequest', 'Invalid request: %s', 400),
  AuthenticationRequired: define('LUCID_ERR_1002', 'AuthenticationRequired', 'Authentication required', 401),
  InvalidToken: define('LUCID_ERR_1003', 'InvalidToken', 'Invalid or expired token', 401),
  InvalidCredentials: define('LUCID_ERR_1004', 'InvalidCredentials', 'Invalid credentials', 401),
  Forbidden: define('LUCID_ERR_1005', 'Forbidden', 'Forbidden: %s', 403),
  NotFound: define('LUCID_ERR_1006', 'NotFound', 'Not found: %s', 404),
  PayloadTooLarge: define('LUCID_ERR_1007', 'PayloadTooLarge', 'Payload too large: %s', 413),
  UnsupportedMediaType: define('LUCID_ERR_1008', 'UnsupportedMediaType', 'Unsupported media type: %s', 415),
  InternalError: define('LUCID_ERR_1009', 'InternalError', 'Internal error: %s', 500),
  WalletChallengeInvalid: define('LUCID_ERR_1010', 'WalletChallengeInvalid', 'Wallet challenge unknown, expired or already used: %s', 401),
  AlreadyExists: define('LUCID_ERR_1011', 'AlreadyExists', 'Already exists: %s', 409),
  HeaderFieldsTooLarge: define('LUCID_ERR_1012', 'HeaderFieldsTooLarge', 'Request header fields too large: %s', 431),
  RequestTimeout: define('LUCID_ERR_1013', 'RequestTimeout', 'Request timed out: %s', 408),
  ReservedName: define('LUCID_ERR_1014', 'ReservedName', 'Reserved name: %s', 400),

  // 2xxx session pipeline
  MalformedChunkEnvelope: define('LUCID_ERR_2001', 'MalformedChunkEnvelope', 'Malformed chunk envelope: %s', 400),
  ChunkAuthenticationFailed: define('LUCID_ERR_2002', 'ChunkAuthenticationFailed', 'Chunk authentication failed: %s', 400),
  ChunkOutOfOrder: define('LUCID_ERR_2003', 'ChunkOutOfOrder', 'Chunk out of order: %s', 409),
  ChunkTooLarge: define('LUCID_ERR_2004', 'ChunkTooLarge', 'Chunk too large: %s', 413),
  ManifestIntegrityFailed: define('LUCID_ERR_2005', 'ManifestIntegrityFailed', 'Manifest integrity check failed: %s', 422),
  DecompressionFailed: define('LUCID_ERR_2006', 'DecompressionFailed', 'Decompression failed: %s', 400),
  ChunkMissing: define('LUCID_ERR_2007', 'ChunkMissing', 'Chunk missing: %s', 404),
  ChunkHashMismatch: define('LUCID_ERR_2008', 'ChunkHashMismatch', 'Chunk hash mismatch: %s', 422),
  WrongSession: define('LUCID_ERR_2009', 'WrongSession', 'Chunk or manifest belongs to another session: %s', 409),
  WrongMasterKey: define('LUCID_ERR_2010', 'WrongMasterKey', 'Wrong master key: %s', 401),
  RecordingWrongState: define('LUCID_ERR_2011', 'RecordingWrongState', 'Recording in the wrong state: %s', 409),
  RecordingMetadataMismatch: define('LUCID_ERR_2012', 'RecordingMetadataMismatch', 'Recording metadata disagrees with the stored recording: %s', 422),
  ManifestAuthenticationFailed: define('LUCID_ERR_2013', 'ManifestAuthenticationFailed', 'Manifest authentication failed: %s', 422),
  AnchorMismatch: define('LUCID_ERR_2014', 'AnchorMismatch', 'Recording does not match its chain anchor: %s', 422),

  // 3xxx rate limiting and load shedding
  RateLimited: define('LUCID_ERR_3001', 'RateLimited', 'Rate limit exceeded, retry in %s', 429),
  ServerBusy: define('LUCID_ERR_3002', 'ServerBusy', 'Server busy: %s', 503),
  WorkerThreadsUnavailable: define('LUCID_ERR_3003', 'WorkerThreadsUnavailable', 'Worker threads unavailable: %s', 503),

  // 4xxx database
  DocumentNotFound: define('LUCID_ERR_4001', 'DocumentNotFound', 'Document not found: %s', 404),
  DuplicateKey: define('LUCID_ERR_4002', 'DuplicateKey', 'Duplicate key: %s', 409),
  InvalidDocument: define('LUCID_ERR_4003', 'InvalidDocument', 'Invalid document: %s', 400),
  DatabaseNotOpen: define('LUCID_ERR_4004', 'DatabaseNotOpen', 'Database is not open: %s', 503),
  DatabaseUnreachable: define('LUCID_ERR_4005', 'DatabaseUnreachable', 'Database unreachable: %s', 503),
  TransactionConflict: define('LUCID_ERR_4006', 'TransactionConflict', 'Transaction conflict, retry: %s', 409),
  DatabaseLocked: define('LUCID_ERR_4007', 'DatabaseLocked', 'Database directory is locked: %s', 503),
  NoDatabaseServer: define('LUCID_ERR_4008', 'NoDatabaseServer', 'No database server available: %s', 503),
  InvalidQuery: define('LUCID_ERR_4009', 'InvalidQuery', 'Invalid query: %s', 400),

  // 5xxx chain
  InvalidBlock: define('LUCID_ERR_5001', 'InvalidBlock', 'Invalid block: %s', 400),
  InvalidTransaction: define('LUCID_ERR_5002', 'InvalidTransaction', 'Invalid transaction: %s', 400),
  BlockNotFound: define('LUCID_ERR_5003', 'BlockNotFound', 'Block not found: %s', 404),
  ChainUnavailable: define('LUCID_ERR_5004', 'ChainUnavailable', 'Chain not available: %s', 503),
  NotOnFinalChain: define('LUCID_ERR_5005', 'NotOnFinalChain', 'Block does not extend the finalised chain: %s', 409),
  WrongLeader: define('LUCID_ERR_5006', 'WrongLeader', 'Block producer is not the rightful leader or fallback of its slot: %s', 400),
  FallbackTooEarly: define('LUCID_ERR_5007', 'FallbackTooEarly', 'Fallback block before its window opened: %s', 400),
  BadBlockSignature: define('LUCID_ERR_5008', 'BadBlockSignature', 'Bad block signature: %s', 400),
  BlockContentsMismatch: define('LUCID_ERR_5009', 'BlockContentsMismatch', 'Merkle root or anchor list does not match the block contents: %s', 400),
  BlockOverLimits: define('LUCID_ERR_5010', 'BlockOverLimits', 'Block over its limits: %s', 413),
  SlotOrTimestampOutOfBounds: define('LUCID_ERR_5011', 'SlotOrTimestampOutOfBounds', 'Slot or timestamp out of bounds: %s', 400),
  TransactionReplayed: define('LUCID_ERR_5012', 'TransactionReplayed', 'Transaction replayed: %s', 409),
  BadTransactionSignature: define('LUCID_ERR_5013', 'BadTransactionSignature', 'Bad transaction signature: %s', 400),
  CertificateShortOfQuorum: define('LUCID_ERR_5014', 'CertificateShortOfQuorum', 'Certificate short of quorum: %s', 400),
  InvalidCertificate: define('LUCID_ERR_5015', 'InvalidCertificate', 'Invalid certificate: %s', 400),
  TransactionPoolFull: define('LUCID_ERR_5016', 'TransactionPoolFull', 'Transaction pool full: %s', 503),
  SyncFailed: define('LUCID_ERR_5017', 'SyncFailed', 'Sync failed: %s', 502),
  PeerNetworkFailure: define('LUCID_ERR_5018', 'PeerNetworkFailure', 'Peer network failure: %s', 502),
  NodeProcessFailed: define('LUCID_ERR_5019', 'NodeProcessFailed', 'Node process failed: %s', 502),

  // 9xxx CLI and harness
  Usage: define('LUCID_ERR_9001', 'Usage', 'Usage: %s', 2),
  UnknownCase: define('LUCID_ERR_9002', 'UnknownCase', 'Unknown component or case: %s', 2),
  BadValue: define('LUCID_ERR_9003', 'BadValue', 'Bad value for %s', 2),
  CannotWrite: define('LUCID_ERR_9004', 'CannotWrite', 'Cannot write %s', 2),
  MalformedTargetsFile: define('LUCID_ERR_9005', 'MalformedTargetsFile', 'Malformed targets file %s', 2),
  CaseCrashed: define('LUCID_ERR_9006', 'CaseCrashed', 'Benchmark case crashed: %s', 3),
  CaseTimedOut: define('LUCID_ERR_9007', 'CaseTimedOut', 'Benchmark case timed out: %s', 3),
  MalformedReport: define('LUCID_ERR_9008', 'MalformedReport', 'Malformed report: %s', 2),
  NotAvailableYet: define('LUCID_ERR_9009', 'NotAvailableYet', 'Not available yet: %s', 2),
  LoadRunsNotMergeable: define('LUCID_ERR_9010', 'LoadRunsNotMergeable', 'Load runs cannot be merged: %s', 2),
  LocustUnavailable: define('LUCID_ERR_9011', 'LocustUnavailable', 'Locust unavailable: %s', 2),
  LocustRunFailed: define('LUCID_ERR_9012', 'LocustRunFailed', 'Locust run failed: %s', 3),
  BaseTreeUnavailable: define('LUCID_ERR_9013', 'BaseTreeUnavailable', 'Cannot prepare the base tree: %s', 2),
  ComparedTreeFailed: define('LUCID_ERR_9014', 'ComparedTreeFailed', 'A compared tree failed to run: %s', 2),
  ProfilerUnavailable: define('LUCID_ERR_9015', 'ProfilerUnavailable', 'Profiler unavailable: %s', 2)
} as const

/** A name in the catalogue. */
export type LucidErrorName = keyof typeof errors

/** A code from the catalogue (`LUCID_ERR_5012`). */
export type LucidErrorCode = (typeof errors)[LucidErrorName]['code']

/** True when `err` is a catalogue error (optionally with the given code). */
export function isLucidError(err: unknown, code?: LucidErrorCode): err is LucidError {
  return err instanceof LucidError && (code === undefined || err.code === code)
}
