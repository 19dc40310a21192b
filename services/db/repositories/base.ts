/**
 * The generic repository every collection's repository extends: validated CRUD by primary key, and
 * protected helpers for queries and grouped counts that subclasses expose under domain names.
 */
import { errors } from '../../common/errors.ts'
import type { Core } from '../core.ts'
import type { TxHandle } from '../backend.ts'
import type { CollectionSpec } from '../schema.ts'
import { type IndexQuery, validateQuery } from '../query.ts'
import { type Doc, type Scalar, keyOf, showKey, validateDoc, validateKey, validateLimit, validateValue } from '../validate.ts'
import type { GroupCounts } from '../types.ts'

/** Options of list queries: how many documents at most (default 100, at most 10,000). */
export interface ListOptions {
  readonly limit?: number
}

/** Options of time-ranged list queries, newest first: `since` and `until` are inclusive bounds in ms. */
export interface TimeRangeOptions extends ListOptions {
  readonly since?: number
  readonly until?: number
}

/** The default page size of list queries. */
export const DEFAULT_LIMIT = 100

/** A repository over one collection, optionally bound to a transaction. */
export class Repository<T extends object> {
  /**
   * @param core the open database's shared state
   * @param spec the collection
   * @param tx the transaction this repository works in, if any
   */
  constructor(
    protected readonly core: Core,
    protected readonly spec: CollectionSpec,
    protected readonly tx?: TxHandle
  ) {}

  /** Inserts one document; an existing primary or unique key is LUCID_ERR_4002. Returns the stored copy. */
  async insert(doc: T): Promise<T> {
    const clean = validateDoc(this.spec, doc)
    this.core.assertOpen(this.tx)
    await this.core.backend._insert(this.spec, [clean], this.tx)
    return clean as T
  }

  /** Inserts every document or none (one atomic batch or transaction). */
  async insertMany(docs: readonly T[]): Promise<void> {
    if (!Array.isArray(docs)) throw new errors.InvalidDocument(`${this.spec.name}: insertMany takes an array`)
    const clean = docs.map((d) => validateDoc(this.spec, d))
    this.core.assertOpen(this.tx)
    if (clean.length > 0) await this.core.backend._insert(this.spec, clean, this.tx)
  }

  /** The document with this key, or undefined. */
  protected async getByKey(key: readonly unknown[]): Promise<T | undefined> {
    const k = validateKey(this.spec, key)
    this.core.assertOpen(this.tx)
    return (await this.core.backend._get(this.spec, k, this.tx)) as T | undefined
  }

  /** The document with this key; LUCID_ERR_4001 when there is none. */
  protected async requireByKey(key: readonly unknown[]): Promise<T> {
    const doc = await this.getByKey(key)
    if (doc === undefined) throw new errors.DocumentNotFound(`${this.spec.name} ${showKey(key as Scalar[])}`)
    return doc
  }

  /**
   * Changes fields of an existing document atomically (LUCID_ERR_4001 when absent). `patch` may be a
   * function of the current document; it may run more than once under contention, so keep it pure.
   * Primary key fields cannot change (LUCID_ERR_4003).
   */
  protected async updateByKey(key: readonly unknown[], patch: Partial<T> | ((current: T) => Partial<T>)): Promise<T> {
    const k = validateKey(this.spec, key)
    if (typeof patch !== 'function' && (patch === null || typeof patch !== 'object')) {
      throw new errors.InvalidDocument(`${this.spec.name}: a patch must be an object`)
    }
    this.core.assertOpen(this.tx)
    const written = await this.core.backend._mutate(
      this.spec,
      k,
      (current) => {
        if (current === undefined) throw new errors.DocumentNotFound(`${this.spec.name} ${showKey(k)}`)
        const p = typeof patch === 'function' ? patch(current as T) : patch
        return this.#checked({ ...current, ...p }, k)
      },
      this.tx
    )
    return written as T
  }

  /** Inserts or replaces through a function of the current document (undefined when absent). */
  protected async upsertByKey(key: readonly unknown[], make: (current: T | undefined) => T): Promise<T> {
    const k = validateKey(this.spec, key)
    this.core.assertOpen(this.tx)
    const written = await this.core.backend._mutate(this.spec, k, (current) => this.#checked(make(current as T | undefined), k), this.tx)
    return written as T
  }

  /** Deletes the document with this key; LUCID_ERR_4001 when there is none. */
  protected async deleteByKey(key: readonly unknown[]): Promise<void> {
    const k = validateKey(this.spec, key)
    this.core.assertOpen(this.tx)
    await this.core.backend._mutate(
      this.spec,
      k,
      (current) => {
        if (current === undefined) throw new errors.DocumentNotFound(`${this.spec.name} ${showKey(k)}`)
        return null
      },
      this.tx
    )
  }

  /** Runs a query after validating it (and its limit, defaulting to DEFAULT_LIMIT). */
  protected async query(q: Omit<IndexQuery, 'limit'> & { limit?: number }): Promise<T[]> {
    const full = validateQuery(this.spec, { ...q, limit: validateLimit(q.limit, DEFAULT_LIMIT) })
    this.core.assertOpen(this.tx)
    return (await this.core.backend._find(this.spec, full, this.tx)) as T[]
  }

  /** Grouped counts of a declared counter within `prefix` values. */
  protected async countBy(counter: string, prefix: readonly unknown[]): Promise<GroupCounts> {
    const c = this.spec.counters.find((x) => x.name === counter)
    if (c === undefined || prefix.length !== c.fields.length - 1) throw new errors.InvalidQuery(`${this.spec.name}: bad counter ${counter}`)
    const p = prefix.map((v, i) => validateValue(this.spec, c.fields[i] as string, v))
    this.core.assertOpen(this.tx)
    return await this.core.backend._count(this.spec, counter, p, this.tx)
  }

  /** Validates a document a mutation produced and checks it kept its key. */
  #checked(doc: unknown, key: readonly Scalar[]): Doc {
    const clean = validateDoc(this.spec, doc)
    const after = keyOf(this.spec, clean)
    if (after.some((v, i) => v !== key[i])) throw new errors.InvalidDocument(`${this.spec.name}: the primary key of ${showKey(key)} cannot change`)
    return clean
  }
}

/** Bounds of a newest-first time range query, validated (since <= until). */
export function timeRange(opts: TimeRangeOptions): { gte?: number; lte?: number } | undefined {
  const { since, until } = opts
  if (since !== undefined && until !== undefined && since > until) throw new errors.InvalidQuery('since must not be after until')
  if (since === undefined && until === undefined) return undefined
  return { ...(since !== undefined ? { gte: since } : {}), ...(until !== undefined ? { lte: until } : {}) }
}
