/** Work credits per (epoch, entity), and an epoch's ranking. */
import { COLLECTIONS } from '../schema.ts'
import type { Core } from '../core.ts'
import type { TxHandle } from '../backend.ts'
import type { WorkTally } from '../types.ts'
import { type ListOptions, Repository } from './base.ts'

/** The work_tally collection. */
export class WorkTallyRepository extends Repository<WorkTally> {
  /** @param core shared state @param tx the transaction, if any */
  constructor(core: Core, tx?: TxHandle) {
    super(core, COLLECTIONS.work_tally, tx)
  }

  /** The tally of an entity in an epoch, or undefined. */
  async get(epoch: number, entityId: string): Promise<WorkTally | undefined> {
    return await this.getByKey([epoch, entityId])
  }
  /** Adds credits atomically, creating the tally (rank 0) when it does not exist yet. */
  async addCredits(epoch: number, entityId: string, credits: number): Promise<WorkTally> {
    return await this.upsertByKey([epoch, entityId], (cur) =>
      cur === undefined ? { epoch, entity_id: entityId, credits, rank: 0 } : { ...cur, credits: cur.credits + credits }
    )
  }
  /** Sets an entity's rank in an epoch. */
  async setRank(epoch: number, entityId: string, rank: number): Promise<WorkTally> {
    return await this.updateByKey([epoch, entityId], { rank })
  }
  /** An epoch's tallies by rank, best (lowest rank number) first. */
  async ranking(epoch: number, opts: ListOptions = {}): Promise<WorkTally[]> {
    return await this.query({ index: 'epoch_rank', eq: [epoch], order: 'asc', limit: opts.limit })
  }
}
