/**
 * The gateway component: the seed's headline claims, each beside raw node:http measured by the same
 * generator in the same run (baseline.http).
 */
import { defineCase, target } from '../../harness/define-case.ts'
import { ERROR_RATE, SEED } from '../seed.ts'

const vsHttp = [{ id: 'baseline.http', metrics: { requests_per_s: 'requests_per_s', p99_ms: 'p99_ms' } }] as const
const HEALTH = `${SEED}"Health Endpoint: >1000 req/s, p95 < 50ms, p99 < 100ms"`
const AUTH = `${SEED}"Auth Endpoint: >500 req/s, p95 < 100ms"`
const SESS = `${SEED}"Session Endpoint: >800 req/s, p95 < 75ms"`
const durability = (what: string) =>
  target('durability_cost_throughput_ratio', '<=', 0.25, `beyond the seed (issue 16): ${what}, group commit, costs at most 25 % of the unsynced throughput`)

/** gateway.health */
export const health = defineCase({
  id: 'gateway.health',
  description: 'GET /health: 200 connections closed model, 1000 req/s open model',
  baselines: [...vsHttp, { id: 'baseline.fastify', metrics: { requests_per_s: 'requests_per_s', p99_ms: 'p99_ms' } }],
  targets: [
    target('requests_per_s', '>', 1000, HEALTH),
    target('p95_ms', '<', 50, HEALTH),
    target('p99_ms', '<', 100, HEALTH),
    target('error_ratio', '<', 0.05, ERROR_RATE)
  ],
  goals: [
    target('requests_per_s_vs_http_x', '>=', 0.85, 'beyond the seed: within 15 % of raw node:http in the same run'),
    target('requests_per_s_vs_fastify_x', '>=', 0.95, 'issue 27: logging, metrics and limits on cost at most 5 % of bare fastify on the same route, same run'),
    target('p99_ms', '<=', 5, 'beyond the seed: p99 <= 5 ms at 1000 req/s on the open model, logging, metrics and limits on')
  ],
  run: async (ctx) => (await import('./cases.ts')).health(ctx)
})

/** gateway.auth */
export const auth = defineCase({
  id: 'gateway.auth',
  description: 'wallet login (secp256k1 signature, single-use challenge): 100 connections, 500 req/s',
  baselines: vsHttp,
  targets: [target('requests_per_s', '>', 500, AUTH), target('p95_ms', '<', 100, AUTH)],
  run: async (ctx) => (await import('./cases.ts')).auth(ctx)
})

/** gateway.auth_password */
export const authPassword = defineCase({
  id: 'gateway.auth_password',
  description: 'password login at the default scrypt cost (N=2^17): 50 connections, 500 req/s',
  baselines: vsHttp,
  targets: [target('requests_per_s', '>', 500, `${AUTH} (judged on password login too)`), target('p95_ms', '<', 100, `${AUTH} (judged on password login too)`)],
  run: async (ctx) => (await import('./cases.ts')).authPassword(ctx)
})

/** gateway.sessions */
export const sessions = defineCase({
  id: 'gateway.sessions',
  description: 'authenticated GET /sessions: 200 connections, 800 req/s',
  // gateway.health too: the goal divides an authenticated read by the cheapest request the same run made.
  baselines: [...vsHttp, { id: 'gateway.health', metrics: { requests_per_s: 'requests_per_s' } }],
  targets: [target('requests_per_s', '>', 800, SESS), target('p95_ms', '<', 75, SESS)],
  goals: [
    target(
      'requests_per_s_vs_health_x',
      '>=',
      0.5,
      'issue 27: an authenticated read (token check, query, 10 rows) at least half the rate of GET /health, same run'
    )
  ],
  run: async (ctx) => (await import('./cases.ts')).sessions(ctx)
})

/** gateway.concurrency */
export const concurrency = defineCase({
  id: 'gateway.concurrency',
  description: 'mixed workload over 500 connections, 800 req/s',
  baselines: vsHttp,
  targets: [
    target('requests_per_s', '>', 800, `${SEED}"High Concurrency: >800 req/s with 500 users"`),
    target('error_ratio', '<', 0.05, `${SEED}"Concurrent Users: >500 supported", "Error Rate: <5% error rate"`)
  ],
  run: async (ctx) => (await import('./cases.ts')).concurrency(ctx)
})

/** gateway.mixed */
export const mixed = defineCase({
  id: 'gateway.mixed',
  description: '/health, /sessions, /users, /chain/info: 200 connections, 600 req/s',
  baselines: vsHttp,
  targets: [
    target('requests_per_s', '>', 600, `${SEED}"Mixed Workload: >600 req/s across multiple endpoints"`),
    target('p95_ms', '<', 100, 'original test: mixed workload p95 < 100 ms')
  ],
  run: async (ctx) => (await import('./cases.ts')).mixedCase(ctx)
})

/** gateway.upload */
export const upload = defineCase({
  id: 'gateway.upload',
  description:
    'chunk upload (4 KiB, 32 sessions): 32 connections, 200 req/s; fsync with group commit, one per write, and none, in one run: what durability costs',
  baselines: vsHttp,
  goals: [durability('fsync before every acknowledged chunk')],
  run: async (ctx) => (await import('./cases.ts')).upload(ctx)
})

/** gateway.anchor */
export const anchor = defineCase({
  id: 'gateway.anchor',
  description:
    'public data anchor (POST /chain/anchor): 32 connections, 200 req/s; fsync with group commit, one per write, and none, in one run: what durability costs',
  baselines: vsHttp,
  goals: [durability("a data anchor's receipt synced before its 201")],
  run: async (ctx) => (await import('./cases.ts')).anchor(ctx)
})

/** gateway.sustained */
export const sustained = defineCase({
  id: 'gateway.sustained',
  description: 'the mixed workload for 30 s (quick), judged on one-second window means',
  baselines: vsHttp,
  targets: [
    target('requests_per_s', '>', 800, `${SEED}"Sustained Load Testing: Extended period performance validation" (original test: mean > 800 req/s)`),
    target('p95_ms', '<', 75, 'original test: sustained load mean p95 < 75 ms')
  ],
  run: async (ctx) => (await import('./cases.ts')).sustained(ctx)
})
