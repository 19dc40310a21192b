/** Accounts: by id, by email, by wallet address, by status (newest first), counts by status. */
import { COLLECTIONS } from '../schema.ts'
import type { Core } from '../core.ts'
import type { TxHandle } from '../backend.ts'
import type { GroupCounts, User } from '../types.ts'
import { type ListOptions, Repository } from './base.ts'

/** The users collection. */
export class UsersRepository extends Repository<User> {
  /** @param core shared state @param tx the transaction, if any */
  constructor(core: Core, tx?: TxHandle) {
    super(core, COLLECTIONS.users, tx)
  }

  /** The user, or undefined. */
  async get(userId: string): Promise<User | undefined> {
    return await this.getByKey([userId])
  }
  /** The user; LUCID_ERR_4001 when absent. */
  async require(userId: string): Promise<User> {
    return await this.requireByKey([userId])
  }
  /** The user with this (unique) email, or undefined. */
  async byEmail(email: string): Promise<User | undefined> {
    return (await this.query({ index: 'email_unique', eq: [email], order: 'asc', limit: 1 }))[0]
  }
  /** The user with this (unique) TRON address, or undefined. */
  async byTronAddress(address: string): Promise<User | undefined> {
    return (await this.query({ index: 'tron_address_unique', eq: [address], order: 'asc', limit: 1 }))[0]
  }
  /** Users in a status, newest first. */
  async byStatus(status: string, opts: ListOptions = {}): Promise<User[]> {
    return await this.query({ index: 'status_created', eq: [status], order: 'desc', limit: opts.limit })
  }
  /** Changes fields of a user (not `user_id`). */
  async update(userId: string, patch: Partial<User> | ((u: User) => Partial<User>)): Promise<User> {
    return await this.updateByKey([userId], patch)
  }
  /** Deletes a user; LUCID_ERR_4001 when absent. */
  async delete(userId: string): Promise<void> {
    await this.deleteByKey([userId])
  }
  /** How many users are in each status. */
  async countByStatus(): Promise<GroupCounts> {
    return await this.countBy('by_status', [])
  }
}
