/**
 * A validator's memory of its last vote, kept where a crash cannot take it (docs/chain.md, "Finality").
 *
 * Safety rests on every honest committee member voting for at most one block per height. A node that kept
 * that in memory only would, after a crash and restart, see the height again (a rival block, a re-sent one)
 * and could sign a second block there: two signatures from one honest key at one height, which is exactly
 * the double vote the two-thirds argument assumes honest nodes never cast. So the node records the vote
 * here, and the record is durable, before the vote leaves the node; a restarted node reads it back and
 * votes at no height at or below it again (but for the very block it recorded: the same signature again).
 *
 * The store is injected: the gateway's devnet writes a file per validator (write + fsync + rename + fsync
 * of the directory), tests and the simulator keep the record in memory in an object that outlives the
 * node process, as the file outlives a real one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { errors } from '../common/errors.ts'

/** The last vote a validator cast. */
export interface VoteRecord {
  readonly height: number
  readonly block_hash: string
}

/** Where a validator keeps its last vote. Synchronous: the vote waits for it, and nothing else may run between. */
export interface VoteStore {
  /** The last vote recorded, undefined if this validator never voted. */
  last (): VoteRecord | undefined
  /** Records `vote` (a greater height than the last); durable when it returns, throws if it cannot be. */
  record (vote: VoteRecord): void
}

/** A store in memory: survives a node process when the object does (the simulator's restarts, tests). */
export function memoryVoteStore (initial?: VoteRecord): VoteStore {
  let last = initial
  return {
    last: () => last,
    record (vote) { last = vote }
  }
}

/**
 * A store in one small file, `{"height":H,"block_hash":"..."}`, replaced whole for each vote: the record goes
 * to `<path>.tmp`, is fsync'ed, renamed over `path`, and the directory fsync'ed, so after a crash or power
 * loss the file holds the old record or the new one, never a torn one, and a vote that left the node is
 * never missing from it. Two fsyncs per vote, one vote per block (a few ms every slot).
 *
 * Opening reads the record back; a file that exists but does not hold a record is refused
 * (LUCID_ERR_5001) rather than read as "never voted", which is the one reading that could cause a double vote.
 */
export function fileVoteStore (path: string): VoteStore {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  let last = readRecord(path)
  return {
    last: () => last,
    record (vote) {
      const tmp = `${path}.tmp`
      const fd = openSync(tmp, 'w', 0o644)
      try {
        writeSync(fd, JSON.stringify({ height: vote.height, block_hash: vote.block_hash }) + '\n')
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(tmp, path)
      // The rename itself is durable only once the directory is.
      const d = openSync(dir, 'r')
      try { fsyncSync(d) } finally { closeSync(d) }
      last = vote
    }
  }
}

function readRecord (path: string): VoteRecord | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let v: unknown
  try { v = JSON.parse(text) } catch { v = undefined }
  const r = v as { height?: unknown, block_hash?: unknown } | undefined
  if (r === undefined || r === null || typeof r !== 'object' || !Number.isSafeInteger(r.height) || (r.height as number) < 1 || typeof r.block_hash !== 'string' || !/^[0-9a-f]{64}$/.test(r.block_hash)) {
    throw new errors.LUCID_ERR_5001(`${path} does not hold a vote record; a validator that cannot tell where it last voted must not vote (move the file away only if this key never voted on this chain)`)
  }
  return { height: r.height as number, block_hash: r.block_hash }
}
