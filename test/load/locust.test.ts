import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startServerProcess } from '../../load/server-process.ts'

const LOCUST = '/usr/bin/locust'
const LOCUSTFILE = fileURLToPath(new URL('../../load/locust/locustfile.py', import.meta.url))
const GATEWAY = new URL('../../services/gateway/index.ts', import.meta.url).href
// CI installs Debian's python3-locust and sets this, so the interop check can never be skipped there.
const REQUIRED = process.env.LUCID_REQUIRE_LOCUST === '1'

test('the real Locust runs load/locust/locustfile.py against lucid serve --seed-demo --load-test with zero failures', {
  skip: !existsSync(LOCUST) && !REQUIRED ? 'Locust not installed (apt-get install python3-locust; CI installs it)' : false
}, async () => {
  assert.ok(existsSync(LOCUST), 'LUCID_REQUIRE_LOCUST=1 but /usr/bin/locust is missing')
  const dir = mkdtempSync(join(tmpdir(), 'lucid-locust-'))
  const server = await startServerProcess(GATEWAY, { options: { seedDemo: true, loadTest: true, dataDir: join(dir, 'data') }, timeoutMs: 120_000 })
  try {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        LOCUST,
        ['-f', LOCUSTFILE, '--headless', '-u', '20', '-r', '20', '-t', '20s', '--host', server.url, '--csv', join(dir, 'r'), '--only-summary'],
        { timeout: 120_000, env: { ...process.env, PYTHONWARNINGS: 'ignore' } },
        (err, stdout, stderr) => {
          resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr })
        }
      )
    })
    assert.equal(r.code, 0, r.stderr.slice(-2000))
    const rows = readFileSync(join(dir, 'r_stats.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(','))
    const agg = rows.find((c) => c[1] === 'Aggregated')
    assert.ok(agg !== undefined, 'an Aggregated row')
    assert.ok(Number(agg[2]) > 20, `${agg[2]} requests`)
    assert.equal(Number(agg[3]), 0, `failures: ${readFileSync(join(dir, 'r_failures.csv'), 'utf8')}`)
    const names = new Set(rows.slice(1).map((c) => c[1]))
    for (const n of ['/health', '/auth/login', '/sessions', '/chain/info', '/admin/auth/login']) assert.ok(names.has(n), `Locust called ${n}`)
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
