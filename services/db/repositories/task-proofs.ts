/** PoOT task proofs, unique by (slot, node_id): by node (latest slot first), by epoch, counts by kind. */
import { COLLECTIONS } from '../schema.ts'
import type { Core } from '../core.ts'
import type { TxHandle } from '../backend.ts'
import type { GroupCounts, TaskProof } from '../types.ts'
import { type ListOptions, Repository } from './base.ts'

/** The task_proofs collection. */
export class TaskProofsRepository extends Repository<TaskProof> {
  /** @param core shared state @param tx the transaction, if any */
  constructor(core: Core, tx?: TxHandle) {
    super(core, COLLECTIONS.task_proofs, tx)
  }

  /** The proof of a node in a slot, or undefined. */
  async get(slot: number, nodeId: string): Promise<TaskProof | undefined> {
    return await this.getByKey([slot, nodeId])
  }
  /** A node's proofs, latest slot first. */
  async byNode(nodeId: string, opts: ListOptions = {}): Promise<TaskProof[]> {
    return await this.query({ index: 'node_slot', eq: [nodeId], order: 'desc', limit: opts.limit })
  }
  /** The proofs of an epoch, by node id. */
  async byEpoch(epoch: number, opts: ListOptions = {}): Promise<TaskProof[]> {
    return await this.query({ index: 'epoch_node', eq: [epoch], order: 'asc', limit: opts.limit })
  }
  /** How many proofs of each kind an epoch holds. */
  async countByKind(epoch: number): Promise<GroupCounts> {
    return await this.countBy('by_epoch_kind', [epoch])
  }
}
