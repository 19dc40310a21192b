/**
 * baseline.http: raw node:http serving GET /health, measured exactly as the gateway cases are (closed model
 * at 100 connections for throughput, open model at 1000 req/s for latency), server and load generators in
 * separate processes. With `--target URL` it measures that server's /health instead.
 */
import type { CaseRun } from '../../harness/case.ts'
import { measureHttp } from '../../load/http-case.ts'

/** Runs the case. */
export const run: CaseRun = (ctx) =>
  measureHttp(ctx, {
    serverModule: new URL('./http-server.ts', import.meta.url).href,
    serverName: 'node:http (child process)',
    connections: 100,
    rate: 1000
  })
