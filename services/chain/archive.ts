/**
 * Where final blocks persist: an append-only block log (`chain/blocks.jsonl`, one final block with its
 * certificate per line, plus `chain/genesis.json`) and, when a database is given, its repositories: blocks,
 * transactions (with their block height), task_proofs and work_tally. The log is the source of truth for
 * export and sync because the database's block documents (docs/db.md) do not hold slot, epoch, signature,
 * anchors or certificate; the repositories serve the queries (by height, by hash, by producer, by type).
 * The split is Bitcoin Core's: blocks in flat files, indexes in LevelDB.
 */
import { createReadStream } from 'node:fs'
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { errors } from '../common/errors.ts'
import type { Database } from '../db/index.ts'
import { taskProof } from './credits.ts'
import { txId } from './encoding.ts'
import type { FinalBlock } from './ledger.ts'
import type { Genesis } from './types.ts'

/** The block log's directory inside a data directory. */
export const CHAIN_DIR = 'chain'

/** Appends final blocks to the log (and the database), in order, one write at a time. */
export class BlockArchive {
  #queue: Promise<void> = Promise.resolve()
  #failed: unknown

  private constructor (readonly dir: string, readonly db: Database | undefined) {}

  /** Opens (creating) the archive in `dataDir`, writing `genesis.json` when new. */
  static async open (dataDir: string, genesis: Genesis, db?: Database): Promise<BlockArchive> {
    const dir = join(dataDir, CHAIN_DIR)
    await mkdir(dir, { recursive: true })
    const file = join(dir, 'genesis.json')
    try {
      const have = JSON.parse(await readFile(file, 'utf8')) as Genesis
      if (JSON.stringify(have) !== JSON.stringify(genesis)) throw new errors.LUCID_ERR_5001(`${file} holds another chain's genesis`)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      await writeFile(file, JSON.stringify(genesis) + '\n')
    }
    return new BlockArchive(dir, db)
  }

  /** Queues a final block for writing (call in height order, e.g. from Ledger.onFinal). */
  append (fin: FinalBlock): void {
    this.#queue = this.#queue.then(async () => { await this.#write(fin) }).catch((err: unknown) => { this.#failed ??= err })
  }

  /** Waits for queued writes; throws the first write error. */
  async flush (): Promise<void> {
    await this.#queue
    if (this.#failed !== undefined) throw this.#failed
  }

  async #write (fin: FinalBlock): Promise<void> {
    await appendFile(join(this.dir, 'blocks.jsonl'), JSON.stringify(fin) + '\n')
    const db = this.db
    if (db === undefined) return
    const h = fin.block.header
    const ids = fin.block.transactions.map(txId)
    await db.transaction(async (t) => {
      await t.blocks.insert({ height: h.height, hash: fin.hash, previous_hash: h.previous_hash, transactions: ids, merkle_root: h.merkle_root, producer: h.producer, timestamp: h.timestamp })
      await t.transactions.insertMany(fin.block.transactions.map((tx, i) => ({
        tx_id: ids[i] as string, tx_type: tx.type, payload: { from: tx.from, nonce: tx.nonce, payload: tx.payload }, signature: tx.signature, timestamp: tx.timestamp, block_height: h.height
      })))
      for (const tx of fin.block.transactions) {
        if (tx.type !== 'task_proof') continue
        const p = taskProof(tx.payload)
        await t.taskProofs.insert({ slot: p.slot, node_id: tx.from, epoch: h.epoch, kind: p.kind, credits: p.credits, timestamp: tx.timestamp })
        await t.workTally.addCredits(h.epoch, tx.from, p.credits)
      }
    })
  }
}

/** Reads an archive: its genesis and its final blocks in order. */
export async function readArchive (dataDir: string): Promise<{ genesis: Genesis, blocks: FinalBlock[] }> {
  const dir = join(dataDir, CHAIN_DIR)
  let genesis: Genesis
  try {
    genesis = JSON.parse(await readFile(join(dir, 'genesis.json'), 'utf8')) as Genesis
  } catch (err) {
    throw new errors.LUCID_ERR_5004(`no chain in ${dataDir} (${(err as Error).message})`)
  }
  const blocks: FinalBlock[] = []
  try {
    const lines = createInterface({ input: createReadStream(join(dir, 'blocks.jsonl'), 'utf8'), crlfDelay: Infinity })
    for await (const line of lines) {
      if (line === '') continue
      // A line cut short by a crash mid-append is the only one that may fail to parse: stop there.
      try { blocks.push(JSON.parse(line) as FinalBlock) } catch { break }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  return { genesis, blocks }
}
