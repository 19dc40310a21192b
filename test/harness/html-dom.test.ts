// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's Locator.innerText, the rendered text a reader sees (table cells apart), not the DOM property the rule is about
/**
 * Both HTML reports (lucid bench's and lucid load's) rendered in headless Chromium from fixed reports, their
 * fixed elements read from the DOM (issue 21, item 3): colours true to the legend, goals drawn apart from
 * targets, the judged closed-model throughput drawn, the same-run baseline and ratio shown, intervals only from
 * three repeats; the load page's true title, endpoint table, users over time, failures, percentile curve, p95
 * target line and failing endpoint.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { renderHtml } from '../../harness/report/html.ts'
import type { Report, ResultEntry } from '../../harness/report/schema.ts'
import { createHistogram, encodeHistogram, recordMs } from '../../harness/stats/histogram.ts'
import { loadHtmlOptions, loadSections } from '../../load/report/html.ts'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync)
const REQUIRED = process.env.LUCID_REQUIRE_CHROMIUM === '1'

const ENV: Report['env'] = {
  node: 'v20',
  cpu: 'test',
  cores: 2,
  platform: 'linux',
  total_mem_bytes: 1,
  loadavg_before: [0, 0, 0],
  loadavg_after: [0, 0, 0],
  commit: 'test',
  date: '2026-01-01T00:00:00Z'
}

/** A histogram of `n` latencies spread from `lo` to `hi` ms. */
function hist(lo: number, hi: number, n = 1000): string {
  const h = createHistogram()
  for (let i = 0; i < n; i++) recordMs(h, lo + ((hi - lo) * i) / n)
  return encodeHistogram(h)
}

const spread = (n: number): { n: number; min: number; max: number; mean: number; stdev: number; ci95_low: number; ci95_high: number } => ({
  n,
  min: 5000,
  max: 7000,
  mean: 6000,
  stdev: 1000,
  ci95_low: -7013,
  ci95_high: 13778
})

function benchReport(): Report {
  const baseline: ResultEntry = {
    id: 'baseline.http',
    component: 'baseline',
    status: 'completed',
    conditions: {},
    metrics: { requests_per_s: 16000, p99_ms: 2 },
    repeats: [{}, {}, {}],
    spread: { requests_per_s: spread(3) },
    baselines: [],
    targets: [{ metric: 'requests_per_s', op: '>', value: 1, measured: 16000, verdict: 'pass', source: 'test' }],
    goals: [],
    duration_s: 1,
    verdict: 'pass'
  }
  const gateway: ResultEntry = {
    id: 'gateway.health',
    component: 'gateway',
    status: 'completed',
    conditions: { closed_model: 'autocannon' },
    metrics: { requests_per_s: 6000, p95_ms: 40, p99_ms: 120, requests_per_s_vs_http_x: 0.375, p99_ms_vs_http_x: 60 },
    repeats: [{}, {}],
    spread: { requests_per_s: spread(2) },
    baselines: [{ id: 'baseline.http', metrics: { requests_per_s: 16000, p99_ms: 2 } }],
    targets: [
      { metric: 'requests_per_s', op: '>', value: 1000, measured: 6000, verdict: 'pass', source: 'seed' },
      { metric: 'p95_ms', op: '<', value: 50, measured: 40, verdict: 'pass', source: 'seed' },
      { metric: 'p99_ms', op: '<', value: 100, measured: 120, verdict: 'fail', source: 'seed' }
    ],
    goals: [{ metric: 'p99_ms', op: '<=', value: 5, measured: 120, verdict: 'fail', source: 'beyond the seed' }],
    histograms: { latency: hist(1, 150), uncorrected: hist(0.5, 100) },
    series: [0, 1, 2, 3].map((t) => ({ t, requests_per_s: 1000, closed_requests_per_s: 6000 + t, p50_ms: 3, p95_ms: 40, p99_ms: 120, errors: 0 })),
    duration_s: 1,
    verdict: 'fail'
  }
  return { schema: 'lucid-bench/1', verdict: 'fail', profile: 'quick', judged: true, strict: false, env: ENV, results: [baseline, gateway] }
}

function loadReport(): Report {
  const endpoint = (method: string, name: string, p95: number, failures: Record<string, number>) => ({
    method,
    name,
    requests: 100,
    failures: Object.values(failures).reduce((a, b) => a + b, 0),
    requests_per_s: 10,
    failures_per_s: 0,
    mean_ms: p95 / 2,
    min_ms: 1,
    max_ms: p95 * 2,
    percentiles_ms: { p50_ms: p95 / 3, p90_ms: p95 * 0.9, p95_ms: p95, p99_ms: p95 * 1.5 },
    failure_reasons: failures
  })
  const entry: ResultEntry = {
    id: 'load.light',
    component: 'load',
    status: 'completed',
    conditions: { scenario: 'light', users: 10, spawn_rate_per_s: 2, duration_s: 60, time_scale: 1, engine: 'lucid', server: 'http://127.0.0.1:8080' },
    metrics: { error_ratio: 0.01, p95_ms: 900, max_endpoint_p95_ms: 1600 },
    repeats: [{}],
    baselines: [],
    targets: [
      { metric: 'error_ratio', op: '<', value: 0.05, measured: 0.01, verdict: 'pass', source: 'seed' },
      { metric: 'max_endpoint_p95_ms', op: '<', value: 100, measured: 1600, verdict: 'fail', source: 'seed' }
    ],
    goals: [],
    histograms: { 'GET /health': hist(1, 20), 'POST /auth/login': hist(200, 1800), Aggregated: hist(1, 1800) },
    endpoints: [
      endpoint('GET', '/health', 12, {}),
      endpoint('POST', '/auth/login', 1600, { 'HTTP 503 LUCID_ERR_3002': 3 }),
      endpoint('', 'Aggregated', 900, { 'HTTP 503 LUCID_ERR_3002': 3 })
    ],
    series: [0, 1, 2, 3, 4].map((t) => ({ t, users: 2 * (t + 1), requests_per_s: 10, p50_ms: 10, p95_ms: 900, p99_ms: 1500, errors: 0 })),
    duration_s: 60,
    verdict: 'fail'
  }
  return { schema: 'lucid-bench/1', verdict: 'fail', profile: 'full', judged: true, strict: false, env: ENV, results: [entry] }
}

describe('the HTML reports read in Chromium (issue 21)', {
  skip: CHROMIUM === undefined && !REQUIRED ? 'Debian chromium not installed (CI installs it)' : false
}, () => {
  let dir = ''
  let browser: Browser
  let bench: Page
  let load: Page
  before(async () => {
    assert.ok(CHROMIUM !== undefined, 'LUCID_REQUIRE_CHROMIUM=1 but no chromium found')
    dir = mkdtempSync(join(tmpdir(), 'lucid-html-dom-'))
    writeFileSync(join(dir, 'bench.html'), renderHtml(benchReport(), { extra: loadSections }))
    const lr = loadReport()
    writeFileSync(join(dir, 'load.html'), renderHtml(lr, loadHtmlOptions(lr)))
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] })
    bench = await browser.newPage()
    await bench.goto(pathToFileURL(join(dir, 'bench.html')).href)
    load = await browser.newPage()
    await load.goto(pathToFileURL(join(dir, 'load.html')).href)
  })
  after(async () => {
    await browser?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** The target, goal or reference lines of the chart titled `title`: label, class, colour, dash. */
  const linesOf = (page: Page, title: string) =>
    page.locator(`svg[aria-label="${title}"] line[data-label]`).evaluateAll((els) =>
      els.map((e) => ({
        label: e.getAttribute('data-label'),
        kind: e.getAttribute('class'),
        stroke: e.getAttribute('stroke'),
        dash: e.getAttribute('stroke-dasharray')
      }))
    )

  it('bench: a met throughput target is green, a missed latency target red, as the legend says', async () => {
    assert.match(await bench.locator('p.legend').innerText(), /green met, red missed/)
    const rate = await linesOf(bench, 'gateway.health: throughput over time')
    assert.deepEqual(
      rate.find((l) => l.kind === 'target'),
      { label: 'requests/s > 1,000', kind: 'target', stroke: '#2a2', dash: '6 4' }
    )
    const lat = await linesOf(bench, 'gateway.health: latency by percentile')
    assert.equal(lat.find((l) => l.label === 'p95 < 50.0')?.stroke, '#2a2')
    assert.equal(lat.find((l) => l.label === 'p99 < 100')?.stroke, '#c00')
  })

  it('bench: goals are drawn apart from targets (dotted, labelled goal)', async () => {
    const lat = await linesOf(bench, 'gateway.health: latency by percentile')
    const goal = lat.find((l) => l.kind === 'goal')
    assert.equal(goal?.label, 'goal p99 <= 5.00')
    assert.notEqual(goal?.dash, lat.find((l) => l.kind === 'target')?.dash)
    assert.match(await bench.locator('#gateway\\.health table.targets tr.goal').first().innerText(), /goal not met/)
  })

  it('bench: throughput over time plots the judged closed-model figure, not only the open model', async () => {
    const names = await bench
      .locator('svg[aria-label="gateway.health: throughput over time"] polyline.series')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))
    assert.deepEqual(names, ['closed model (judged)', 'open model (fixed rate)'])
    const rate = await linesOf(bench, 'gateway.health: throughput over time')
    assert.equal(rate.find((l) => l.kind === 'reference')?.label, 'judged 6,000/s')
  })

  it('bench: the same-run baseline and the ratio to it', async () => {
    const rows = await bench.locator('#gateway\\.health table.baselines tr.ratio').allInnerTexts()
    assert.equal(rows.length, 2)
    assert.match(rows[0]!, /requests_per_s\s+6,000\s+baseline\.http\s+16,000\s+0\.375x/)
    assert.match(await bench.locator('body > table').first().innerText(), /requests_per_s_vs_http_x 0\.375x/)
  })

  it('bench: a 95 % interval only from three or more repeats', async () => {
    const two = await bench.locator('#gateway\\.health td.spread').first().innerText()
    assert.doesNotMatch(two, /CI|-7,013/)
    assert.match(two, /n=2/)
    assert.match(await bench.locator('#baseline\\.http td.spread').innerText(), /-7,013 \.\. 13,778 \(95 % CI, n=3\)/)
  })

  it('load: a true title and the run, never "lucid bench" or "Profile full"', async () => {
    assert.equal(await load.title(), 'lucid load: light: fail')
    const sub = await load.locator('p.subtitle').innerText()
    assert.match(sub, /Scenario light: engine lucid, 10 users, spawned at 2\/s, 60 s, time scale 1 \(real pace\), against http:\/\/127\.0\.0\.1:8080/)
    assert.doesNotMatch(await load.locator('body').innerText(), /Profile full|lucid bench/)
  })

  it('load: the request statistics per endpoint, the failures and the failing endpoint', async () => {
    const rows = await load.locator('table.endpoints tr').allInnerTexts()
    assert.equal(rows.length, 4, 'a header and three rows')
    assert.match(rows[2]!, /POST\s+\/auth\/login\s+100\s+3/)
    assert.match(await load.locator('table.endpoints tr.failing').innerText(), /\/auth\/login/)
    assert.match(await load.locator('table.failures').innerText(), /POST\s+\/auth\/login\s+HTTP 503 LUCID_ERR_3002\s+3/)
    assert.match(
      await load.locator('p.failing-endpoint').innerText(),
      /Failing endpoint: POST \/auth\/login, p95 1,600 ms against the per-endpoint target < 100 ms/
    )
  })

  it('load: users over time, the percentile curve and the p95 target line', async () => {
    const users = await load.locator('svg[aria-label="load.light: users over time"] polyline.series').count()
    assert.equal(users, 1)
    const curves = await load
      .locator('svg[aria-label="load.light: response time by percentile"] polyline.series')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))
    assert.deepEqual(curves, ['all requests', 'POST /auth/login (slowest p95)'])
    const lines = await linesOf(load, 'load.light: response time by percentile')
    assert.deepEqual(lines, [{ label: 'endpoint p95 < 100', kind: 'target', stroke: '#c00', dash: '6 4' }])
    assert.equal((await linesOf(load, 'load.light: p95 response time over time')).length, 1)
    for (const svg of await load.locator('svg').all()) {
      const box = await svg.boundingBox()
      assert.ok(box !== null && box.width > 300 && box.height > 150, 'each chart has a visible size')
    }
  })
})
