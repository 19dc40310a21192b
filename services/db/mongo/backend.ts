/**
 * The MongoDB backend (official driver): one MongoDB collection per spec, its indexes created with
 * createIndexes, multi-document transactions through driver sessions, a connection pool of `poolSize`
 * (default 100). It uses only what the jongodb stand-in also supports (no find projections, no
 * $push/$pull/$min/$max, no findOneAndDelete, no drop or listCollections, $group with $sum only), so the
 * same code runs against real MongoDB and against the stand-in in CI.
 *
 * Documents are stored as given plus `_id` (the primary key: the value itself, or the JSON array of a
 * composite key) and `_v`, a version that single-document read-modify-writes use as a compare-and-swap
 * outside transactions.
 */
import { type ClientSession, type Collection, type Document, MongoClient } from 'mongodb'
import { errors, isLucidError } from '../../common/errors.ts'
import type { Backend, BackendStats, EngineInfo, Mutation, TxHandle } from '../backend.ts'
import { ALL_COLLECTIONS, type CollectionSpec, counterOf } from '../schema.ts'
import { type IndexQuery, queryFields } from '../query.ts'
import { type Doc, type Scalar, keyOf, showKey } from '../validate.ts'
import type { GroupCounts } from '../types.ts'
import { hasLabel, isDuplicateId, mapMongoError } from './errors.ts'
import { type ResolveOptions, type ResolvedServer, resolveServer } from './resolve.ts'

/** Options of the MongoDB backend. */
export interface MongoOptions extends ResolveOptions {
  /** Database name (default `lucid`). */
  readonly dbName?: string
  /** Connection pool size, maxPoolSize (default 100: the seed's ">100 concurrent connections"). */
  readonly poolSize?: number
  /** Bound on server selection and connecting, ms (default 5000): past it, LUCID_ERR_4005. */
  readonly connectTimeoutMs?: number
  /**
   * Bound on waiting for the server's answer on a connection, ms (socketTimeoutMS; default 30000): a
   * server that stopped answering (a partition, a hung host) makes an operation fail with LUCID_ERR_4005
   * instead of waiting for ever (the driver's default). The driver retries a read or write once on a
   * network error (twice when a new connection's handshake timed out), each attempt bounded by this or
   * connectTimeoutMs, so a failing call ends within a small multiple of them (docs/chaos.md, "MongoDB
   * outages"). It must exceed the slowest legitimate operation.
   */
  readonly operationTimeoutMs?: number
}

// A compare-and-swap that keeps losing to concurrent writers gives up with LUCID_ERR_4006 after this many tries.
const CAS_RETRIES = 50

/** Resolves a server, connects (bounded in time), reads buildInfo and creates the indexes. */
export async function openMongoBackend(opts: MongoOptions = {}): Promise<Backend> {
  const poolSize = opts.poolSize ?? 100
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw new errors.InvalidQuery('poolSize must be a positive integer')
  const operationTimeout = opts.operationTimeoutMs ?? 30_000
  if (!Number.isFinite(operationTimeout) || operationTimeout <= 0) throw new errors.InvalidQuery('operationTimeoutMs must be a positive number of ms')
  const server = await resolveServer(opts)
  const timeout = opts.connectTimeoutMs ?? 5000
  const client = new MongoClient(server.uri, {
    maxPoolSize: poolSize,
    serverSelectionTimeoutMS: timeout,
    connectTimeoutMS: timeout,
    // The driver's default (0) waits for an answer for ever: a blackholed server would hang every caller.
    socketTimeoutMS: operationTimeout,
    // An operation waiting for a pooled connection longer than this fails instead of hanging.
    waitQueueTimeoutMS: Math.max(timeout, 10_000)
  })
  try {
    await client.connect()
    const db = client.db(opts.dbName ?? 'lucid')
    const info = (await db.command({ buildInfo: 1 })) as { version?: string; gitVersion?: string }
    const engine = describeEngine(info, server)
    for (const spec of ALL_COLLECTIONS) {
      if (spec.indexes.length === 0) continue
      await db.collection(spec.name).createIndexes(
        spec.indexes.map((ix) => ({
          name: ix.name,
          key: Object.fromEntries(ix.fields.map((f) => [f.field, f.dir])),
          ...(ix.unique === true ? { unique: true, sparse: ix.fields.some((f) => spec.fields[f.field]?.optional === true) } : {})
        }))
      )
    }
    return new MongoBackend(client, db.databaseName, engine, server)
  } catch (err) {
    await client.close().catch(() => {})
    await server.stop?.()
    const mapped = mapMongoError(err, `connecting to ${redact(server.uri)}`)
    if (mapped instanceof Error && 'code' in mapped && String(mapped.code).startsWith('LUCID_ERR_4')) throw mapped
    throw new errors.DatabaseUnreachable(`${redact(server.uri)}: ${(err as Error).message}`, { cause: err })
  }
}

function describeEngine(info: { version?: string; gitVersion?: string }, server: ResolvedServer): EngineInfo {
  const version = info.version ?? 'unknown'
  const standIn = /jongodb/i.test(`${version} ${info.gitVersion ?? ''}`)
  const description = standIn
    ? `jongodb ${version} (MongoDB wire-protocol stand-in, not MongoDB)`
    : `MongoDB ${version}${server.source === 'memory-server' ? ' (mongodb-memory-server)' : ''}`
  return { backend: 'mongodb', description, version, standIn }
}

/** The URI without credentials, for messages. */
function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@')
}

/** A MongoDB transaction attempt: the driver session it runs in. */
class MongoTx implements TxHandle {
  /** @param backend the backend @param session the session in a started transaction */
  constructor(
    readonly backend: Backend,
    readonly session: ClientSession
  ) {}
}

function asTx(tx: TxHandle | undefined): MongoTx | undefined {
  if (tx === undefined) return undefined
  if (!(tx instanceof MongoTx)) throw new Error('a transaction of another backend was passed to the MongoDB backend')
  return tx
}

type Stored = Document & { _id: Scalar; _v: number }

/** The `_id` of a primary key: the value itself, or the JSON array of a composite key. */
function idOf(spec: CollectionSpec, key: readonly Scalar[]): Scalar {
  return spec.key.length === 1 ? (key[0] as Scalar) : JSON.stringify(key)
}

/** The document without `_id` and `_v` (done here because the stand-in ignores find projections). */
function strip(raw: Document): Doc {
  const { _id: _ignoredId, _v: _ignoredVersion, ...doc } = raw
  return doc
}

/**
 * Keeps the driver from reusing this session's id. A transaction whose end the server never heard of may
 * still be open there under that id; the driver returns the id to its pool unless a network error marked
 * it dirty, which it skips when the pool was cleared meanwhile (a timeout during an outage). The next
 * transaction on the id then failed with a raw server error until the server expired the old one
 * ("transaction already in progress for this session" on the stand-in, for every later transaction that
 * drew the id). A new id costs nothing.
 */
function forgetServerSession(session: ClientSession): void {
  try {
    session.serverSession.isDirty = true
  } catch {
    /* an ended session has no id to forget */
  }
}

class MongoBackend implements Backend {
  readonly #client: MongoClient
  readonly #dbName: string
  readonly #server: ResolvedServer

  constructor(
    client: MongoClient,
    dbName: string,
    readonly engine: EngineInfo,
    server: ResolvedServer
  ) {
    this.#client = client
    this.#dbName = dbName
    this.#server = server
  }

  #col(spec: CollectionSpec): Collection<Stored> {
    return this.#client.db(this.#dbName).collection<Stored>(spec.name)
  }

  async _get(spec: CollectionSpec, key: readonly Scalar[], tx?: TxHandle): Promise<Doc | undefined> {
    const session = asTx(tx)?.session
    try {
      const raw = await this.#col(spec).findOne({ _id: idOf(spec, key) }, session !== undefined ? { session } : {})
      return raw === null ? undefined : strip(raw)
    } catch (err) {
      throw mapMongoError(err, `${spec.name} get ${showKey(key)}`)
    }
  }

  async _insert(spec: CollectionSpec, docs: readonly Doc[], tx?: TxHandle): Promise<void> {
    const t = asTx(tx)
    // Several documents outside a transaction get one, so that the insert is all or nothing as on LevelDB.
    if (t === undefined && docs.length > 1)
      return await this._transaction(async (at) => {
        await this._insert(spec, docs, at)
      })
    const stored = docs.map((d) => ({ ...d, _id: idOf(spec, keyOf(spec, d)), _v: 1 }) as Stored)
    try {
      if (stored.length === 1) await this.#col(spec).insertOne(stored[0] as Stored, t !== undefined ? { session: t.session } : {})
      else await this.#col(spec).insertMany(stored, { ordered: true, ...(t !== undefined ? { session: t.session } : {}) })
    } catch (err) {
      throw mapMongoError(err, `${spec.name} insert`)
    }
  }

  async _mutate(spec: CollectionSpec, key: readonly Scalar[], fn: Mutation, tx?: TxHandle): Promise<Doc | null> {
    const t = asTx(tx)
    const col = this.#col(spec)
    const _id = idOf(spec, key)
    const opt = t !== undefined ? { session: t.session } : {}
    const what = `${spec.name} ${showKey(key)}`
    // Inside a transaction the server detects conflicting writers; outside, `_v` makes the write a
    // compare-and-swap: if another writer got in between the read and the write, read again and redo.
    for (let attempt = 0; attempt <= (t !== undefined ? 0 : CAS_RETRIES); attempt++) {
      try {
        const raw = await col.findOne({ _id }, opt)
        const next = fn(raw === null ? undefined : strip(raw))
        if (next === null) {
          if (raw === null) return null
          if ((await col.deleteOne({ _id, _v: raw._v }, opt)).deletedCount === 1) return null
        } else if (raw === null) {
          try {
            await col.insertOne({ ...next, _id, _v: 1 } as Stored, opt)
            return next
          } catch (err) {
            // Someone inserted the same key since our read: go round again and apply fn to theirs.
            if (!isDuplicateId(err) || t !== undefined) throw err
          }
        } else if ((await col.replaceOne({ _id, _v: raw._v }, { ...next, _v: raw._v + 1 }, opt)).matchedCount === 1) {
          return next
        }
      } catch (err) {
        throw mapMongoError(err, what)
      }
    }
    throw new errors.TransactionConflict(`${what}: changed by concurrent writers on every attempt`)
  }

  async _find(spec: CollectionSpec, q: IndexQuery, tx?: TxHandle): Promise<Doc[]> {
    const session = asTx(tx)?.session
    const fields = queryFields(spec, q.index)
    const filter: Document = {}
    q.eq.forEach((v, i) => {
      filter[(fields[i] as { field: string }).field] = v
    })
    // An index entry needs every indexed field (LevelDB indexes are sparse), so require the optional ones.
    for (const f of fields.slice(q.eq.length)) if (spec.fields[f.field]?.optional === true) filter[f.field] = { $exists: true }
    if (q.range !== undefined) {
      const f = (fields[q.eq.length] as { field: string }).field
      const cond: Document = {}
      for (const b of ['gte', 'gt', 'lte', 'lt'] as const) if (q.range[b] !== undefined) cond[`$${b}`] = q.range[b]
      filter[f] = { ...(typeof filter[f] === 'object' ? (filter[f] as Document) : {}), ...cond }
    }
    if (q.where !== undefined) filter[q.where.field] = { $in: [...q.where.in] }
    const dir = q.order === 'asc' ? 1 : -1
    const sort: Record<string, 1 | -1> = {}
    for (const f of fields.slice(q.eq.length)) sort[f.field] = dir
    for (const k of spec.key) if (!(k in sort)) sort[k] = dir
    try {
      const raw = await this.#col(spec)
        .find(filter, session !== undefined ? { session } : {})
        .sort(sort)
        .limit(q.limit)
        .toArray()
      return raw.map(strip)
    } catch (err) {
      throw mapMongoError(err, `${spec.name} find on ${q.index}`)
    }
  }

  async _count(spec: CollectionSpec, counter: string, prefix: readonly Scalar[], tx?: TxHandle): Promise<GroupCounts> {
    const session = asTx(tx)?.session
    const c = counterOf(spec, counter)
    const match: Document = {}
    prefix.forEach((v, i) => {
      match[c.fields[i] as string] = v
    })
    const group = c.fields[c.fields.length - 1] as string
    try {
      const rows = await this.#col(spec)
        .aggregate<{ _id: unknown; count: number }>(
          [{ $match: match }, { $group: { _id: `$${group}`, count: { $sum: 1 } } }],
          session !== undefined ? { session } : {}
        )
        .toArray()
      const out: GroupCounts = {}
      for (const r of rows) if (r._id !== null && r._id !== undefined) out[String(r._id)] = r.count
      return out
    } catch (err) {
      throw mapMongoError(err, `${spec.name} count ${counter}`)
    }
  }

  async _transaction<R>(fn: (tx: TxHandle) => Promise<R>): Promise<R> {
    const session = this.#client.startSession()
    // Set when the session's clean-up was handed to the background (see below): not ended here then.
    let detached = false
    try {
      session.startTransaction({ readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } })
      let result: R
      try {
        result = await fn(new MongoTx(this, session))
      } catch (err) {
        const mapped = mapMongoError(err, 'transaction')
        if (isLucidError(mapped, 'LUCID_ERR_4005')) {
          // The server does not answer: the abort would need a connection too, and waiting for it
          // (up to three connection attempts, connectTimeoutMs each) would triple the time the caller
          // waits for an error it already has. The abort is still sent, in the background; if it never
          // arrives, the server expires the transaction (transactionLifetimeLimitSeconds).
          forgetServerSession(session)
          detached = true
          void session
            .abortTransaction()
            .catch(() => {})
            .then(async () => {
              await session.endSession()
            })
            .catch(() => {})
        } else {
          await session.abortTransaction().catch(() => {})
        }
        throw mapped
      }
      // The commit's outcome can be unknown after a network blip; committing again is safe (idempotent).
      // A server that does not answer at all is not retried here (the driver already retried once): each
      // attempt would wait out the timeouts again. The caller gets LUCID_ERR_4005 saying the outcome is
      // unknown: the transaction may have been applied.
      for (let attempt = 0; ; attempt++) {
        try {
          await session.commitTransaction()
          return result
        } catch (err) {
          const mapped = mapMongoError(err, 'transaction commit')
          if (isLucidError(mapped, 'LUCID_ERR_4005')) {
            forgetServerSession(session)
            throw new errors.DatabaseUnreachable(`transaction commit, outcome unknown (it may have been applied): ${(err as Error).message}`, { cause: err })
          }
          if (!hasLabel(err, 'UnknownTransactionCommitResult') || attempt >= 3) throw mapped
        }
      }
    } finally {
      if (!detached) await session.endSession()
    }
  }

  async _stats(specs: readonly CollectionSpec[]): Promise<BackendStats> {
    const documents: Record<string, number> = {}
    try {
      for (const s of specs) documents[s.name] = await this.#col(s).countDocuments({})
    } catch (err) {
      throw mapMongoError(err, 'stats')
    }
    // dbStats is not implemented by every server (the stand-in lacks it): the size is then unknown.
    const size = await this.#client
      .db(this.#dbName)
      .command({ dbStats: 1 })
      .then(
        (r) => Number(r.storageSize) + Number(r.indexSize),
        () => undefined
      )
    return size !== undefined && Number.isFinite(size) ? { documents, sizeBytes: size } : { documents }
  }

  async _close(): Promise<void> {
    await this.#client.close()
    await this.#server.stop?.()
  }
}
