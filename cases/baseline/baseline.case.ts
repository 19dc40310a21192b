/**
 * Baselines: the same-run ceilings other cases are divided by, so ratios survive a noisy machine. They have no
 * targets: they are what this machine can do at all.
 */
import { defineCase } from '../../harness/define-case.ts'

/** baseline.http */
export const http = defineCase({
  id: 'baseline.http',
  description: 'raw node:http GET /health, server and load generator in separate processes (closed model, 100 connections)',
  run: async (ctx) => (await import('./http.ts')).run(ctx)
})

/** baseline.fastify */
export const fastify = defineCase({
  id: 'baseline.fastify',
  description: "bare fastify serving the gateway's GET /health (same body and schema, no hooks, logging, metrics or limits): 200 connections, 1000 req/s",
  run: async (ctx) => (await import('./fastify.ts')).run(ctx)
})

/** baseline.zlib */
export const zlib = defineCase({
  id: 'baseline.zlib',
  description: 'raw node:zlib gzip level 6 on desktop-like data: one core (sync) and all cores (libuv pool)',
  run: async (ctx) => (await import('./zlib.ts')).run(ctx)
})

/** baseline.level */
export const level = defineCase({
  id: 'baseline.level',
  description: 'raw LevelDB (classic-level): random get and 100-key range read on 100k keys',
  run: async (ctx) => (await import('./level.ts')).run(ctx)
})

/** baseline.ed25519 */
export const ed25519 = defineCase({
  id: 'baseline.ed25519',
  description: 'Ed25519 signature verifications per second, node:crypto, one core',
  run: async (ctx) => (await import('./ed25519.ts')).run(ctx)
})
