/**
 * The original DB performance test's documents and its six queries, each limited as the original did
 * (time range: 100, the complex query: 50; the others the caller's limit, default 100).
 */
import { COLLECTIONS } from '../schema.ts'
import type { Core } from '../core.ts'
import type { TxHandle } from '../backend.ts'
import type { Activity, GroupCounts } from '../types.ts'
import { type ListOptions, Repository, type TimeRangeOptions, timeRange } from './base.ts'

/** The activity collection. */
export class ActivityRepository extends Repository<Activity> {
  /** @param core shared state @param tx the transaction, if any */
  constructor(core: Core, tx?: TxHandle) {
    super(core, COLLECTIONS.activity, tx)
  }

  /** The record, or undefined (the index lookup case: a primary key get). */
  async get(activityId: string): Promise<Activity | undefined> {
    return await this.getByKey([activityId])
  }
  /** `find({user_id})`: a user's records through the user_id index (in key order). */
  async byUser(userId: string, opts: ListOptions = {}): Promise<Activity[]> {
    return await this.query({ index: 'user', eq: [userId], order: 'asc', limit: opts.limit })
  }
  /** `find({session_id})`: a session's records through the session_id index. */
  async bySession(sessionId: string, opts: ListOptions = {}): Promise<Activity[]> {
    return await this.query({ index: 'session', eq: [sessionId], order: 'asc', limit: opts.limit })
  }
  /** `find({status})`: records in a status through the status index. */
  async byStatus(status: string, opts: ListOptions = {}): Promise<Activity[]> {
    return await this.query({ index: 'status', eq: [status], order: 'asc', limit: opts.limit })
  }
  /** `find({timestamp: {$gte, $lte}}).limit(100)`: records in a time range, newest first. */
  async timeRange(opts: TimeRangeOptions): Promise<Activity[]> {
    return await this.query({ index: 'time', eq: [], range: timeRange(opts), order: 'desc', limit: opts.limit ?? 100 })
  }
  /** `aggregate([{$match: {user_id}}, {$group: {_id: '$status', count: {$sum: 1}}}])`, from maintained counts. */
  async countByStatusForUser(userId: string): Promise<GroupCounts> {
    return await this.countBy('by_user_status', [userId])
  }
  /** How many records are in each status (the whole collection). */
  async countByStatus(): Promise<GroupCounts> {
    return await this.countBy('by_status', [])
  }
  /**
   * `find({user_id, status: {$in}, timestamp: {$gte}}).sort({timestamp: -1}).limit(50)` through the
   * (user_id, timestamp desc) index, the status filter applied to the documents it yields.
   */
  async recentForUser(userId: string, statuses: readonly string[], since: number, opts: ListOptions = {}): Promise<Activity[]> {
    return await this.query({
      index: 'user_time',
      eq: [userId],
      range: { gte: since },
      where: { field: 'status', in: statuses },
      order: 'desc',
      limit: opts.limit ?? 50
    })
  }
  /** Deletes a record; LUCID_ERR_4001 when absent. */
  async delete(activityId: string): Promise<void> {
    await this.deleteByKey([activityId])
  }
  /** Changes fields of a record (not `activity_id`). */
  async update(activityId: string, patch: Partial<Activity>): Promise<Activity> {
    return await this.updateByKey([activityId], patch)
  }
}
