/**
 * Decoded documents of the LevelDB backend, kept so that reads outside transactions skip LevelDB's value
 * copy and the JSON decoding, which were most of a query's cost on the event loop (docs/db.md: a 333-row
 * page spent ~40 % in getMany and JSON.parse and ~12 % more in garbage collection).
 *
 * Coherence: the backend is the only writer of its directory (lock.ts), and every write goes through one
 * commit, which calls `invalidate` with the document keys it wrote once its batch is in LevelDB. A read
 * outside a transaction takes `epoch` before it reads LevelDB and fills only if no commit happened since
 * (otherwise the value it read may predate that commit). Readers get copies: the cached object is never
 * handed out, so no caller can change it for the next. Transactions never use it: they read their snapshot.
 * Bounded: past `max` documents the oldest entries are dropped.
 */
import type { Doc } from '../validate.ts'

/**
 * A deep copy of a JSON value (documents are plain JSON: validateDoc admits nothing else). An object is copied
 * with spread, which V8 does in one step from the source's layout (3-4x faster than defining the properties one
 * by one, measured on the activity documents: docs/db.md), then only its nested objects and arrays are copied in
 * turn. An own "__proto__" key (JSON.parse makes one) stays a property: spread defines properties rather than
 * assigning them, and assigning to a key the copy already owns changes that own property, never the prototype.
 */
export function cloneJson<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) {
    const out: unknown[] = v.slice()
    for (let i = 0; i < out.length; i++) {
      const x = out[i]
      if (x !== null && typeof x === 'object') out[i] = cloneJson(x)
    }
    return out as T
  }
  const out: Record<string, unknown> = { ...(v as Record<string, unknown>) }
  for (const k in out) {
    const x = out[k]
    // for-in also walks inherited enumerable keys (none, unless Object.prototype was tampered with): copy own ones only.
    if (x !== null && typeof x === 'object' && Object.hasOwn(out, k)) out[k] = cloneJson(x)
  }
  return out as T
}

/** The cache of one open backend. */
export class DocCache {
  readonly #docs = new Map<string, Doc>()
  readonly #max: number
  #epoch = 0

  /** @param max documents kept at most */
  constructor(max = 50_000) {
    this.#max = max
  }

  /** Commits seen so far: take it before reading LevelDB, hand it to fill(). */
  get epoch(): number {
    return this.#epoch
  }

  /** Documents held. */
  get size(): number {
    return this.#docs.size
  }

  /** A copy of the cached document, or undefined when it is not cached. */
  get(dk: string): Doc | undefined {
    const d = this.#docs.get(dk)
    return d === undefined ? undefined : cloneJson(d)
  }

  /**
   * Keeps `doc` (freshly decoded, not handed to anyone) as read at `epoch`; ignored when a commit happened
   * since, or for an absent document (absence is not cached: an insert would have to find it).
   */
  fill(epoch: number, dk: string, doc: Doc | undefined): void {
    if (epoch !== this.#epoch || doc === undefined || this.#max === 0) return
    if (!this.#docs.has(dk) && this.#docs.size >= this.#max) {
      const oldest = this.#docs.keys().next()
      if (oldest.done !== true) this.#docs.delete(oldest.value)
    }
    this.#docs.set(dk, doc)
  }

  /** A commit wrote `keys`: forgets them, and reads in flight will not fill what they read. */
  invalidate(keys: Iterable<string>): void {
    this.#epoch++
    for (const k of keys) this.#docs.delete(k)
  }

  /** Forgets everything. */
  clear(): void {
    this.#epoch++
    this.#docs.clear()
  }
}
