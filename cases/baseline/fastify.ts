/**
 * baseline.fastify: bare fastify serving the gateway's GET /health (fastify-server.ts), measured exactly as
 * gateway.health is (200 connections closed, 1000 req/s open), server and load in separate processes.
 * gateway.health divided by it is the cost of the gateway's logging, metrics, limits and hooks per request.
 * Always its own server, like baseline.http.
 */
import type { CaseRun } from '../../harness/case.ts'
import { measureHttp } from '../../load/http-case.ts'

/** Runs the case. */
export const run: CaseRun = (ctx) =>
  measureHttp(ctx, {
    serverModule: new URL('./fastify-server.ts', import.meta.url).href,
    serverName: 'fastify, GET /health only (child process)',
    ownServer: true,
    connections: 200,
    rate: 1000
  })
