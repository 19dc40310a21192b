/**
 * The shipped Grafana dashboard (ops/grafana/lucid-dashboard.json) and Prometheus alert rules
 * (ops/prometheus/alerts.yml) name only metrics GET /metrics exports, the dashboard shows every reference
 * metric, and the rules are the reference's four alerts with their thresholds.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { REFERENCE_METRICS } from '../../services/gateway/prometheus.ts'
import { ChainDouble } from './chain-double.ts'
import { call, testGateway } from './helpers.ts'
import { parsePrometheusText, promqlMetricNames } from './prom-text.ts'

const ROOT = new URL('../../', import.meta.url)

/** Every series name /metrics can carry: each family, and _bucket/_sum/_count of the histograms. */
async function exportedNames(): Promise<Set<string>> {
  const g = await testGateway({ chain: new ChainDouble(), accounts: [] })
  try {
    await call(g.base, 'GET', '/health')
    const r = await call(g.base, 'GET', '/metrics')
    assert.equal(r.status, 200)
    const names = new Set<string>()
    for (const f of parsePrometheusText(r.text).values()) {
      names.add(f.name)
      if (f.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(f.name + s)
    }
    return names
  } finally {
    await g.close()
  }
}

/** The `expr` of every rule: one-line (`expr: ...`) or a block scalar (`expr: |` and its indented lines). */
function ruleExprs(yml: string): Array<{ alert: string; expr: string }> {
  const out: Array<{ alert: string; expr: string }> = []
  const lines = yml.split('\n')
  let alert = ''
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    const a = /^\s*- alert: (\S+)\s*$/.exec(line)
    if (a !== null) alert = a[1] as string
    const m = /^(\s*)expr:\s*(.*)$/.exec(line)
    if (m === null) continue
    const indent = (m[1] as string).length
    let expr = m[2] as string
    if (expr === '|' || expr === '>') {
      const body: string[] = []
      while (i + 1 < lines.length && (/^\s*$/.test(lines[i + 1] as string) || (lines[i + 1] as string).search(/\S/) > indent))
        body.push((lines[++i] as string).trim())
      expr = body.join(' ').trim()
    }
    assert.notEqual(expr, '', `rule ${alert} has an empty expr`)
    out.push({ alert, expr })
  }
  return out
}

/** Every `expr` in the dashboard's panels (rows included). */
function dashboardExprs(d: { panels?: unknown[] }): string[] {
  const out: string[] = []
  const walk = (panels: unknown[]): void => {
    for (const p of panels as Array<{ targets?: Array<{ expr?: string }>; panels?: unknown[] }>) {
      for (const t of p.targets ?? []) if (typeof t.expr === 'string') out.push(t.expr)
      walk(p.panels ?? [])
    }
  }
  walk(d.panels ?? [])
  return out
}

test('promqlMetricNames reads metric names, not functions, labels, keywords or durations', () => {
  assert.deepEqual(promqlMetricNames('histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{route!~"/x"}[5m]))) > 2'), [
    'http_request_duration_seconds_bucket'
  ])
  assert.deepEqual(promqlMetricNames('sum(rate(a_total{status_code=~"5.."}[5m])) / sum(rate(b_total[5m])) > 0.05'), ['a_total', 'b_total'])
  assert.deepEqual(promqlMetricNames('max(lag) > 1e2 and on (job) up == bool 1'), ['lag', 'up'])
})

test('the dashboard and the alert rules name only exported metrics; the dashboard shows every reference metric', async () => {
  const exported = await exportedNames()
  const dashboard = JSON.parse(await readFile(new URL('ops/grafana/lucid-dashboard.json', ROOT), 'utf8')) as { title: string; panels: unknown[] }
  const rules = ruleExprs(await readFile(new URL('ops/prometheus/alerts.yml', ROOT), 'utf8'))
  const dashExprs = dashboardExprs(dashboard)
  assert.ok(dashExprs.length >= 10, 'the dashboard has its panels')
  const used = new Set<string>()
  for (const [where, expr] of [...dashExprs.map((e) => ['dashboard', e]), ...rules.map((r) => [`alert ${r.alert}`, r.expr])] as Array<[string, string]>) {
    const names = promqlMetricNames(expr)
    assert.ok(names.length > 0, `${where}: ${expr} names no metric`)
    for (const n of names) {
      assert.ok(exported.has(n), `${where} names ${n}, which /metrics does not export`)
      if (where === 'dashboard') used.add(n.replace(/_(bucket|sum|count)$/, ''))
    }
  }
  for (const name of REFERENCE_METRICS) assert.ok(used.has(name), `the dashboard shows ${name}`)
  for (const name of ['nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes', 'nodejs_gc_duration_seconds'])
    assert.ok(used.has(name), `the dashboard shows ${name}`)
})

test('the alert rules are the reference alerts: p95 > 2 s, 5xx > 5 %, 429 > 1/s, sync lag > 100 blocks', async () => {
  const rules = ruleExprs(await readFile(new URL('ops/prometheus/alerts.yml', ROOT), 'utf8'))
  const by = new Map(rules.map((r) => [r.alert, r.expr.replace(/\s+/g, ' ')]))
  assert.equal(rules.length, 4)
  assert.match(by.get('LucidHighLatencyP95') ?? '', /^histogram_quantile\(0\.95, .*http_request_duration_seconds_bucket.*\) > 2$/)
  assert.match(by.get('LucidHigh5xxRate') ?? '', /status_code=~"5\.\."\}.*\/ sum\(rate\(http_requests_total\[5m\]\)\) > 0\.05$/)
  assert.match(by.get('LucidRateLimited') ?? '', /^sum\(rate\(http_requests_total\{status_code="429"\}\[5m\]\)\) > 1$/)
  assert.match(by.get('LucidChainSyncLag') ?? '', /^max\(blockchain_sync_lag_blocks\) > 100$/)
})
