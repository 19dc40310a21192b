import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startServerProcess } from '../../load/server-process.ts'
import { openMetrics, runOpenLoad } from '../../load/open-run.ts'

const STALL = new URL('../fixtures/stall-server.ts', import.meta.url).href

describe('open-model load generator', () => {
  it('shows a server stall in the corrected percentiles and not in the uncorrected ones', async () => {
    // 200 req/s over 4 keep-alive connections for 4 s; the server freezes for 600 ms once, 1.5 s in. About 120
    // of the 800 requests were due during the freeze and wait for a connection: corrected from their intended
    // send times, their latencies spread from ~600 ms down to ~0, so the corrected p90 lands near 200 ms.
    // Measured from when they were actually sent (what a closed-loop tool sees), only the 4 requests in flight
    // when the freeze began carry it, so the uncorrected p90 stays a few milliseconds.
    const server = await startServerProcess(STALL, { options: { stallAfterMs: 1500, stallMs: 600 } })
    try {
      const r = await runOpenLoad({ url: server.url, rate: 200, durationS: 4, warmupS: 0, maxConnections: 4 })
      const m = openMetrics(r, 200, 4)
      assert.ok(m.p90_ms! > 100, `corrected p90 ${m.p90_ms} ms shows the stall`)
      assert.ok(m.max_ms! > 450, `corrected max ${m.max_ms} ms is about the stall`)
      assert.ok(m.uncorrected_p90_ms! < 50, `uncorrected p90 ${m.uncorrected_p90_ms} ms hides it`)
      assert.ok(m.uncorrected_p90_ms! * 3 < m.p90_ms!, 'the difference is the correction')
      assert.equal(r.rateHeld, true, 'the generator itself kept its schedule')
      assert.equal(m.error_ratio, 0)
      assert.ok(r.series.length >= 4, 'a point per second')
    } finally {
      await server.close()
    }
  })

  it('says so when it cannot hold the rate instead of quietly sending less', async () => {
    // Each response takes 100 ms and only 2 connections are allowed: at most ~20 req/s can be sent, 200 are asked.
    const server = await startServerProcess(STALL, { options: { delayMs: 100 } })
    try {
      const r = await runOpenLoad({ url: server.url, rate: 200, durationS: 2, maxConnections: 2, timeoutMs: 2000 })
      const m = openMetrics(r, 200, 2)
      assert.equal(r.rateHeld, false)
      assert.ok(m.sent_on_time_ratio! < 0.5, `sent on time ${m.sent_on_time_ratio}`)
      assert.ok(m.achieved_rate_per_s! < 60, `achieved ${m.achieved_rate_per_s} req/s`)
      assert.ok(m.error_ratio! > 0.5, 'requests never answered count as errors')
    } finally {
      await server.close()
    }
  })
})
