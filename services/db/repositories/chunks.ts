/** Encrypted chunks of a session, unique by (session_id, idx), listed in index order. */
import { COLLECTIONS } from '../schema.ts'
import { PRIMARY } from '../query.ts'
import type { Core } from '../core.ts'
import type { TxHandle } from '../backend.ts'
import type { Chunk } from '../types.ts'
import { type ListOptions, Repository } from './base.ts'

/** The chunks collection. */
export class ChunksRepository extends Repository<Chunk> {
  /** @param core shared state @param tx the transaction, if any */
  constructor(core: Core, tx?: TxHandle) {
    super(core, COLLECTIONS.chunks, tx)
  }

  /** The chunk, or undefined. */
  async get(sessionId: string, idx: number): Promise<Chunk | undefined> {
    return await this.getByKey([sessionId, idx])
  }
  /** A session's chunks in index order, starting at `fromIdx` (default 0). */
  async bySession(sessionId: string, opts: ListOptions & { fromIdx?: number } = {}): Promise<Chunk[]> {
    return await this.query({ index: PRIMARY, eq: [sessionId], range: { gte: opts.fromIdx ?? 0 }, order: 'asc', limit: opts.limit })
  }
  /** Deletes a chunk; LUCID_ERR_4001 when absent. */
  async delete(sessionId: string, idx: number): Promise<void> {
    await this.deleteByKey([sessionId, idx])
  }
}
