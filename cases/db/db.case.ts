/**
 * The db component's cases (docs/interfaces.md section 2). Query latencies are divided by baseline.level's
 * raw 100-key range read, the lookup, transaction and concurrent cases by its raw random get.
 */
import { type CaseSpec, type CaseTarget, defineCase, target } from '../../harness/define-case.ts'
import type { BaselineLink } from '../../harness/registry.ts'
import { SEED } from '../seed.ts'

const vsRange = [{ id: 'baseline.level', metrics: { p95_ms: 'range_p95_ms' } }] as const
const vsGet = [{ id: 'baseline.level', metrics: { p95_ms: 'get_p95_ms' } }] as const
const WORKLOAD = 'the original DB test workload (1000 documents; then 100k on quick and 1M on full, LevelDB)'
const QUERY = `${SEED}"Query Latency: <10ms p95 query latency" (original test: p99 < 20 ms)`
const queryTargets = [target('p95_ms', '<', 10, QUERY), target('p99_ms', '<', 20, QUERY)]

/** The goals at scale every query, the lookup and the transaction share (the larger sizes run on quick and full). */
const atScale: CaseTarget[] = [
  target('at_100k_p95_ms', '<=', 2, 'beyond the seed: p95 <= 2 ms on LevelDB at 100k documents, on the way to 1M', { profiles: ['quick', 'full'] }),
  target('at_1m_p95_ms', '<=', 2, 'beyond the seed: every query and transaction p95 <= 2 ms on LevelDB at 1M documents', { profiles: ['full'] })
]

type Run = CaseSpec['run']
const query = (id: string, description: string, run: Run, baselines: readonly BaselineLink[] = vsRange) =>
  defineCase({ id, description: `${description}, ${WORKLOAD}`, baselines, targets: queryTargets, goals: atScale, run })

/** db.query_by_user */
export const queryByUser = query('db.query_by_user', 'find by user_id', async (ctx) => (await import('./cases.ts')).queryByUser(ctx))
/** db.query_by_session */
export const queryBySession = query('db.query_by_session', 'find by session_id', async (ctx) => (await import('./cases.ts')).queryBySession(ctx))
/** db.query_by_status */
export const queryByStatus = query('db.query_by_status', 'find by status', async (ctx) => (await import('./cases.ts')).queryByStatus(ctx))
/** db.query_time_range */
export const queryTimeRange = query('db.query_time_range', 'timestamp range newest first, limit 100', async (ctx) =>
  (await import('./cases.ts')).queryTimeRange(ctx)
)
/** db.query_group_by_status */
export const queryGroupByStatus = query(
  'db.query_group_by_status',
  'match user, count grouped by status',
  async (ctx) => (await import('./cases.ts')).queryGroupByStatus(ctx),
  vsGet
)
/** db.query_complex */
export const queryComplex = query('db.query_complex', 'user + status $in + timestamp >=, newest first, limit 50', async (ctx) =>
  (await import('./cases.ts')).queryComplex(ctx)
)

/** db.index_lookup */
export const indexLookup = defineCase({
  id: 'db.index_lookup',
  description: `document by primary key, ${WORKLOAD}`,
  baselines: vsGet,
  targets: [target('p95_ms', '<', 5, `${SEED}"Index Performance: <5ms index lookup"`)],
  goals: atScale,
  run: async (ctx) => (await import('./cases.ts')).indexLookup(ctx)
})

/** db.transaction */
export const transaction = defineCase({
  id: 'db.transaction',
  description: `transaction: insert + update + credit increment, ${WORKLOAD}`,
  baselines: vsGet,
  targets: [target('p95_ms', '<', 20, `${SEED}"Transaction Speed: <20ms transaction time"`)],
  goals: [...atScale, target('p95_ms', '<=', 2, 'beyond the seed: transactions p95 <= 2 ms')],
  run: async (ctx) => (await import('./cases.ts')).transaction(ctx)
})

/** db.concurrent */
export const concurrent = defineCase({
  id: 'db.concurrent',
  description: '100 concurrent workers running the six queries on 1000 documents (MongoDB: pool of 100)',
  baselines: vsGet,
  targets: [
    target('concurrent_ops_count', '>=', 100, `${SEED}"Connection Pool: >100 concurrent connections"`),
    target('p95_ms', '<', 15, 'original test: concurrent queries p95 < 15 ms')
  ],
  run: async (ctx) => (await import('./cases.ts')).concurrent(ctx)
})
