/**
 * Answers of range reads outside transactions (query scans and grouped counts) of the LevelDB backend, kept
 * so that asking the same question again skips LevelDB's iterator. The iterator was most of a query's cost:
 * a scan of 333 index keys costs ~140 µs of CPU on the event loop (native key copies), an empty scan ~15-30 µs
 * (docs/db.md, "Hot path"), while the answer is a list of document keys that changes only when a commit
 * writes inside the scanned range.
 *
 * Coherence, the same rules as the document cache (doc-cache.ts): the backend is the directory's only writer,
 * and every commit calls `invalidate` with every key its batch wrote (documents, index entries added and
 * removed, counters) once the batch is in LevelDB and before anything else runs. An entry whose key range
 * holds one of those keys is dropped: an insert, a delete and a change of an indexed field (which removes the
 * document's entry from one range and adds it to another) each drop every answer they could change. A read
 * takes `epoch` before it starts its iterator and fills only if no commit happened since, so an answer read
 * before a commit never lands after it. A change of a document that leaves its index entries alone changes no
 * cached key list; the documents themselves come from the document cache, which that commit invalidated.
 * Transactions never use it: they read their snapshot and record what they scanned (occ.ts).
 *
 * Bounded: at most `maxEntries` answers and `maxKeys` keys held in all; past either, the oldest are dropped.
 */
import { compareUtf8 } from '../query.ts'
import type { KeyRange } from './keys.ts'

const SEP = '\u0000'
/** Above this many key-range comparisons one commit drops every answer of the space instead (see invalidate). */
const WHOLE_SPACE = 20_000

/** One cached answer: the range it read, its value and how many keys the value holds (for the bound). */
interface Entry<V> extends KeyRange {
  readonly id: string
  readonly space: string
  readonly value: V
  readonly weight: number
}

/**
 * The key space a key belongs to, the prefix every range over it starts with: `d␀{collection}␀` for documents,
 * `{i|u|c}␀{collection}␀{index or counter}␀` for index entries and counters (keys.ts). Grouping entries by it
 * means a commit compares its keys only with the ranges of the indexes it touched.
 */
export function spaceOf(key: string): string {
  let at = 0
  for (let n = key.startsWith('d') ? 2 : 3; n > 0; n--) {
    const next = key.indexOf(SEP, at)
    if (next < 0) return key
    at = next + 1
  }
  return key.slice(0, at)
}

/** A bounded cache of range-read answers, invalidated by the keys commits write. */
export class RangeCache<V> {
  /** space -> (answer id -> entry). */
  readonly #spaces = new Map<string, Map<string, Entry<V>>>()
  /** Every entry, oldest first (the eviction order). */
  readonly #order = new Map<string, Entry<V>>()
  readonly #maxEntries: number
  readonly #maxKeys: number
  #keys = 0
  #epoch = 0

  /** @param maxEntries answers kept at most @param maxKeys keys held by all answers at most */
  constructor(maxEntries = 10_000, maxKeys = 200_000) {
    this.#maxEntries = maxEntries
    this.#maxKeys = maxKeys
  }

  /** Commits seen so far: take it before starting the read, hand it to fill(). */
  get epoch(): number {
    return this.#epoch
  }

  /** Answers held. */
  get size(): number {
    return this.#order.size
  }

  /** The cached answer to question `id` (whose range lies in `space`), or undefined. */
  get(space: string, id: string): V | undefined {
    return this.#spaces.get(space)?.get(id)?.value
  }

  /**
   * Keeps `value`, the answer to `id` read from `range` (inside `space`) by a read that started at `epoch`;
   * ignored when a commit happened since, or when the answer alone is past the bound of keys.
   */
  fill(epoch: number, space: string, id: string, range: KeyRange, value: V, weight: number): void {
    if (epoch !== this.#epoch || this.#maxEntries === 0 || weight > this.#maxKeys) return
    this.#drop(this.#order.get(id))
    while (this.#order.size > 0 && (this.#order.size >= this.#maxEntries || this.#keys + weight > this.#maxKeys)) {
      this.#drop(this.#order.values().next().value)
    }
    const e: Entry<V> = { id, space, gte: range.gte, lt: range.lt, value, weight }
    let inSpace = this.#spaces.get(space)
    if (inSpace === undefined) {
      inSpace = new Map()
      this.#spaces.set(space, inSpace)
    }
    inSpace.set(id, e)
    this.#order.set(id, e)
    this.#keys += weight
  }

  /** A commit wrote `keys`: drops every answer whose range holds one, and reads in flight will not fill. */
  invalidate(keys: Iterable<string>): void {
    this.#epoch++
    if (this.#order.size === 0) return
    const bySpace = new Map<string, string[]>()
    for (const k of keys) {
      const space = spaceOf(k)
      if (!this.#spaces.has(space)) continue
      const ks = bySpace.get(space)
      if (ks === undefined) bySpace.set(space, [k])
      else ks.push(k)
    }
    for (const [space, ks] of bySpace) {
      const inSpace = this.#spaces.get(space) as Map<string, Entry<V>>
      // A large batch (an insertMany) over many cached ranges: dropping the space is cheaper than comparing
      // every key with every range, and only costs the next reads of that one index a scan.
      if (ks.length * inSpace.size > WHOLE_SPACE) {
        for (const e of [...inSpace.values()]) this.#drop(e)
        continue
      }
      for (const e of inSpace.values()) {
        for (const k of ks) {
          if (compareUtf8(k, e.gte) >= 0 && compareUtf8(k, e.lt) < 0) {
            this.#drop(e)
            break
          }
        }
      }
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.#epoch++
    this.#spaces.clear()
    this.#order.clear()
    this.#keys = 0
  }

  #drop(e: Entry<V> | undefined): void {
    if (e === undefined) return
    this.#order.delete(e.id)
    const inSpace = this.#spaces.get(e.space)
    inSpace?.delete(e.id)
    if (inSpace?.size === 0) this.#spaces.delete(e.space)
    this.#keys -= e.weight
  }
}
