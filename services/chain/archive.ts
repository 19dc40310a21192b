/**
 * Where final blocks persist: an append-only block log (`chain/blocks.jsonl`, one final block with its
 * certificate per line, plus `chain/genesis.json`) and, when a database is given, its repositories: blocks,
 * transactions (with their block height), task_proofs and work_tally. The log is the source of truth for
 * export and sync because the database's block documents (docs/db.md) do not hold slot, epoch, signature,
 * anchors or certificate; the repositories serve the queries (by height, by hash, by producer, by type).
 * The split is Bitcoin Core's: blocks in flat files, indexes in LevelDB.
 */
import { createReadStream } from 'node:fs'
import { mkdir, open as openFile, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { writeFileAtomic } from '../common/atomic-file.ts'
import { errors } from '../common/errors.ts'
import type { Database } from '../db/index.ts'
import { taskProof } from './credits.ts'
import { txId } from './encoding.ts'
import type { FinalBlock } from './ledger.ts'
import type { Genesis } from './types.ts'

/** The block log's directory inside a data directory. */
export const CHAIN_DIR = 'chain'

/**
 * Appends final blocks to the log (and the database), in order, one write at a time, and reads them back
 * by height: it keeps the byte offset of every block's line (8 bytes a block, 70 kB a day of 10 s slots),
 * so a node need not keep old blocks in memory to serve them.
 */
export class BlockArchive {
  #queue: Promise<void> = Promise.resolve()
  #failed: unknown
  /** Byte offset of the line of height h at [h - 1]. */
  readonly #offsets: number[]
  /** Bytes in the log (the end of its last whole line). */
  #end: number

  private constructor(
    readonly dir: string,
    readonly db: Database | undefined,
    offsets: number[],
    end: number
  ) {
    this.#offsets = offsets
    this.#end = end
  }

  /** Opens (creating) the archive in `dataDir`, writing `genesis.json` when new. */
  static async open(dataDir: string, genesis: Genesis, db?: Database): Promise<BlockArchive> {
    const dir = join(dataDir, CHAIN_DIR)
    await mkdir(dir, { recursive: true })
    const file = join(dir, 'genesis.json')
    try {
      const have = JSON.parse(await readFile(file, 'utf8')) as Genesis
      if (JSON.stringify(have) !== JSON.stringify(genesis)) throw new errors.InvalidBlock(`${file} holds another chain's genesis`)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      // Whole or not at all: a genesis cut short by a kill would be refused at every later start.
      await writeFileAtomic(file, JSON.stringify(genesis) + '\n', { mode: 'create' })
    }
    await dropPartialLine(join(dir, 'blocks.jsonl'))
    const { offsets, end } = await lineOffsets(join(dir, 'blocks.jsonl'))
    return new BlockArchive(dir, db, offsets, end)
  }

  /** Height of the last block written to the log. */
  get height(): number {
    return this.#offsets.length
  }

  /** The written block at `height`, or undefined (not written, or not a block height). */
  async read(height: number): Promise<FinalBlock | undefined> {
    return (await this.readRange(height, height, Infinity))[0]
  }

  /**
   * Written blocks `from..to` inclusive (clipped to the log), in one read: at least one block, then as many
   * as fit in `maxBytes` of log lines (a line being the block's JSON and a newline).
   */
  async readRange(from: number, to: number, maxBytes: number): Promise<FinalBlock[]> {
    const first = Math.max(1, Math.floor(from))
    const last = Math.min(this.#offsets.length, Math.floor(to))
    if (!Number.isSafeInteger(first) || last < first) return []
    const start = this.#offsets[first - 1] as number
    let stop = first
    while (stop < last && (this.#offsets[stop + 1] ?? this.#end) - start <= maxBytes) stop++
    const endByte = this.#offsets[stop] ?? this.#end
    const fh = await openFile(join(this.dir, 'blocks.jsonl'), 'r')
    let text: string
    try {
      const buf = Buffer.alloc(endByte - start)
      const { bytesRead } = await fh.read(buf, 0, buf.length, start)
      text = buf.toString('utf8', 0, bytesRead)
    } finally {
      await fh.close()
    }
    const blocks = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as FinalBlock)
    blocks.forEach((b, i) => {
      if (b.block?.header?.height !== first + i)
        throw new errors.ChainUnavailable(`${join(this.dir, 'blocks.jsonl')} holds height ${String(b.block?.header?.height)} where ${first + i} belongs`)
    })
    return blocks
  }

  /**
   * Queues a final block for writing (call in height order, e.g. from Ledger.onFinal). Resolves true once
   * the block is in the log and the database, false if this or an earlier write failed (never rejects):
   * what a caller may tell clients is final is what has resolved true, since a kill before the write
   * loses the block with the process (docs/chain.md, "Persistence and export").
   */
  append(fin: FinalBlock): Promise<boolean> {
    const written = this.#queue
      .then(async () => {
        // After a failed write, later blocks are not appended: a gap in the log would hide them all at replay.
        if (this.#failed !== undefined) return false
        await this.#write(fin)
        return true
      })
      .catch((err: unknown) => {
        this.#failed ??= err
        return false
      })
    this.#queue = written.then(() => undefined)
    return written
  }

  /** Waits for queued writes; throws the first write error. */
  async flush(): Promise<void> {
    await this.#queue
    if (this.#failed !== undefined) throw this.#failed
  }

  /**
   * Mirrors into the database the logged blocks it lacks: those above its latest block (a crash between
   * the log append and the database write leaves the database one block behind the log).
   */
  async reconcile(logged: readonly FinalBlock[]): Promise<number> {
    if (this.db === undefined) return 0
    const have = (await this.db.blocks.latest())?.height ?? 0
    const missing = logged.filter((f) => f.block.header.height > have)
    for (const fin of missing) await this.#mirror(fin)
    return missing.length
  }

  async #write(fin: FinalBlock): Promise<void> {
    if (fin.block.header.height !== this.#offsets.length + 1)
      throw new errors.NotOnFinalChain(`block ${fin.block.header.height} appended after height ${this.#offsets.length}`)
    const line = JSON.stringify(fin) + '\n'
    await appendDurably(join(this.dir, 'blocks.jsonl'), line, this.#end === 0)
    this.#offsets.push(this.#end)
    this.#end += Buffer.byteLength(line)
    await this.#mirror(fin)
  }

  async #mirror(fin: FinalBlock): Promise<void> {
    const db = this.db
    if (db === undefined) return
    const h = fin.block.header
    const ids = fin.block.transactions.map(txId)
    await db.transaction(async (t) => {
      await t.blocks.insert({
        height: h.height,
        hash: fin.hash,
        previous_hash: h.previous_hash,
        transactions: ids,
        merkle_root: h.merkle_root,
        producer: h.producer,
        timestamp: h.timestamp
      })
      await t.transactions.insertMany(
        fin.block.transactions.map((tx, i) => ({
          tx_id: ids[i] as string,
          tx_type: tx.type,
          payload: { from: tx.from, nonce: tx.nonce, payload: tx.payload },
          signature: tx.signature,
          timestamp: tx.timestamp,
          block_height: h.height
        }))
      )
      for (const tx of fin.block.transactions) {
        if (tx.type !== 'task_proof') continue
        const p = taskProof(tx.payload)
        // The service credits a proof claimed (a beacon's are 0); the consensus credits and the share of claims
        // that counts are in the chain state (docs/chain.md, "Credits"), which the repositories do not mirror.
        const credits = p.kind === 'uptime_beacon' ? 0 : p.credits
        await t.taskProofs.insert({ slot: p.slot, node_id: tx.from, epoch: h.epoch, kind: p.kind, credits, timestamp: tx.timestamp })
        await t.workTally.addCredits(h.epoch, tx.from, credits)
      }
    })
  }
}

/**
 * Appends `line` and fdatasyncs it before resolving (issue 16, item 3): a block is reported written, and so
 * final to clients, only once its line survives a power cut, not only a kill. The first append of a new
 * log also syncs the directory, so the file's name is as durable as its bytes.
 */
async function appendDurably(file: string, line: string, first: boolean): Promise<void> {
  const fh = await openFile(file, 'a')
  try {
    await fh.write(line)
    await fh.datasync()
  } finally {
    await fh.close()
  }
  if (first) {
    const d = await openFile(dirname(file), 'r')
    try {
      await d.sync()
    } finally {
      await d.close()
    }
  }
}

/**
 * Cuts a line left unfinished by a crash mid-append off the end of the log, so that the next append starts
 * a line of its own (readArchive stops at the first line that does not parse: an unfinished line followed
 * by new ones would hide them all).
 */
async function dropPartialLine(file: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof openFile>> | undefined
  try {
    fh = await openFile(file, 'r+')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  try {
    const size = (await fh.stat()).size
    const buf = Buffer.alloc(64 * 1024)
    // Backwards from the end, a window at a time, to the last newline.
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - buf.length)
      const { bytesRead } = await fh.read(buf, 0, end - start, start)
      const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a)
      if (nl >= 0) {
        if (start + nl + 1 < size) await fh.truncate(start + nl + 1)
        return
      }
      end = start
    }
    await fh.truncate(0)
  } finally {
    await fh.close()
  }
}

/** The start of every non-empty line of `file` and its length (a missing file is empty). */
async function lineOffsets(file: string): Promise<{ offsets: number[]; end: number }> {
  const offsets: number[] = []
  let pos = 0
  let lineStart = 0
  try {
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) {
        const nl = pos + i
        if (nl > lineStart) offsets.push(lineStart)
        lineStart = nl + 1
      }
      pos += chunk.length
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  return { offsets, end: lineStart }
}

/** Reads an archive: its genesis and its final blocks in order. */
export async function readArchive(dataDir: string): Promise<{ genesis: Genesis; blocks: FinalBlock[] }> {
  const dir = join(dataDir, CHAIN_DIR)
  let genesis: Genesis
  try {
    genesis = JSON.parse(await readFile(join(dir, 'genesis.json'), 'utf8')) as Genesis
  } catch (err) {
    throw new errors.ChainUnavailable(`no chain in ${dataDir} (${(err as Error).message})`)
  }
  const blocks: FinalBlock[] = []
  try {
    const lines = createInterface({ input: createReadStream(join(dir, 'blocks.jsonl'), 'utf8'), crlfDelay: Infinity })
    for await (const line of lines) {
      if (line === '') continue
      // A line cut short by a crash mid-append is the only one that may fail to parse: stop there.
      try {
        blocks.push(JSON.parse(line) as FinalBlock)
      } catch {
        break
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  return { genesis, blocks }
}
