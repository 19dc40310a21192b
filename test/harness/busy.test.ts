/**
 * `--busy N` and the load recorded per case: the spinners exist while the run lasts and are gone after it,
 * the sampler keeps start, end and the highest reading, and the table prints them.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startBusy } from '../../harness/busy.ts'
import { sampleLoad } from '../../harness/env.ts'
import { renderTable } from '../../harness/report/console.ts'
import type { Report } from '../../harness/report/schema.ts'

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('busy processes and load per case', () => {
  it('starts N spinners and stops every one of them', async () => {
    const b = startBusy(2)
    assert.equal(b.pids.length, 2)
    for (const pid of b.pids) assert.ok(alive(pid), `spinner ${pid} running`)
    await b.stop()
    for (const pid of b.pids) assert.ok(!alive(pid), `spinner ${pid} stopped`)
    await b.stop()
  })

  it('starts none for 0', async () => {
    const b = startBusy(0)
    assert.deepEqual(b.pids, [])
    await b.stop()
  })

  it('keeps the start, the end and the highest load seen', async () => {
    const readings = [1.5, 4.25, 2, 0.75]
    let i = 0
    const s = sampleLoad(1, () => readings[Math.min(i++, readings.length - 1)] as number)
    await new Promise((r) => setTimeout(r, 20))
    assert.deepEqual(s.stop(), { loadavg_1m_start: 1.5, loadavg_1m_end: 0.75, loadavg_1m_max: 4.25 })
  })

  it('prints the load of each case and the --busy setting under the table', () => {
    const report: Report = {
      schema: 'lucid-bench/1',
      verdict: 'pass',
      profile: 'quick',
      judged: true,
      strict: false,
      env: { node: 'v20', cpu: 'x', cores: 2, platform: 'linux', total_mem_bytes: 1, loadavg_before: [], loadavg_after: [], commit: '', date: '', busy: 1 },
      results: [
        {
          id: 'baseline.http',
          component: 'baseline',
          status: 'completed',
          conditions: {},
          metrics: { requests_per_s: 100 },
          repeats: [],
          baselines: [],
          targets: [],
          goals: [],
          duration_s: 1,
          load: { loadavg_1m_start: 0.4, loadavg_1m_end: 1.25, loadavg_1m_max: 1.5 },
          verdict: 'pass'
        }
      ]
    }
    const table = renderTable(report)
    assert.match(table, /--busy 1/)
    assert.match(table, /baseline\.http\s+0\.40 -> 1\.25 \(1\.50\)/)
  })
})
