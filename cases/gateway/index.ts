/**
 * The gateway component: the seed's headline claims, each beside raw node:http measured by the same
 * generator in the same run (baseline.http).
 */
import type { CaseDef } from '../../harness/registry.ts'

const mod = new URL('./cases.ts', import.meta.url).href
const vsHttp = [{ id: 'baseline.http', metrics: { requests_per_s: 'requests_per_s', p99_ms: 'p99_ms' } }] as const

/** The gateway cases. */
export const gatewayCases: readonly CaseDef[] = [
  {
    id: 'gateway.health',
    component: 'gateway',
    description: 'GET /health: 200 connections closed model, 1000 req/s open model',
    module: mod,
    export: 'health',
    baselines: [...vsHttp, { id: 'baseline.fastify', metrics: { requests_per_s: 'requests_per_s', p99_ms: 'p99_ms' } }]
  },
  {
    id: 'gateway.auth',
    component: 'gateway',
    description: 'wallet login (secp256k1 signature, single-use challenge): 100 connections, 500 req/s',
    module: mod,
    export: 'auth',
    baselines: vsHttp
  },
  {
    id: 'gateway.auth_password',
    component: 'gateway',
    description: 'password login at the default scrypt cost (N=2^17): 50 connections, 500 req/s',
    module: mod,
    export: 'authPassword',
    baselines: vsHttp
  },
  {
    id: 'gateway.sessions',
    component: 'gateway',
    description: 'authenticated GET /sessions: 200 connections, 800 req/s',
    module: mod,
    export: 'sessions',
    baselines: vsHttp
  },
  {
    id: 'gateway.concurrency',
    component: 'gateway',
    description: 'mixed workload over 500 connections, 800 req/s',
    module: mod,
    export: 'concurrency',
    baselines: vsHttp
  },
  {
    id: 'gateway.mixed',
    component: 'gateway',
    description: '/health, /sessions, /users, /chain/info: 200 connections, 600 req/s',
    module: mod,
    export: 'mixedCase',
    baselines: vsHttp
  },
  {
    id: 'gateway.upload',
    component: 'gateway',
    description:
      'chunk upload (4 KiB, 32 sessions): 32 connections, 200 req/s; fsync with group commit, one per write, and none, in one run: what durability costs',
    module: mod,
    export: 'upload',
    baselines: vsHttp
  },
  {
    id: 'gateway.anchor',
    component: 'gateway',
    description:
      'public data anchor (POST /chain/anchor): 32 connections, 200 req/s; fsync with group commit, one per write, and none, in one run: what durability costs',
    module: mod,
    export: 'anchor',
    baselines: vsHttp
  },
  {
    id: 'gateway.sustained',
    component: 'gateway',
    description: 'the mixed workload for 30 s (quick), judged on one-second window means',
    module: mod,
    export: 'sustained',
    baselines: vsHttp
  }
]
