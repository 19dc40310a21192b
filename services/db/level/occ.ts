/**
 * Optimistic concurrency control for the LevelDB backend: backward validation (Kung and Robinson, 1981).
 *
 * Why optimistic rather than a lock table: LevelDB itself has no locks, and the reads of this workload
 * vastly outnumber its conflicting writes (queries, index lookups, appends of new documents). A lock
 * table would make every read pay for lock bookkeeping and bring deadlock detection with it; with
 * optimistic control a reader pays only for remembering what it read, and only a transaction that really
 * conflicted is rerun. A transaction reads from a LevelDB snapshot taken at its start (so its reads are
 * mutually consistent) and remembers the keys it read and the key ranges it scanned. Commits are
 * serialised (one process owns the directory, and a mutex orders commits within it); at commit the
 * transaction is checked against every transaction that committed after it started: if one of those wrote
 * a key it read, or a key inside a range it scanned (a phantom), it aborts with LUCID_ERR_4006 and is
 * retried. Checking ranges, not just keys, is what makes the isolation serialisable rather than snapshot
 * isolation: write skew through a query is caught too.
 *
 * The log keeps the write sets of commits only as long as some running transaction started before them,
 * so it stays as small as the overlap of concurrent transactions.
 */
import { compareUtf8 } from '../query.ts'
import type { KeyRange } from './keys.ts'

interface Committed {
  readonly seq: number
  readonly keys: readonly string[]
}

/** What a transaction read: exact keys, and scanned key ranges. */
export interface ReadSet {
  readonly keys: ReadonlySet<string>
  readonly ranges: readonly KeyRange[]
}

/** The log of recent commits and the start points of running transactions. */
export class CommitLog {
  #seq = 0
  #entries: Committed[] = []
  // Start sequence -> how many running transactions started there.
  readonly #active = new Map<number, number>()

  /** Registers a transaction starting now; returns its start sequence. */
  begin(): number {
    const s = this.#seq
    this.#active.set(s, (this.#active.get(s) ?? 0) + 1)
    return s
  }

  /** Unregisters a transaction (committed or aborted) and forgets commits no running transaction needs. */
  end(start: number): void {
    const n = (this.#active.get(start) ?? 1) - 1
    if (n === 0) this.#active.delete(start)
    else this.#active.set(start, n)
    let oldest = Infinity
    for (const s of this.#active.keys()) if (s < oldest) oldest = s
    let drop = 0
    while (drop < this.#entries.length && (this.#entries[drop] as Committed).seq <= oldest) drop++
    if (drop > 0) this.#entries = this.#entries.slice(drop)
  }

  /**
   * The first key written by a commit after `start` that `reads` read or scanned over, or undefined
   * when the transaction may commit. Call with the commit mutex held.
   */
  conflict(start: number, reads: ReadSet): string | undefined {
    for (const e of this.#entries) {
      if (e.seq <= start) continue
      for (const k of e.keys) {
        if (reads.keys.has(k)) return k
        for (const r of reads.ranges) {
          if (compareUtf8(k, r.gte) >= 0 && compareUtf8(k, r.lt) < 0) return k
        }
      }
    }
    return undefined
  }

  /** Records a commit's written keys (after its batch was written). */
  record(keys: readonly string[]): void {
    this.#seq++
    // With no transaction running, nobody could ever conflict with this commit: keep nothing.
    if (this.#active.size > 0) this.#entries.push({ seq: this.#seq, keys })
  }
}
