/**
 * The state of one LevelDB transaction: its snapshot, its read set (for validation at commit, occ.ts)
 * and its buffered writes (applied in one atomic batch at commit, or dropped).
 */
import type { Backend, TxHandle } from '../backend.ts'
import type { CollectionSpec } from '../schema.ts'
import type { Doc, Scalar } from '../validate.ts'
import type { AbstractSnapshot } from 'abstract-level'
import type { KeyRange } from './keys.ts'

/** A buffered write: the document as the transaction first saw it, and what it becomes (null: deleted). */
export interface BufferedWrite {
  readonly spec: CollectionSpec
  readonly key: readonly Scalar[]
  /** The committed document when the transaction first read it (undefined: absent). */
  readonly base: Doc | undefined
  doc: Doc | null
}

/** One transaction attempt on the LevelDB backend. */
export class LevelTx implements TxHandle {
  readonly reads = new Set<string>()
  readonly ranges: KeyRange[] = []
  /** Document key -> buffered write, in first-write order. */
  readonly writes = new Map<string, BufferedWrite>()
  /** Committed documents as read from the snapshot, by document key (undefined: absent). */
  readonly seen = new Map<string, Doc | undefined>()
  /** Unique index keys the buffered writes claim (-> document key) or free (-> null). */
  readonly uniques = new Map<string, string | null>()

  /**
   * @param backend the backend that began it
   * @param start its start sequence in the commit log
   * @param snapshot the LevelDB snapshot its reads come from
   */
  constructor(
    readonly backend: Backend,
    readonly start: number,
    readonly snapshot: AbstractSnapshot
  ) {}

  /** How many buffered writes touch `spec`. */
  writesIn(spec: CollectionSpec): BufferedWrite[] {
    const out: BufferedWrite[] = []
    for (const w of this.writes.values()) if (w.spec.name === spec.name) out.push(w)
    return out
  }
}
