/**
 * The Lucid database layer: repositories over the Lucid collections (users, sessions, chunks, blocks,
 * transactions, task_proofs, work_tally, and the original performance test's activity records), backed
 * by an embedded LevelDB (the default) or by MongoDB, with one behaviour and one set of error codes
 * (LUCID_ERR_4001..4009). docs/db.md describes the key layout, the isolation and the server resolution.
 *
 * ```ts
 * const db = await openDatabase({ backend: 'level', path: '.lucid-data' })
 * await db.users.insert({ user_id: 'u1', email: 'a@example.org', roles: ['User'], status: 'active', created_at: Date.now() })
 * await db.transaction(async (t) => { await t.sessions.addChunks('s1', 1); await t.chunks.insert(chunk) })
 * await db.close()
 * ```
 */
import { errors } from '../common/errors.ts'
import { Database } from './database.ts'
import { openLevelBackend } from './level/backend.ts'
import { openMongoBackend } from './mongo/backend.ts'

/** Options of openDatabase. */
export type OpenOptions =
  | {
      readonly backend: 'level'
      /** The data directory (created when missing); one process at a time (LUCID_ERR_4007). */
      readonly path: string
      /** Commits durable (fsync'ed) when they resolve (survive power loss, not only kill -9); default false. */
      readonly sync?: boolean
      /** With `sync`: concurrent commits share one fsync (default true), or one fsync each (false). */
      readonly groupCommit?: boolean
      /** Cache documents, query answers and counts for reads outside transactions (default true; docs/db.md). */
      readonly cache?: boolean
    }
  | {
      readonly backend: 'mongodb'
      /** The server; default MONGODB_URI, then mongodb-memory-server, then LUCID_ERR_4008. */
      readonly uri?: string
      /** Database name, default `lucid`. */
      readonly dbName?: string
      /** Connection pool size (maxPoolSize), default 100. */
      readonly poolSize?: number
      /** Bound on connecting, ms (default 5000); past it LUCID_ERR_4005. */
      readonly connectTimeoutMs?: number
      /**
       * Bound on waiting for the server's answer, ms (default 30000); past it LUCID_ERR_4005 instead of waiting
       * for ever on a server that stopped answering (docs/chaos.md, "MongoDB outages").
       */
      readonly operationTimeoutMs?: number
      /** Bound on mongodb-memory-server obtaining and starting mongod, ms (default 10000). */
      readonly memoryServerTimeoutMs?: number
    }

/** Opens a database of either backend. */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.backend === 'level') {
    if (typeof opts.path !== 'string' || opts.path === '') throw new errors.InvalidQuery('the level backend needs a data directory (path)')
    return new Database(await openLevelBackend(opts))
  }
  if (opts.backend === 'mongodb') return new Database(await openMongoBackend(opts))
  throw new errors.InvalidQuery(`unknown backend ${String((opts as { backend?: unknown }).backend)}: level or mongodb`)
}

export { Database } from './database.ts'
export type { TransactionOptions } from './database.ts'
export type { EngineInfo, BackendStats } from './backend.ts'
export type { Repositories } from './repositories/index.ts'
export type { ListOptions, TimeRangeOptions } from './repositories/base.ts'
export type * from './types.ts'
export { PID_FILE } from './level/lock.ts'
