/** Chain blocks: by height, by hash, the latest, a height range, by producer. */
import { COLLECTIONS } from '../schema.ts'
import { PRIMARY } from '../query.ts'
import type { Core } from '../core.ts'
import type { TxHandle } from '../backend.ts'
import type { Block } from '../types.ts'
import { type ListOptions, Repository } from './base.ts'

/** The blocks collection. */
export class BlocksRepository extends Repository<Block> {
  /** @param core shared state @param tx the transaction, if any */
  constructor(core: Core, tx?: TxHandle) {
    super(core, COLLECTIONS.blocks, tx)
  }

  /** The block at a height, or undefined. */
  async byHeight(height: number): Promise<Block | undefined> {
    return await this.getByKey([height])
  }
  /** The block with this hash, or undefined. */
  async byHash(hash: string): Promise<Block | undefined> {
    return (await this.query({ index: 'hash_unique', eq: [hash], order: 'asc', limit: 1 }))[0]
  }
  /** The highest block, or undefined on an empty chain. */
  async latest(): Promise<Block | undefined> {
    return (await this.query({ index: PRIMARY, eq: [], order: 'desc', limit: 1 }))[0]
  }
  /** Blocks with `from <= height <= to`, ascending. */
  async range(from: number, to: number, opts: ListOptions = {}): Promise<Block[]> {
    return await this.query({ index: PRIMARY, eq: [], range: { gte: from, lte: to }, order: 'asc', limit: opts.limit })
  }
  /** A producer's blocks, highest first. */
  async byProducer(producer: string, opts: ListOptions = {}): Promise<Block[]> {
    return await this.query({ index: 'producer_height', eq: [producer], order: 'desc', limit: opts.limit })
  }
}
