/**
 * A validator's durable record of its consensus steps at the open height (docs/chain.md, "What is durable
 * when"). Safety rests on every honest committee member signing at most one prevote and one precommit per
 * (height, round) and keeping its lock; a node that kept those in memory only would, after a crash, sign
 * again. So the node records each step here, and the record is durable, before any message that depends on
 * it leaves the node. A restarted node reads it back: it signs no other vote in a round it already voted in,
 * keeps its lock, and can prevote and re-propose its locked and valid blocks, whose contents the record
 * holds (a candidate block living only in memory is what left a restarted devnet stalled for good).
 *
 * The store is asynchronous and groups its syncs: `save` returns at once, and its `done` runs once that record
 * (or a later one, which supersedes it) is on disk. The gateway's four in-process validators share one event
 * loop with the API, so a blocking fsync per vote would show in every request's latency.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { writeFileAtomic } from '../common/atomic-file.ts'
import { dirname } from 'node:path'
import { errors } from '../common/errors.ts'
import type { Block, Certificate, VoteSignature } from './types.ts'

/** A vote this key signed: its round and block. */
export interface RoundChoice {
  readonly round: number
  readonly block_hash: string
}

/** What a validator must not forget about the open height. */
export interface ConsensusRecord {
  readonly height: number
  /** The last round this key prevoted in, and for what. */
  readonly prevote?: RoundChoice
  /** The last round this key precommitted in, and for what. */
  readonly precommit?: RoundChoice
  /** The last round this key proposed in. */
  readonly proposed?: number
  /** The lock: the block this key precommitted last, and the round. */
  readonly locked?: RoundChoice
  /** The valid block: the latest block seen with more than 2/3 prevotes, with those prevotes (its proof of lock). */
  readonly valid?: RoundChoice & { readonly pol: readonly VoteSignature[] }
  /** The locked and valid blocks themselves (at most two). */
  readonly blocks: readonly Block[]
  /** The final block below `height` with its certificate, so that a ledger whose archive lagged can get back to `height`. */
  readonly final?: { readonly block: Block; readonly certificate: Certificate }
}

/** Where a validator keeps its consensus record. */
export interface ConsensusStore {
  /** The record read back at start, undefined for a validator that never voted. */
  load(): ConsensusRecord | undefined
  /**
   * Makes `record` the durable record; `done` runs (once) when it, or a later record, is durable, or with the
   * error that stopped it. A node sends nothing that depends on a record before its `done`.
   */
  save(record: ConsensusRecord, done: (err?: Error) => void): void
  /** Resolves when every record saved so far is durable. */
  flush(): Promise<void>
}

/** A store in memory, durable at once: it survives a node process when the object does (the simulator's restarts, tests). */
export function memoryConsensusStore(initial?: ConsensusRecord): ConsensusStore {
  let last = initial
  return {
    load: () => last,
    save(record, done) {
      last = record
      done()
    },
    flush: async () => {}
  }
}

/**
 * A store in one small file per validator, replaced whole (writeFileAtomic: a temporary file, fdatasync'ed,
 * renamed over `path`, and the directory fsync'ed), so after a crash or a power loss the file holds an old
 * record or the new one, never a torn one. Group commit: while one write is in flight, further saves wait,
 * and the next write carries only the latest record, its sync answering for every save before it.
 *
 * Opening reads the record back; a file that exists but does not hold a record is refused (LUCID_ERR_5001)
 * rather than read as "never voted", which is the one reading that could cause a double vote.
 */
export function fileConsensusStore(path: string): ConsensusStore {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  let last = readRecord(path)
  let pending: { record: ConsensusRecord; done: Array<(err?: Error) => void> } | undefined
  let writing: Promise<void> | undefined
  let failed: Error | undefined

  const write = async (record: ConsensusRecord): Promise<void> => {
    await writeFileAtomic(path, `${JSON.stringify(record)}\n`)
  }

  const drain = async (): Promise<void> => {
    while (pending !== undefined) {
      const batch = pending
      pending = undefined
      try {
        if (failed !== undefined) throw failed
        await write(batch.record)
        for (const d of batch.done) d()
      } catch (err) {
        failed ??= err as Error
        for (const d of batch.done) d(failed)
      }
    }
    writing = undefined
  }

  return {
    load: () => last,
    save(record, done) {
      last = record
      if (pending === undefined) pending = { record, done: [done] }
      else {
        pending.record = record
        pending.done.push(done)
      }
      writing ??= drain()
    },
    flush: async () => {
      while (writing !== undefined) await writing
    }
  }
}

function readRecord(path: string): ConsensusRecord | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    v = undefined
  }
  const r = v as Partial<ConsensusRecord> | undefined
  if (
    r === undefined ||
    r === null ||
    typeof r !== 'object' ||
    !Number.isSafeInteger(r.height) ||
    (r.height as number) < 1 ||
    !Array.isArray(r.blocks) ||
    !choiceOk(r.prevote) ||
    !choiceOk(r.precommit) ||
    !choiceOk(r.locked) ||
    !choiceOk(r.valid) ||
    (r.proposed !== undefined && !Number.isSafeInteger(r.proposed))
  ) {
    throw new errors.InvalidBlock(
      `${path} does not hold a consensus record; a validator that cannot tell how it last voted must not vote (move the file away only if this key never voted on this chain)`
    )
  }
  return r as ConsensusRecord
}

function choiceOk(c: unknown): boolean {
  if (c === undefined) return true
  const x = c as Partial<RoundChoice>
  return (
    x !== null &&
    typeof x === 'object' &&
    Number.isSafeInteger(x.round) &&
    (x.round as number) >= 0 &&
    typeof x.block_hash === 'string' &&
    /^[0-9a-f]{64}$/.test(x.block_hash)
  )
}
