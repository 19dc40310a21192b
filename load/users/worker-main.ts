/**
 * A worker process of a simulated-user run: runs its share of the users (load/users/engine.ts) and
 * streams one message per second to the parent, then its endpoint statistics.
 */
import { CONTRACT_USERS } from './contract.ts'
import type { UserKind } from './types.ts'
import { runEngine } from './engine.ts'
import type { WorkerJob, WorkerReport } from './run.ts'

const KINDS = new Map<string, UserKind>(CONTRACT_USERS.map((k) => [k.name, k]))
const kind = (name: string): UserKind => {
  const k = KINDS.get(name)
  if (k === undefined) throw new Error(`unknown user kind ${name}`)
  return k
}

const send = (m: WorkerReport): Promise<void> =>
  new Promise((resolve) => {
    process.send?.(m, undefined, {}, () => resolve())
  })

process.once('message', (job: WorkerJob) => {
  runEngine({
    url: job.url,
    durationS: job.durationS,
    waitDivisor: job.waitDivisor,
    seed: job.seed,
    connections: job.connections,
    ...(job.users !== undefined ? { users: job.users.map((u) => ({ kind: kind(u.kind), startS: u.startS })) } : {}),
    ...(job.arrival !== undefined ? { arrival: { rate: job.arrival.rate, kinds: job.arrival.kinds.map(kind) } } : {}),
    onSecond: (second) => {
      void send({ type: 'second', second })
    }
  }).then(
    async (r) => {
      await send({
        type: 'done',
        endpoints: r.stats.endpointsWire(),
        usersStarted: r.usersStarted,
        elapsedS: r.elapsedS,
        ...(r.memoryPerUserBytes !== undefined ? { memoryPerUserBytes: r.memoryPerUserBytes } : {})
      })
      process.exit(0)
    },
    async (err: unknown) => {
      await send({ type: 'error', message: err instanceof Error ? err.message : String(err) })
      process.exit(1)
    }
  )
})
