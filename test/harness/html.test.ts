import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { validateReport, type Report } from '../../harness/report/schema.ts'

const LUCID = fileURLToPath(new URL('../../bin/lucid.js', import.meta.url))
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync)
// CI installs Debian's chromium and sets this, so the browser check can never be skipped there.
const REQUIRED = process.env.LUCID_REQUIRE_CHROMIUM === '1'

describe('HTML and .hgrm reports from a real run', () => {
  let dir = ''
  let report: Report
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lucid-html-'))
    const r = spawnSync(
      process.execPath,
      [
        LUCID,
        'bench',
        'baseline',
        '--profile',
        'smoke',
        '--repeat',
        '3',
        '--html',
        join(dir, 'r.html'),
        '--hgrm',
        join(dir, 'h'),
        '--json',
        join(dir, 'r.json')
      ],
      { encoding: 'utf8', timeout: 240_000 }
    )
    assert.equal(r.status, 0, r.stderr)
    report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as Report
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('keeps every repeat and a spread per metric', () => {
    assert.deepEqual(validateReport(report), [])
    for (const r of report.results) {
      assert.equal(r.repeats.length, 3, r.id)
      const s = r.spread?.[Object.keys(r.metrics)[0]!]
      assert.ok(s !== undefined && s.n === 3 && s.ci95_low <= s.mean && s.mean <= s.ci95_high, `${r.id} spread`)
    }
  })

  it('writes HdrHistogram percentile files', () => {
    const files = readdirSync(join(dir, 'h'))
    assert.ok(files.includes('baseline.http.latency.hgrm'), files.join(' '))
    assert.ok(files.includes('baseline.http.uncorrected.hgrm'))
    const text = readFileSync(join(dir, 'h', 'baseline.http.latency.hgrm'), 'utf8')
    assert.match(text, /^\s+Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/)
    assert.match(text, /#\[Mean\s+=\s+[\d.]+, StdDeviation\s+=/)
  })

  it('writes a self-contained page', () => {
    const html = readFileSync(join(dir, 'r.html'), 'utf8')
    assert.doesNotMatch(html, /<script|<link|src="http|href="http|@import/, 'no scripts and no external assets')
    assert.ok((html.match(/<svg /g) ?? []).length >= 5, 'charts are inline SVG')
    assert.match(html, /baseline\.http: latency by percentile/)
    assert.match(html, /baseline\.http: throughput over time/)
    assert.match(html, /Environment/)
  })

  it('renders in headless Chromium with its charts visible', {
    skip: CHROMIUM === undefined && !REQUIRED ? 'Debian chromium not installed (CI installs it)' : false
  }, async () => {
    assert.ok(CHROMIUM !== undefined, 'LUCID_REQUIRE_CHROMIUM=1 but no chromium found')
    const { chromium } = await import('playwright-core')
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    })
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
      // Offline: any request that leaves the file would fail the page.
      const external: string[] = []
      page.on('request', (req) => {
        if (!req.url().startsWith('file:')) external.push(req.url())
      })
      await page.goto(pathToFileURL(join(dir, 'r.html')).href)
      const charts = page.locator('svg')
      assert.ok((await charts.count()) >= 5)
      for (let i = 0; i < (await charts.count()); i++) {
        const box = await charts.nth(i).boundingBox()
        assert.ok(box !== null && box.width > 300 && box.height > 150, `chart ${i} has a visible size`)
      }
      const lines = await page.locator('svg polyline.series').count()
      assert.ok(lines >= 6, `${lines} data lines drawn`)
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true })
      assert.ok(readFileSync(join(dir, 'report.png')).length > 20_000, 'a screenshot with content')
      assert.deepEqual(external, [])
    } finally {
      await browser.close()
    }
  })
})
