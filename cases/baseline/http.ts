/**
 * baseline.http: raw node:http serving GET /health, measured exactly as the gateway cases are (closed model
 * at 100 connections for throughput, open model at 1000 req/s for latency), server and load generators in
 * separate processes. Always its own server: `--host URL` moves the system under test, never its baseline (a
 * gateway divided by itself measured nothing).
 */
import type { CaseRun } from '../../harness/case.ts'
import { measureHttp } from '../../load/http-case.ts'

/** Runs the case. */
export const run: CaseRun = (ctx) =>
  measureHttp(ctx, {
    serverModule: new URL('./http-server.ts', import.meta.url).href,
    serverName: 'node:http (child process)',
    ownServer: true,
    connections: 100,
    rate: 1000
  })
