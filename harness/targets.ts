/**
 * The target table: every seed target of docs/interfaces.md section 2, as data, each with the sentence of the
 * seed (quoted in docs/reference.md section 1, with the original test files' numbers) it comes
 * from. Goals beyond the seed live here too, marked `kind: 'goal'`; they never change the exit code.
 * `--targets-file FILE` overrides or adds entries (see loadTargetsFile in targets-file.ts).
 */

import type { Profile } from './case.ts'

/** Comparison operator of a target. */
export type Op = '<' | '<=' | '>' | '>='

/** One target or goal on one metric of one case (or of every case matching a glob). */
export interface TargetSpec {
  /** Case id, or a glob over case ids (`session.chunk_*`). */
  readonly case: string
  readonly metric: string
  readonly op: Op
  readonly value: number
  /** Where the number comes from: the seed's sentence, the original test, or "beyond the seed". */
  readonly source: string
  readonly kind: 'target' | 'goal'
  /** Profiles the entry applies to (default: all), for figures only a longer profile produces. */
  readonly profiles?: readonly Profile[]
}

const SEED = 'seed: '
const t = (caseId: string, metric: string, op: Op, value: number, source: string): TargetSpec => ({ case: caseId, metric, op, value, source, kind: 'target' })
const g = (caseId: string, metric: string, op: Op, value: number, source = 'beyond the seed'): TargetSpec => ({
  case: caseId,
  metric,
  op,
  value,
  source,
  kind: 'goal'
})

const HEALTH = `${SEED}"Health Endpoint: >1000 req/s, p95 < 50ms, p99 < 100ms"`
const AUTH = `${SEED}"Auth Endpoint: >500 req/s, p95 < 100ms"`
const SESS = `${SEED}"Session Endpoint: >800 req/s, p95 < 75ms"`
const CHUNK = `${SEED}"Chunk Processing: <100ms per chunk"`
const COMPRESS = `${SEED}"Compression Ratio: >70% compression ratio" (gzip level 6)`
const ENCRYPT = `${SEED}"Encryption Speed: <50ms encryption time" (original test: > 50 MB/s, AES-256-GCM)`
const STORE = `${SEED}"Storage Performance: <200ms storage time"`
const BATTERY = 'beyond the seed (issue 18): BFT safety below a third of byzantine weight, under loss, partitions, byzantine members and crashes'
const QUERY = `${SEED}"Query Latency: <10ms p95 query latency" (original test: p99 < 20 ms)`

const chunkTargets = (id: string): TargetSpec[] => [
  t(id, 'p95_ms', '<', 100, CHUNK),
  t(id, 'encrypt_p95_ms', '<', 50, ENCRYPT),
  t(id, 'store_p95_ms', '<', 200, STORE),
  t(id, 'compression_ratio', '<', 0.3, COMPRESS),
  t(id, 'compress_mb_per_s', '>', 10, `${SEED}"Compression Performance: gzip level 6" (original test: > 10 MB/s)`),
  t(id, 'encrypt_mb_per_s', '>', 50, ENCRYPT)
]

const dbQuery = (id: string): TargetSpec[] => [t(id, 'p95_ms', '<', 10, QUERY), t(id, 'p99_ms', '<', 20, QUERY)]

/** The seed targets and the goals beyond them, in case-id order. */
export const TARGETS: readonly TargetSpec[] = [
  // gateway
  t('gateway.health', 'requests_per_s', '>', 1000, HEALTH),
  t('gateway.health', 'p95_ms', '<', 50, HEALTH),
  t('gateway.health', 'p99_ms', '<', 100, HEALTH),
  t('gateway.health', 'error_ratio', '<', 0.05, `${SEED}"Error Rate: <5% error rate"`),
  t('gateway.auth', 'requests_per_s', '>', 500, AUTH),
  t('gateway.auth', 'p95_ms', '<', 100, AUTH),
  t('gateway.auth_password', 'requests_per_s', '>', 500, `${AUTH} (judged on password login too)`),
  t('gateway.auth_password', 'p95_ms', '<', 100, `${AUTH} (judged on password login too)`),
  t('gateway.sessions', 'requests_per_s', '>', 800, SESS),
  t('gateway.sessions', 'p95_ms', '<', 75, SESS),
  t('gateway.concurrency', 'requests_per_s', '>', 800, `${SEED}"High Concurrency: >800 req/s with 500 users"`),
  t('gateway.concurrency', 'error_ratio', '<', 0.05, `${SEED}"Concurrent Users: >500 supported", "Error Rate: <5% error rate"`),
  t('gateway.mixed', 'requests_per_s', '>', 600, `${SEED}"Mixed Workload: >600 req/s across multiple endpoints"`),
  t('gateway.mixed', 'p95_ms', '<', 100, 'original test: mixed workload p95 < 100 ms'),
  t(
    'gateway.sustained',
    'requests_per_s',
    '>',
    800,
    `${SEED}"Sustained Load Testing: Extended period performance validation" (original test: mean > 800 req/s)`
  ),
  t('gateway.sustained', 'p95_ms', '<', 75, 'original test: sustained load mean p95 < 75 ms'),

  // session pipeline
  ...['1k', '5k', '10k', '20k', '50k', '100k', '10m'].flatMap((s) => chunkTargets(`session.chunk_${s}`)),
  t('session.sustained', 'mean_ms', '<', 150, 'original test: 500-chunk session, mean < 150 ms per chunk'),
  t('session.concurrent', 'chunks_per_s', '>', 10, 'original test: concurrent sessions > 10 chunks/s'),
  t('session.concurrent', 'success_ratio', '>', 0.9, 'original test: > 90 % success'),
  ...chunkTargets('session.codec_pako'),

  // database
  ...['by_user', 'by_session', 'by_status', 'time_range', 'group_by_status', 'complex'].flatMap((q) => dbQuery(`db.query_${q}`)),
  t('db.index_lookup', 'p95_ms', '<', 5, `${SEED}"Index Performance: <5ms index lookup"`),
  t('db.transaction', 'p95_ms', '<', 20, `${SEED}"Transaction Speed: <20ms transaction time"`),
  t('db.concurrent', 'concurrent_ops_count', '>=', 100, `${SEED}"Connection Pool: >100 concurrent connections"`),
  t('db.concurrent', 'p95_ms', '<', 15, 'original test: concurrent queries p95 < 15 ms'),

  // chain
  t('chain.block_interval*', 'interval_mean_s', '>=', 8, `${SEED}"Block Creation: 1 block per 10 seconds" (original test: mean within 8-12 s)`),
  t('chain.block_interval*', 'interval_mean_s', '<=', 12, `${SEED}"Block Creation: 1 block per 10 seconds" (original test: mean within 8-12 s)`),
  t('chain.block_interval*', 'interval_stdev_s', '<', 3, 'original test: block interval stdev < 3 s'),
  t('chain.consensus*', 'p99_s', '<', 5, `${SEED}"Consensus Speed: <5 seconds consensus time"`),
  t('chain.tx_throughput*', 'tx_per_s', '>', 100, `${SEED}"Transaction Processing: >100 transactions/second"`),
  t('chain.anchoring', 'p95_ms', '<', 5000, 'original test: anchoring a session < 5 s'),
  t('chain.sync*', 'sync_s', '<', 30, `${SEED}"Network Sync: <30 seconds sync time"`),
  // The consensus battery (issue 18): the bench case `chain.battery` and each scenario of `lucid sim chain --profile`
  // (`chain.battery_<scenario>`) alike. Beyond the seed, but musts: a stalled or unsafe chain never passes.
  t('chain.battery*', 'safety_violations_count', '<=', 0, BATTERY),
  t('chain.battery*', 'stall_slots_after_fault_count', '<=', 10, `${BATTERY}; liveness: no stall of more than 10 slots after the fault ends`),
  t('chain.battery*', 'failed_runs_count', '<=', 0, `${BATTERY}; every run passes simVerdict (safe, a final block, no stall over 10 slots)`),

  // load scenarios (the original locustfile's scenarios)
  ...['light', 'medium', 'heavy', 'stress'].flatMap((s) => [
    t(`load.${s}`, 'error_ratio', '<', 0.05, `${SEED}"Error Rate: <5% error rate"`),
    t(`load.${s}`, 'max_endpoint_p95_ms', '<', 100, 'per-endpoint p95 within the gateway targets (the loosest: mixed workload p95 < 100 ms)')
  ]),

  // goals beyond the seed
  g('gateway.health', 'requests_per_s_vs_http_x', '>=', 0.85, 'beyond the seed: within 15 % of raw node:http in the same run'),
  g('gateway.health', 'p99_ms', '<=', 5, 'beyond the seed: p99 <= 5 ms at 1000 req/s on the open model, logging, metrics and limits on'),
  g(
    'gateway.upload',
    'durability_cost_throughput_ratio',
    '<=',
    0.25,
    'beyond the seed (issue 16): fsync before every acknowledged chunk, group commit, costs at most 25 % of the unsynced throughput'
  ),
  g(
    'gateway.anchor',
    'durability_cost_throughput_ratio',
    '<=',
    0.25,
    "beyond the seed (issue 16): a data anchor's receipt synced before its 201, group commit, costs at most 25 % of the unsynced throughput"
  ),
  ...[
    'query_by_user',
    'query_by_session',
    'query_by_status',
    'query_time_range',
    'query_group_by_status',
    'query_complex',
    'index_lookup',
    'transaction'
  ].flatMap((c) => [
    {
      ...g(`db.${c}`, 'at_100k_p95_ms', '<=', 2, 'beyond the seed: p95 <= 2 ms on LevelDB at 100k documents, on the way to 1M'),
      profiles: ['quick', 'full'] as const
    },
    {
      ...g(`db.${c}`, 'at_1m_p95_ms', '<=', 2, 'beyond the seed: every query and transaction p95 <= 2 ms on LevelDB at 1M documents'),
      profiles: ['full'] as const
    }
  ]),
  g('db.transaction', 'p95_ms', '<=', 2, 'beyond the seed: transactions p95 <= 2 ms'),
  g('session.chunk_10m', 'p99_vs_raw_x', '<=', 1.2, 'beyond the seed: 10 MiB chunk p99 within 1.2x of raw parallel gzip of the same chunk'),
  g('session.chunk_10m', 'throughput_vs_raw_x', '>=', 0.85, 'beyond the seed: pipeline throughput >= 0.85x raw parallel gzip'),
  g(
    'chain.tx_throughput',
    'validate_tx_per_s_vs_ed25519_x',
    '>=',
    0.8,
    'beyond the seed: block validation >= 0.8x raw Ed25519 verification, same core, same run'
  ),
  g(
    'chain.sync',
    'sync_verify_per_core_per_s_vs_ed25519_x',
    '>=',
    0.8,
    'beyond the seed: sync verification per core >= 0.8x raw Ed25519 verification, same run'
  ),
  g('chain.consensus*', 'p99_s', '<=', 1, 'beyond the seed: finality within 1 s of the block proposal on the devnet (in one process and over sockets)'),
  g(
    'chain.sim_wan',
    'day_wall_s',
    '<=',
    30,
    'beyond the seed: 100 nodes x 24 simulated hours in under 30 s of wall time (shorter profiles scale their run to a day)'
  ),
  g('chain.sim_wan', 'finality_p99_s', '<=', 1, 'beyond the seed: finality p99 <= 1 s at 50 ms one-way latency (simulated: 100 nodes, 1 % loss)'),
  g('chain.sim_wan', 'safety_violations_count', '<=', 0, 'beyond the seed: never two final blocks at one height'),
  g('chain.sim_partition', 'safety_violations_count', '<=', 0, 'beyond the seed: a partition and heal never finalises two blocks at one height'),
  g('chain.sim_partition', 'converged_ratio', '>=', 1, 'beyond the seed: after the heal every live node is back on one chain'),
  g('chain.sim_partition', 'stalled_at_end_count', '<=', 0, 'beyond the seed: the chain is finalising again after the heal'),
  g('chain.battery*', 'stall_slots_after_fault_count', '<=', 3, 'beyond the seed (issue 18): the chain finalises again within 3 slots of any fault ending'),
  g(
    'load.generator',
    'generator_requests_per_s',
    '>=',
    10_000,
    'beyond the seed: one generator core sustains >= 10k req/s of contract traffic (Locust ~1.3k here)'
  ),
  { ...g('load.generator', 'memory_per_user_bytes', '<=', 20_000, 'beyond the seed: <= 20 KB per simulated user'), profiles: ['quick', 'full'] as const },
  { ...g('load.generator', 'users_count', '>=', 10_000, 'beyond the seed: 10,000 simulated users on this machine'), profiles: ['quick', 'full'] as const }
]

export { g as goal, t as target }
