/**
 * The overload suite's /health prober, a process of its own so that neither the load generators nor the
 * suite's bookkeeping delay its clock: GET /health every `intervalMs` on one dedicated connection, each
 * latency measured from the moment the probe was due (a probe delayed by a busy server counts the wait:
 * no coordinated omission). On 'stop' it sends every sample back and exits.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Client } from 'undici'

/** One probe: when it was due (ms since the epoch), its latency from then, and whether it answered 200. */
export interface ProbeSample {
  at: number
  ms: number
  ok: boolean
}

process.once('message', (job: { url: string; intervalMs: number }) => {
  const client = new Client(job.url, { pipelining: 1, keepAliveTimeout: 60_000 })
  const samples: ProbeSample[] = []
  let stopping = false
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'stop') stopping = true
  })
  const loop = async (): Promise<void> => {
    const t0 = performance.now()
    const wall0 = Date.now()
    for (let i = 0; !stopping; i++) {
      const due = t0 + i * job.intervalMs
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      let ok = false
      try {
        const r = await client.request({ method: 'GET', path: '/health', headersTimeout: 10_000, bodyTimeout: 10_000 })
        await r.body.dump()
        ok = r.statusCode === 200
      } catch {
        ok = false
      }
      samples.push({ at: wall0 + (due - t0), ms: performance.now() - due, ok })
    }
  }
  loop().then(
    async () => {
      await client.close().catch(() => {})
      process.send?.({ type: 'samples', samples }, undefined, {}, () => process.exit(0))
    },
    (err: unknown) => {
      process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) }, undefined, {}, () => process.exit(1))
    }
  )
})
