/** The set of repositories, built once per database and once per transaction. */
import type { Core } from '../core.ts'
import type { TxHandle } from '../backend.ts'
import { ActivityRepository } from './activity.ts'
import { BlocksRepository } from './blocks.ts'
import { ChunksRepository } from './chunks.ts'
import { SessionsRepository } from './sessions.ts'
import { TaskProofsRepository } from './task-proofs.ts'
import { TransactionsRepository } from './transactions.ts'
import { UsersRepository } from './users.ts'
import { WorkTallyRepository } from './work-tally.ts'

/** Every collection's repository. */
export interface Repositories {
  readonly users: UsersRepository
  readonly sessions: SessionsRepository
  readonly chunks: ChunksRepository
  readonly blocks: BlocksRepository
  readonly transactions: TransactionsRepository
  readonly taskProofs: TaskProofsRepository
  readonly workTally: WorkTallyRepository
  readonly activity: ActivityRepository
}

/** Builds the repositories over `core`, bound to `tx` when given. */
export function createRepositories(core: Core, tx?: TxHandle): Repositories {
  return {
    users: new UsersRepository(core, tx),
    sessions: new SessionsRepository(core, tx),
    chunks: new ChunksRepository(core, tx),
    blocks: new BlocksRepository(core, tx),
    transactions: new TransactionsRepository(core, tx),
    taskProofs: new TaskProofsRepository(core, tx),
    workTally: new WorkTallyRepository(core, tx),
    activity: new ActivityRepository(core, tx)
  }
}

export {
  ActivityRepository,
  BlocksRepository,
  ChunksRepository,
  SessionsRepository,
  TaskProofsRepository,
  TransactionsRepository,
  UsersRepository,
  WorkTallyRepository
}
