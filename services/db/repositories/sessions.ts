/** Recorded sessions: by id, by owner, by status, by time (newest first), counts by status. */
import { COLLECTIONS } from '../schema.ts'
import type { Core } from '../core.ts'
import type { TxHandle } from '../backend.ts'
import type { BlockchainAnchor, GroupCounts, Session } from '../types.ts'
import { type ListOptions, Repository, type TimeRangeOptions, timeRange } from './base.ts'

/** The sessions collection. */
export class SessionsRepository extends Repository<Session> {
  /** @param core shared state @param tx the transaction, if any */
  constructor(core: Core, tx?: TxHandle) {
    super(core, COLLECTIONS.sessions, tx)
  }

  /** The session, or undefined. */
  async get(sessionId: string): Promise<Session | undefined> {
    return await this.getByKey([sessionId])
  }
  /** The session; LUCID_ERR_4001 when absent. */
  async require(sessionId: string): Promise<Session> {
    return await this.requireByKey([sessionId])
  }
  /** A user's sessions, newest first, optionally within a time range. */
  async byUser(userId: string, opts: TimeRangeOptions = {}): Promise<Session[]> {
    return await this.query({ index: 'user_created', eq: [userId], range: timeRange(opts), order: 'desc', limit: opts.limit })
  }
  /** Sessions in a status, newest first. */
  async byStatus(status: string, opts: ListOptions = {}): Promise<Session[]> {
    return await this.query({ index: 'status_created', eq: [status], order: 'desc', limit: opts.limit })
  }
  /** Sessions created within a time range, newest first. */
  async inTimeRange(opts: TimeRangeOptions): Promise<Session[]> {
    return await this.query({ index: 'created', eq: [], range: timeRange(opts), order: 'desc', limit: opts.limit })
  }
  /** Changes fields of a session (not `session_id`). */
  async update(sessionId: string, patch: Partial<Session> | ((s: Session) => Partial<Session>)): Promise<Session> {
    return await this.updateByKey([sessionId], patch)
  }
  /** Sets the status. */
  async setStatus(sessionId: string, status: string): Promise<Session> {
    return await this.updateByKey([sessionId], { status })
  }
  /** Adds `n` to the chunk count atomically. */
  async addChunks(sessionId: string, n: number): Promise<Session> {
    return await this.updateByKey([sessionId], (s) => ({ chunk_count: s.chunk_count + n }))
  }
  /** Records where the session was anchored, with its Merkle root. */
  async anchor(sessionId: string, merkleRoot: string, anchor: BlockchainAnchor): Promise<Session> {
    return await this.updateByKey([sessionId], { merkle_root: merkleRoot, blockchain_anchor: anchor })
  }
  /** Deletes a session; LUCID_ERR_4001 when absent. */
  async delete(sessionId: string): Promise<void> {
    await this.deleteByKey([sessionId])
  }
  /** How many sessions are in each status. */
  async countByStatus(): Promise<GroupCounts> {
    return await this.countBy('by_status', [])
  }
  /** How many of a user's sessions are in each status. */
  async countByStatusForUser(userId: string): Promise<GroupCounts> {
    return await this.countBy('by_user_status', [userId])
  }
}
