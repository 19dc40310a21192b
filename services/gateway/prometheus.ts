/**
 * The registry behind GET /metrics: the reference's metric names (docs/reference.md section 7), pool
 * depths, and prom-client's default process metrics. docs/observability.md lists every family with its
 * source.
 *
 * Every family is read from its source when Prometheus scrapes (prom-client `collect` callbacks), not
 * pushed as things happen: the sources already keep the numbers (the per-route tallies, the chain's
 * telemetry, the session counters, the hashing pool), so a scrape costs a few microseconds per series and
 * a request costs nothing here.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Database } from '../db/index.ts'
import type { KdfPool } from './auth/passwords.ts'
import type { ChallengeStore } from './auth/wallet.ts'
import type { ChainPort } from './chain-port.ts'
import type { ConnectionCount } from './connections.ts'
import { DURATION_BUCKETS_S, type HttpMetrics } from './http-metrics.ts'
import { heapAfterGc } from './heap-after-gc.ts'
import type { SessionCounters } from './session-counters.ts'
import { RECORDING, type SessionService } from './sessions.ts'

/** The reference's metric names, every one of which /metrics exports (with a chain wired). */
export const REFERENCE_METRICS = [
  'http_requests_total',
  'http_request_duration_seconds',
  'api_gateway_active_connections',
  'blockchain_current_height',
  'blockchain_sync_lag_blocks',
  'blockchain_blocks_created_total',
  'consensus_failures_total',
  'blockchain_anchoring_queue_size',
  'session_active_sessions_total',
  'session_chunks_processed_total',
  'session_chunks_compressed_total',
  'session_chunks_encrypted_total'
] as const

/** What the metrics are read from. */
export interface MetricSources {
  readonly http: HttpMetrics
  readonly connections: ConnectionCount
  readonly chain: ChainPort | undefined
  readonly db: Database
  readonly sessions: SessionService
  readonly counters: SessionCounters
  readonly pool: KdfPool
  readonly challenges: ChallengeStore
}

type HttpLabel = 'method' | 'route' | 'status_code'

let processRegistry: Registry | undefined

/**
 * prom-client's default metrics (process CPU and memory, event-loop lag percentiles, GC durations, heap,
 * handles), once per process: they describe the process, and each registration starts its own event-loop
 * monitor and GC observer that are never stopped, so gateways built one after another (tests) share one.
 */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 10 })
    const live = heapAfterGc()
    gauge(
      processRegistry,
      'lucid_process_heap_after_major_gc_bytes',
      'V8 used heap right after the last major (mark-sweep-compact) collection, the live heap (0 before the first)',
      () => live.lastBytes ?? 0
    )
    gauge(
      processRegistry,
      'lucid_process_heap_code_after_major_gc_bytes',
      'Of that live heap, compiled code, bytecode and their metadata (0 before the first major collection)',
      () => live.lastCodeBytes ?? 0
    )
    counter(processRegistry, 'lucid_process_major_gc_total', 'Major (mark-sweep-compact) collections observed', () => live.majorCount)
  }
  return processRegistry
}

const DURATION_NAME = 'http_request_duration_seconds'
const DURATION_HELP = 'Server-side duration of HTTP answers (routing to the end of the response write), by method, route template and status'

/** One sample line as prom-client's registry formats it: `le` in labels, the series' labels shared. */
interface HistogramSample {
  metricName: string
  labels: { le?: number | string }
  sharedLabels: Record<HttpLabel, string>
  value: number
}

/**
 * `http_request_duration_seconds` built from the per-route tallies at scrape time. prom-client has no
 * public way to load bucket counts into a Histogram, so this one replaces the method its registry reads a
 * histogram's samples through (`getForPromString`, prom-client 15; `get()` reads through it too) and never
 * uses its own observe(). The /metrics test parses the exposition, so a prom-client that reads histograms
 * otherwise fails that test rather than production.
 */
class TallyHistogram extends Histogram<HttpLabel> {
  readonly #http: HttpMetrics

  constructor(http: HttpMetrics, registry: Registry) {
    super({ name: DURATION_NAME, help: DURATION_HELP, labelNames: ['method', 'route', 'status_code'], buckets: [...DURATION_BUCKETS_S], registers: [registry] })
    this.#http = http
  }

  /** The samples of every route and status, in prom-client's internal shape. */
  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: HistogramSample[] }> {
    const values: HistogramSample[] = []
    for (const t of this.#http.tallies) {
      for (const s of t.statuses.values()) {
        const shared = { method: t.method, route: t.route, status_code: String(s.status) }
        let cumulative = 0
        DURATION_BUCKETS_S.forEach((le, i) => {
          cumulative += s.buckets[i] as number
          values.push({ metricName: `${DURATION_NAME}_bucket`, labels: { le }, sharedLabels: shared, value: cumulative })
        })
        values.push({ metricName: `${DURATION_NAME}_bucket`, labels: { le: '+Inf' }, sharedLabels: shared, value: s.count })
        values.push({ metricName: `${DURATION_NAME}_sum`, labels: {}, sharedLabels: shared, value: s.sumS })
        values.push({ metricName: `${DURATION_NAME}_count`, labels: {}, sharedLabels: shared, value: s.count })
      }
    }
    return { name: DURATION_NAME, help: DURATION_HELP, type: 'histogram', aggregator: 'sum', values }
  }
}

/** A gauge whose value is read at every scrape. */
function gauge(registry: Registry, name: string, help: string, read: () => number | Promise<number>): void {
  const g: Gauge = new Gauge({
    name,
    help,
    registers: [registry],
    collect: async () => {
      g.set(await read())
    }
  })
}

/** A counter whose total is kept by its source and read at every scrape (it only grows). */
function counter(registry: Registry, name: string, help: string, read: () => number): void {
  const c: Counter = new Counter({
    name,
    help,
    registers: [registry],
    collect: () => {
      c.reset()
      c.inc(read())
    }
  })
}

/** The gateway's registry, merged with the process-wide default metrics. */
export function createMetricsRegistry(src: MetricSources): Registry {
  const r = new Registry()

  const requests: Counter<HttpLabel> = new Counter({
    name: 'http_requests_total',
    help: 'HTTP answers by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    registers: [r],
    collect: () => {
      requests.reset()
      for (const t of src.http.tallies) {
        for (const s of t.statuses.values()) requests.inc({ method: t.method, route: t.route, status_code: String(s.status) }, s.count)
      }
    }
  })
  // Registered by its constructor; nothing else refers to it.
  void new TallyHistogram(src.http, r)
  gauge(r, 'api_gateway_active_connections', 'Open TCP connections to the gateway', () => src.connections.open)

  const chain = src.chain
  // Without a chain (validators: 0) the chain families are absent rather than a misleading 0.
  if (chain !== undefined) {
    gauge(r, 'blockchain_current_height', 'Height of the chain head the gateway answers from', () => chain.telemetry().height)
    gauge(r, 'blockchain_finalized_height', 'Height of the newest final block', () => chain.telemetry().finalized_height)
    gauge(
      r,
      'blockchain_sync_lag_blocks',
      "Final blocks the best-synced validator has that the gateway's node has not",
      () => chain.telemetry().sync_lag_blocks
    )
    counter(r, 'blockchain_blocks_created_total', 'Blocks that became final since the gateway started', () => chain.telemetry().blocks_created)
    counter(r, 'consensus_failures_total', 'Slots that ended without a final block since the gateway started', () => chain.telemetry().consensus_failures)
    gauge(
      r,
      'blockchain_anchoring_queue_size',
      'Transactions (session and data anchors, client transactions) waiting for a block',
      () => chain.telemetry().pending_transactions
    )
  }

  // A failed count (the database closing under a scrape) keeps the last value instead of failing the scrape.
  let active = 0
  gauge(r, 'session_active_sessions_total', "Sessions in the recording state (the database's status counter)", async () => {
    active = await src.db.sessions.countByStatus().then(
      (c) => c[RECORDING] ?? 0,
      () => active
    )
    return active
  })
  counter(r, 'session_chunks_processed_total', 'Chunks acknowledged by the session pipeline (stored and their metadata written)', () => src.counters.processed)
  counter(r, 'session_chunks_compressed_total', 'Chunks compressed (gzip 6) by the session pipeline', () => src.counters.compressed)
  counter(r, 'session_chunks_encrypted_total', 'Chunks sealed (AES-256-GCM) and stored by the session pipeline', () => src.counters.encrypted)

  gauge(r, 'lucid_gateway_kdf_running', 'Password hashes being computed now', () => src.pool.running)
  gauge(r, 'lucid_gateway_kdf_queued', 'Password checks waiting for a hashing slot', () => src.pool.queued)
  gauge(r, 'lucid_gateway_kdf_concurrency', 'Password hashes computed at once at most', () => src.pool.concurrency)
  gauge(r, 'lucid_gateway_kdf_queue_limit', 'Password checks allowed to wait before 503 LUCID_ERR_3002', () => src.pool.queueLimit)
  gauge(r, 'lucid_gateway_open_recorders', 'Session recordings open for upload', () => src.sessions.openRecordings)
  gauge(r, 'lucid_gateway_wallet_challenges', 'Wallet login challenges issued and not yet used or expired', () => src.challenges.size)

  return Registry.merge([processMetrics(), r])
}
