/**
 * Driver and server errors translated to the catalogue, so callers see the same LUCID_ERR_4xxx codes
 * from MongoDB as from LevelDB.
 */
import { MongoError, MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb'
import { LucidError, errors } from '../../common/errors.ts'

/** True when the driver labelled the error (TransientTransactionError, UnknownTransactionCommitResult). */
export function hasLabel(err: unknown, label: string): boolean {
  return err instanceof MongoError && err.hasErrorLabel(label)
}

/** True for a duplicate key error on the `_id` index (a primary key clash, not a secondary unique one). */
export function isDuplicateId(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000 && /\b_id_\b|index: _id/.test(err.message)
}

/** The catalogue error for a driver error; catalogue errors and programming errors pass through. */
export function mapMongoError(err: unknown, what: string): unknown {
  if (err instanceof LucidError || !(err instanceof MongoError)) return err
  const name = err.name
  if (err instanceof MongoServerError && err.code === 11000) return new errors.DuplicateKey(`${what}: ${err.message}`, { cause: err })
  if (
    name === 'MongoTopologyClosedError' ||
    name === 'MongoNotConnectedError' ||
    name === 'MongoPoolClosedError' ||
    /client was closed|Topology is closed/i.test(err.message)
  ) {
    return new errors.DatabaseNotOpen(`${what}: the client was closed`, { cause: err })
  }
  // Unreachable is decided before the transient label: the driver labels every network error inside a
  // transaction TransientTransactionError, and as LUCID_ERR_4006 (a conflict) an outage made
  // Database.transaction run the function again up to 5 times, each waiting out the timeouts once more,
  // then report a conflict. A server that does not answer is LUCID_ERR_4005, at once.
  // (instanceof, not the name: MongoPoolClearedError is a network error whose name does not say so.)
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError || name === 'MongoWaitQueueTimeoutError') {
    return new errors.DatabaseUnreachable(`${what}: ${err.message}`, { cause: err })
  }
  if ((err instanceof MongoServerError && err.code === 112) || err.hasErrorLabel('TransientTransactionError')) {
    return new errors.TransactionConflict(`${what}: ${err.message}`, { cause: err })
  }
  return err
}
