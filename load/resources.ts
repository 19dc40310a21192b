/**
 * Resource monitoring of the system under test while load runs: once a second, CPU and RSS of its process
 * (from /proc, when it runs on this machine) and, when it serves Prometheus text at /metrics, its event-loop
 * delay, GC time, CPU and RSS from there (prom-client's default metrics).
 */
import { readFile } from 'node:fs/promises'
import { request } from 'undici'

/** One sample, at `t` seconds into the run. */
export interface ResourceSample {
  t: number
  /** Cores busy over the last second (1.0 = one full core). */
  server_cpu_ratio?: number
  server_rss_bytes?: number
  server_loop_delay_p99_ms?: number
  /** Seconds of GC per second. */
  server_gc_ratio?: number
}

/** Parses Prometheus text format into `name{labels}` -> value (comments and malformed lines skipped). */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line)
    if (m === null) continue
    const v = Number(m[2])
    if (!Number.isNaN(v)) out.set(m[1]!, v)
  }
  return out
}

const sumOf = (m: Map<string, number>, name: string): number | undefined => {
  let total: number | undefined
  for (const [k, v] of m) if (k === name || k.startsWith(`${name}{`)) total = (total ?? 0) + v
  return total
}

async function procStat(pid: number): Promise<{ cpuS: number; rss: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces), 1-based from field 3.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(f[11]) + Number(f[12]) // utime + stime
    const rssPages = Number(f[21])
    return { cpuS: ticks / 100, rss: rssPages * 4096 }
  } catch {
    return undefined
  }
}

/** Samples every second until stopped; `stop()` resolves with every sample taken (once; later calls get the same). */
export function monitorResources(opts: { pid?: number; metricsUrl?: string }): { stop(): Promise<ResourceSample[]> } {
  const samples: ResourceSample[] = []
  const start = performance.now()
  let last: { at: number; cpuS?: number; gcS?: number } | undefined
  let metricsOk = opts.metricsUrl !== undefined
  const sample = async (): Promise<void> => {
    const at = performance.now()
    const s: ResourceSample = { t: Math.round((at - start) / 1000) }
    let cpuS: number | undefined
    let gcS: number | undefined
    if (opts.pid !== undefined) {
      const p = await procStat(opts.pid)
      if (p !== undefined) {
        cpuS = p.cpuS
        s.server_rss_bytes = p.rss
      }
    }
    if (metricsOk) {
      try {
        const res = await request(opts.metricsUrl!, { headersTimeout: 900, bodyTimeout: 900 })
        const text = await res.body.text()
        if (res.statusCode !== 200) metricsOk = false
        else {
          const m = parsePrometheus(text)
          cpuS ??= sumOf(m, 'process_cpu_seconds_total')
          s.server_rss_bytes ??= sumOf(m, 'process_resident_memory_bytes')
          const lag = sumOf(m, 'nodejs_eventloop_lag_p99_seconds')
          if (lag !== undefined) s.server_loop_delay_p99_ms = lag * 1000
          gcS = sumOf(m, 'nodejs_gc_duration_seconds_sum')
        }
      } catch {
        /* a slow /metrics under load is skipped, not fatal */
      }
    }
    if (last !== undefined) {
      const dt = (at - last.at) / 1000
      if (cpuS !== undefined && last.cpuS !== undefined) s.server_cpu_ratio = (cpuS - last.cpuS) / dt
      if (gcS !== undefined && last.gcS !== undefined) s.server_gc_ratio = (gcS - last.gcS) / dt
    }
    last = { at, ...(cpuS !== undefined ? { cpuS } : {}), ...(gcS !== undefined ? { gcS } : {}) }
    samples.push(s)
  }
  let running = sample()
  const timer = setInterval(() => {
    running = running.then(sample)
  }, 1000)
  // Idempotent: a caller may stop it on success and again in a `finally` for the error path.
  let stopped: Promise<ResourceSample[]> | undefined
  return {
    stop() {
      stopped ??= (async () => {
        clearInterval(timer)
        await running
        return samples
      })()
      return stopped
    }
  }
}
