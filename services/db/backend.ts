/**
 * The backend hooks, in the style of abstract-level: the public repository methods validate their input
 * and then call one of these small hooks, which only implement. A backend never sees an unvalidated
 * document, key or query, and raises only LUCID_ERR_4xxx codes.
 */
import type { CollectionSpec } from './schema.ts'
import type { IndexQuery } from './query.ts'
import type { Doc, Scalar } from './validate.ts'
import type { GroupCounts } from './types.ts'

/** Which engine answered, as reports must name it (conditions.engine). */
export interface EngineInfo {
  readonly backend: 'level' | 'mongodb'
  /** e.g. `classic-level 3.0.0 (LevelDB)`, `MongoDB 7.0.14`, `jongodb 8.0.0-jongodb (stand-in, not MongoDB)`. */
  readonly description: string
  readonly version: string
  /** True for a wire-compatible stand-in: its figures must never be presented as MongoDB's. */
  readonly standIn: boolean
}

/** A backend's transaction state, opaque to the layers above. */
export interface TxHandle {
  readonly backend: Backend
}

/**
 * What a mutation does to the current document (undefined when absent): return the new document, or
 * null to delete it. It may throw (e.g. LUCID_ERR_4001 when the document must exist); it may run more
 * than once when an optimistic attempt is retried, so it must not have side effects.
 */
export type Mutation = (current: Doc | undefined) => Doc | null

/** Counts and size, for `lucid db stats`. */
export interface BackendStats {
  readonly documents: Record<string, number>
  /** Bytes on disk (or as the server reports), when known. */
  readonly sizeBytes?: number
}

/** The hooks. `tx`, when given, came from this backend's `_transaction`. */
export interface Backend {
  readonly engine: EngineInfo
  /** The document with this primary key, or undefined. */
  _get(spec: CollectionSpec, key: readonly Scalar[], tx?: TxHandle): Promise<Doc | undefined>
  /** Inserts all documents or none; an existing primary or unique key is LUCID_ERR_4002. */
  _insert(spec: CollectionSpec, docs: readonly Doc[], tx?: TxHandle): Promise<void>
  /** Atomic read-modify-write of one document; returns what was written (null for a delete). */
  _mutate(spec: CollectionSpec, key: readonly Scalar[], fn: Mutation, tx?: TxHandle): Promise<Doc | null>
  /** Answers a validated query. */
  _find(spec: CollectionSpec, q: IndexQuery, tx?: TxHandle): Promise<Doc[]>
  /** Counts grouped by the counter's last field, within `prefix` values of the fields before it. */
  _count(spec: CollectionSpec, counter: string, prefix: readonly Scalar[], tx?: TxHandle): Promise<GroupCounts>
  /**
   * Runs `fn` in one transaction attempt: commits when it resolves, discards everything when it rejects.
   * A conflict with a concurrent transaction is LUCID_ERR_4006 (the caller retries).
   */
  _transaction<R>(fn: (tx: TxHandle) => Promise<R>): Promise<R>
  _stats(specs: readonly CollectionSpec[]): Promise<BackendStats>
  _close(): Promise<void>
}
