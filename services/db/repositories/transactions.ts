/** Chain transactions: by id, by type (newest first), by block, counts by type. */
import { COLLECTIONS } from '../schema.ts'
import type { Core } from '../core.ts'
import type { TxHandle } from '../backend.ts'
import type { GroupCounts, Transaction } from '../types.ts'
import { type ListOptions, Repository } from './base.ts'

/** The transactions collection. */
export class TransactionsRepository extends Repository<Transaction> {
  /** @param core shared state @param tx the transaction, if any */
  constructor(core: Core, tx?: TxHandle) {
    super(core, COLLECTIONS.transactions, tx)
  }

  /** The transaction, or undefined. */
  async get(txId: string): Promise<Transaction | undefined> {
    return await this.getByKey([txId])
  }
  /** Transactions of a type, newest first. */
  async byType(txType: string, opts: ListOptions = {}): Promise<Transaction[]> {
    return await this.query({ index: 'type_time', eq: [txType], order: 'desc', limit: opts.limit })
  }
  /** The transactions included in a block (in tx id order). */
  async byBlock(height: number, opts: ListOptions = {}): Promise<Transaction[]> {
    return await this.query({ index: 'block', eq: [height], order: 'asc', limit: opts.limit })
  }
  /** Marks a transaction as included at a height. */
  async include(txId: string, height: number): Promise<Transaction> {
    return await this.updateByKey([txId], { block_height: height })
  }
  /** How many transactions there are of each type. */
  async countByType(): Promise<GroupCounts> {
    return await this.countBy('by_type', [])
  }
}
