/**
 * Baselines: the same-run ceilings other cases are divided by, so ratios survive a noisy machine.
 */
import type { CaseDef } from '../../harness/registry.ts'

const mod = (f: string): string => new URL(f, import.meta.url).href

/** The baseline cases. */
export const baselineCases: readonly CaseDef[] = [
  {
    id: 'baseline.http',
    component: 'baseline',
    description: 'raw node:http GET /health, server and load generator in separate processes (closed model, 100 connections)',
    module: mod('./http.ts'),
    export: 'run'
  },
  {
    id: 'baseline.fastify',
    component: 'baseline',
    description: "bare fastify serving the gateway's GET /health (same body and schema, no hooks, logging, metrics or limits): 200 connections, 1000 req/s",
    module: mod('./fastify.ts'),
    export: 'run'
  },
  {
    id: 'baseline.zlib',
    component: 'baseline',
    description: 'raw node:zlib gzip level 6 on desktop-like data: one core (sync) and all cores (libuv pool)',
    module: mod('./zlib.ts'),
    export: 'run'
  },
  {
    id: 'baseline.level',
    component: 'baseline',
    description: 'raw LevelDB (classic-level): random get and 100-key range read on 100k keys',
    module: mod('./level.ts'),
    export: 'run'
  },
  {
    id: 'baseline.ed25519',
    component: 'baseline',
    description: 'Ed25519 signature verifications per second, node:crypto, one core',
    module: mod('./ed25519.ts'),
    export: 'run'
  }
]
