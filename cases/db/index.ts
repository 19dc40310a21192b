/**
 * The db component's cases (docs/interfaces.md section 2). Query latencies are divided by baseline.level's
 * raw 100-key range read, the lookup, transaction and concurrent cases by its raw random get.
 */
import type { CaseDef } from '../../harness/registry.ts'

const mod = (f: string): string => new URL(f, import.meta.url).href
const CASES = mod('./cases.ts')
const vsRange = [{ id: 'baseline.level', metrics: { p95_ms: 'range_p95_ms' } }] as const
const vsGet = [{ id: 'baseline.level', metrics: { p95_ms: 'get_p95_ms' } }] as const
const WORKLOAD = 'the original DB test workload (1000 documents; then 100k on quick and 1M on full, LevelDB)'

/** The db cases. */
export const dbCases: readonly CaseDef[] = [
  { id: 'db.query_by_user', component: 'db', description: `find by user_id, ${WORKLOAD}`, module: CASES, export: 'queryByUser', baselines: vsRange },
  { id: 'db.query_by_session', component: 'db', description: `find by session_id, ${WORKLOAD}`, module: CASES, export: 'queryBySession', baselines: vsRange },
  { id: 'db.query_by_status', component: 'db', description: `find by status, ${WORKLOAD}`, module: CASES, export: 'queryByStatus', baselines: vsRange },
  {
    id: 'db.query_time_range',
    component: 'db',
    description: `timestamp range newest first, limit 100, ${WORKLOAD}`,
    module: CASES,
    export: 'queryTimeRange',
    baselines: vsRange
  },
  {
    id: 'db.query_group_by_status',
    component: 'db',
    description: `match user, count grouped by status, ${WORKLOAD}`,
    module: CASES,
    export: 'queryGroupByStatus',
    baselines: vsGet
  },
  {
    id: 'db.query_complex',
    component: 'db',
    description: `user + status $in + timestamp >=, newest first, limit 50, ${WORKLOAD}`,
    module: CASES,
    export: 'queryComplex',
    baselines: vsRange
  },
  { id: 'db.index_lookup', component: 'db', description: `document by primary key, ${WORKLOAD}`, module: CASES, export: 'indexLookup', baselines: vsGet },
  {
    id: 'db.transaction',
    component: 'db',
    description: `transaction: insert + update + credit increment, ${WORKLOAD}`,
    module: CASES,
    export: 'transaction',
    baselines: vsGet
  },
  {
    id: 'db.concurrent',
    component: 'db',
    description: '100 concurrent workers running the six queries on 1000 documents (MongoDB: pool of 100)',
    module: CASES,
    export: 'concurrent',
    baselines: vsGet
  }
]
