/**
 * GET /metrics and GET /debug/timing: the exposition parses strictly as Prometheus text, carries every name
 * of the reference (docs/reference.md section 7) with the values the traffic of the test implies (route
 * labels are templates), the chain figures come from a running devnet, and the access rules hold.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as hdr from 'hdr-histogram-js'
import type { Database } from '../../services/db/index.ts'
import { openChainPort } from '../../services/gateway/chain-adapter.ts'
import { REFERENCE_METRICS } from '../../services/gateway/prometheus.ts'
import { DEFAULT_TIERS } from '../../services/gateway/config.ts'
import { UNMATCHED_ROUTE } from '../../services/gateway/http-metrics.ts'
import { call, login, passwordOf, testGateway } from './helpers.ts'
import { parsePrometheusText, sampleValue, type Family } from './prom-text.ts'

/** A devnet with 1 s slots (as chain-e2e.test.ts), so blocks are made within the test. */
const fastChain = async (dataDir: string, db: Database) =>
  await openChainPort({ validators: 4, dataDir, db, params: { slot_ms: 1_000, leader_timeout_ms: 500 } })

async function scrape(base: string): Promise<Map<string, Family>> {
  const r = await call(base, 'GET', '/metrics')
  assert.equal(r.status, 200, r.text)
  assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8')
  return parsePrometheusText(r.text)
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

test('/metrics carries every reference metric with the values the traffic implies; route labels are templates', async () => {
  const tiers = { ...DEFAULT_TIERS, public: 6, uploadBytesPerS: 1e9 }
  const g = await testGateway({ config: { rateLimits: tiers }, chain: fastChain, accounts: ['session_user_1'] })
  try {
    for (let i = 0; i < 3; i++) assert.equal((await call(g.base, 'GET', '/health')).status, 200)
    for (let i = 0; i < 2; i++) assert.equal((await call(g.base, 'GET', '/api/v1/health')).status, 200)
    const token = await login(g.base, 'session_user_1', passwordOf('session_user_1'))
    // Two sessions, two chunks into one of them, which is then finalised: one stays recording.
    const s1 = (await call(g.base, 'POST', '/sessions', { token, json: { session_type: 'rdp' } })).json.session_id as string
    const s2 = (await call(g.base, 'POST', '/sessions', { token, json: { session_type: 'rdp' } })).json.session_id as string
    for (let i = 0; i < 2; i++) {
      const up = await call(g.base, 'POST', `/sessions/${s1}/chunks`, {
        token,
        body: Buffer.alloc(4096, i + 1),
        headers: { 'content-type': 'application/octet-stream' }
      })
      assert.equal(up.status, 201, up.text)
    }
    assert.equal((await call(g.base, 'POST', `/sessions/${s1}/finalize`, { token })).status, 200)
    assert.equal((await call(g.base, 'GET', `/sessions/${s2}`, { token })).status, 200)
    assert.equal((await call(g.base, 'GET', '/sessions/no-such-session', { token })).status, 404)
    assert.equal((await call(g.base, 'GET', '/no/such/route/4711')).status, 404)
    // The public budget (6/min) is spent by the login, the unmatched request and these: some get 429.
    const config = { 200: 0, 429: 0 }
    for (let i = 0; i < 8; i++) {
      const st = (await call(g.base, 'GET', '/config')).status
      assert.ok(st === 200 || st === 429, `GET /config answered ${st}`)
      config[st]++
    }
    assert.ok(config[429] >= 1, 'the burst was rate limited')
    await until(
      'a final block',
      async () => (await g.ctx.chain?.info())?.finalized_height !== undefined && ((await g.ctx.chain?.info())?.finalized_height ?? 0) >= 1
    )

    const m = await scrape(g.base)
    for (const name of REFERENCE_METRICS) assert.ok(m.has(name), `${name} is exported`)
    assert.equal(m.get('http_requests_total')?.type, 'counter')
    assert.equal(m.get('http_request_duration_seconds')?.type, 'histogram')
    for (const [name, type] of [
      ['api_gateway_active_connections', 'gauge'],
      ['blockchain_current_height', 'gauge'],
      ['blockchain_sync_lag_blocks', 'gauge'],
      ['blockchain_blocks_created_total', 'counter'],
      ['consensus_failures_total', 'counter'],
      ['blockchain_anchoring_queue_size', 'gauge'],
      ['session_active_sessions_total', 'gauge'],
      ['session_chunks_processed_total', 'counter']
    ] as const) {
      assert.equal(m.get(name)?.type, type, name)
    }

    const req = (method: string, route: string, status: number): number => sampleValue(m, 'http_requests_total', { method, route, status_code: String(status) })
    assert.equal(req('GET', '/health', 200), 3)
    assert.equal(req('GET', '/api/v1/health', 200), 2)
    assert.equal(req('POST', '/auth/login', 200), 1)
    assert.equal(req('POST', '/sessions', 201), 2)
    assert.equal(req('POST', '/sessions/:id/chunks', 201), 2)
    assert.equal(req('GET', '/sessions/:id', 200), 1)
    assert.equal(req('GET', '/sessions/:id', 404), 1)
    assert.equal(req('GET', UNMATCHED_ROUTE, 404), 1)
    assert.equal(req('GET', '/config', 200), config[200])
    assert.equal(req('GET', '/config', 429), config[429])
    // Never a raw URL: no label value carries an id or the unknown path.
    const routes = new Set(m.get('http_requests_total')?.samples.map((s) => s.labels.route))
    for (const r of routes) {
      assert.ok(r === UNMATCHED_ROUTE || /^(\/[a-z0-9_.:-]*)+$/i.test(r ?? ''), `route label ${String(r)}`)
      assert.ok(!(r ?? '').includes(s1) && !(r ?? '').includes('no-such-session') && !(r ?? '').includes('4711'), `route label ${String(r)} is a raw URL`)
    }
    // The histogram counts the same answers as the counter, series by series.
    for (const s of m.get('http_requests_total')?.samples ?? []) {
      assert.equal(sampleValue(m, 'http_request_duration_seconds_count', s.labels), s.value, JSON.stringify(s.labels))
      assert.ok(sampleValue(m, 'http_request_duration_seconds_sum', s.labels) > 0)
    }

    assert.equal(sampleValue(m, 'session_chunks_compressed_total'), 2)
    assert.equal(sampleValue(m, 'session_chunks_encrypted_total'), 2)
    assert.equal(sampleValue(m, 'session_chunks_processed_total'), 2)
    assert.equal(sampleValue(m, 'session_active_sessions_total'), 1, 's2 is recording, s1 is finalised')
    assert.ok(sampleValue(m, 'api_gateway_active_connections') >= 1)
    assert.ok(sampleValue(m, 'blockchain_current_height') >= 1)
    assert.ok(sampleValue(m, 'blockchain_blocks_created_total') >= 1)
    assert.ok(sampleValue(m, 'blockchain_finalized_height') <= sampleValue(m, 'blockchain_current_height'))
    assert.equal(sampleValue(m, 'blockchain_sync_lag_blocks') >= 0, true)
    assert.ok(sampleValue(m, 'consensus_failures_total') >= 0)
    // The finalisation submitted s1's anchor: it waits in the pool or is already in a block.
    assert.ok(sampleValue(m, 'blockchain_anchoring_queue_size') >= 0)
    assert.equal(sampleValue(m, 'lucid_gateway_open_recorders'), 0, 'creating s2 opened no recorder (only an upload does), s1 was closed by its finalisation')
    assert.ok(m.has('lucid_process_heap_after_major_gc_bytes') && m.has('lucid_process_major_gc_total'), 'the live-heap gauge the soak fits')
    assert.equal(sampleValue(m, 'lucid_gateway_kdf_running'), 0)
    assert.equal(sampleValue(m, 'lucid_gateway_kdf_queued'), 0)
    assert.equal(sampleValue(m, 'lucid_gateway_kdf_concurrency'), g.ctx.pool.concurrency)
    // prom-client's process metrics: event-loop lag percentiles, GC durations, memory, CPU.
    assert.ok(sampleValue(m, 'nodejs_eventloop_lag_p99_seconds') >= 0)
    assert.equal(m.get('nodejs_gc_duration_seconds')?.type, 'histogram')
    assert.ok(sampleValue(m, 'process_resident_memory_bytes') > 0)
    assert.ok(sampleValue(m, 'process_cpu_user_seconds_total') > 0)

    // A second scrape: counters only grow, and the first scrape is itself counted.
    const again = await scrape(g.base)
    assert.equal(sampleValue(again, 'http_requests_total', { method: 'GET', route: '/metrics', status_code: '200' }), 1)
    assert.ok(sampleValue(again, 'blockchain_blocks_created_total') >= sampleValue(m, 'blockchain_blocks_created_total'))
    assert.equal(sampleValue(again, 'http_requests_total', { method: 'GET', route: '/health', status_code: '200' }), 3)
  } finally {
    await g.close()
  }
})

test('without a chain the chain families are absent, not zero', async () => {
  const g = await testGateway({ accounts: [] })
  try {
    const m = await scrape(g.base)
    for (const name of [
      'blockchain_current_height',
      'blockchain_sync_lag_blocks',
      'blockchain_blocks_created_total',
      'consensus_failures_total',
      'blockchain_anchoring_queue_size'
    ])
      assert.equal(m.has(name), false, name)
    assert.ok(m.has('http_requests_total') && m.has('session_chunks_processed_total'))
  } finally {
    await g.close()
  }
})

test('access: /metrics is open to loopback callers, an Admin elsewhere; /debug/timing needs an Admin unless --load-test', async () => {
  const g = await testGateway({ accounts: ['test_user_1', 'admin'] })
  try {
    const user = await login(g.base, 'test_user_1', passwordOf('test_user_1'))
    const admin = await login(g.base, 'admin', passwordOf('admin'), '/admin/auth/login')
    const remote = async (url: string, token?: string, headers: Record<string, string> = {}): Promise<number> =>
      (
        await g.app.inject({
          method: 'GET',
          url,
          remoteAddress: '203.0.113.7',
          headers: { ...headers, ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) }
        })
      ).statusCode

    assert.equal((await call(g.base, 'GET', '/metrics')).status, 200, 'loopback')
    assert.equal((await call(g.base, 'GET', '/api/v1/metrics')).status, 200, 'loopback, under the prefix')
    assert.equal((await call(g.base, 'GET', '/metrics', { headers: { 'x-forwarded-for': '198.51.100.1' } })).status, 401, 'forwarded by a proxy on this host')
    assert.equal((await call(g.base, 'GET', '/metrics', { headers: { forwarded: 'for=198.51.100.1' } })).status, 401)
    assert.equal(await remote('/metrics'), 401)
    assert.equal(await remote('/metrics', 'not-a-token'), 401)
    assert.equal(await remote('/metrics', user), 403)
    assert.equal(await remote('/metrics', admin), 200)

    assert.equal((await call(g.base, 'GET', '/debug/timing')).status, 401, 'loopback is not enough for the timing')
    assert.equal((await call(g.base, 'GET', '/debug/timing', { token: user })).status, 403)
    assert.equal((await call(g.base, 'GET', '/debug/timing', { token: admin })).status, 200)
    assert.equal(await remote('/debug/timing', admin), 200)
  } finally {
    await g.close()
  }

  const lt = await testGateway({ config: { loadTest: true, rateLimits: false }, accounts: [] })
  try {
    const anyone = async (url: string): Promise<number> => (await lt.app.inject({ method: 'GET', url, remoteAddress: '203.0.113.7' })).statusCode
    assert.equal(await anyone('/metrics'), 200)
    assert.equal(await anyone('/debug/timing'), 200)
  } finally {
    await lt.close()
  }
})

test('/debug/timing: per route template, HDR in µs holding the answers below 400, statuses, reset', async () => {
  const g = await testGateway({ config: { loadTest: true, rateLimits: false }, accounts: [] })
  try {
    for (let i = 0; i < 5; i++) await call(g.base, 'GET', '/health')
    await call(g.base, 'GET', '/sessions/abc')
    const a = await call(g.base, 'GET', '/debug/timing?reset=1')
    assert.equal(a.status, 200)
    const t = a.json
    assert.equal(t.unit, 'us')
    assert.equal(t.reset, true)
    assert.ok(Number.isInteger(t.since) && t.until >= t.since)
    const health = t.routes['GET /health']
    assert.deepEqual([health.method, health.route, health.count, health.statuses], ['GET', '/health', 5, { 200: 5 }])
    const h = hdr.decodeFromCompressedBase64(health.histogram, 32, false)
    assert.equal(h.totalCount, 5)
    assert.ok(h.minNonZeroValue >= 1 && h.maxValue < 60_000_000, `values in µs (max ${h.maxValue})`)
    const unauth = t.routes['GET /sessions/:id']
    assert.deepEqual([unauth.count, unauth.statuses], [0, { 401: 1 }], 'error answers are counted, not timed')
    assert.equal(hdr.decodeFromCompressedBase64(unauth.histogram, 32, false).totalCount, 0)

    // After the reset only the timing call itself has been answered since.
    const b = (await call(g.base, 'GET', '/debug/timing')).json
    assert.deepEqual(Object.keys(b.routes), ['GET /debug/timing'])
    assert.equal(b.since, t.until)
    assert.equal(b.reset, false)
    // The Prometheus counters are not reset with the timing.
    const m = await scrape(g.base)
    assert.equal(sampleValue(m, 'http_requests_total', { method: 'GET', route: '/health', status_code: '200' }), 5)
    assert.equal((await call(g.base, 'GET', '/debug/timing?reset=yes')).status, 400)
  } finally {
    await g.close()
  }
})
