/**
 * A simulated-user run across worker processes (one per core by default, apart from the server's): the
 * scenario's users are dealt round-robin to the workers with their global start times, every worker streams
 * per-second statistics, and the parent merges histograms (never percentiles) into endpoints and a series.
 */
import { availableParallelism } from 'node:os'
import type { ScaledRun } from '../scenarios/index.ts'
import { assignKinds, spawnAt } from '../scenarios/index.ts'
import { forkTs } from '../../harness/spawn.ts'
import { mergeEndpointsWithHistograms, mergeSecond, type EndpointStats, type EndpointWire, type LoadSeriesPoint, type SecondWire } from './stats.ts'

/** What the parent sends a worker. */
export interface WorkerJob {
  url: string
  users?: Array<{ kind: string; startS: number }>
  arrival?: { rate: number; kinds: string[] }
  durationS: number
  waitDivisor: number
  seed: number
  connections: number
}

/** What a worker sends back. */
export type WorkerReport =
  | { type: 'second'; second: SecondWire }
  | { type: 'done'; endpoints: EndpointWire[]; usersStarted: number; elapsedS: number; memoryPerUserBytes?: number }
  | { type: 'error'; message: string }

/** Options of a run. */
export interface UsersRunOptions {
  url: string
  run: ScaledRun
  /** Worker processes (default: cores - 1, at least 1). */
  workers?: number
  seed?: number
  /** Open model instead of the closed user model: users arriving per second (before time scaling). */
  arrivalRate?: number
  /** Connections per worker (default: enough for its users, at most 256). */
  connections?: number
  /** Each merged second as it completes (live progress). */
  onSecond?: (p: LoadSeriesPoint) => void
}

/** The merged result. */
export interface UsersRunResult {
  endpoints: EndpointStats[]
  /** Every endpoint's merged HDR histogram (µs), encoded, keyed `GET /health` ..., and `Aggregated`. */
  histograms: Record<string, string>
  series: LoadSeriesPoint[]
  usersStarted: number
  workers: number
  /** Mean heap bytes per simulated user over the workers (closed model only). */
  memoryPerUserBytes?: number
  elapsedS: number
}

const MAIN = new URL('./worker-main.ts', import.meta.url).href

/** Runs the scenario to its end and merges what every worker measured. */
export async function runUsers(opts: UsersRunOptions): Promise<UsersRunResult> {
  const { run } = opts
  const w = Math.max(1, opts.workers ?? Math.max(1, availableParallelism() - 1))
  const seed = opts.seed ?? 42
  const jobs: WorkerJob[] = Array.from({ length: w }, (_, i) => ({
    url: opts.url,
    durationS: run.durationS,
    waitDivisor: run.waitDivisor,
    seed: seed * 31 + i,
    connections: 1
  }))
  if (opts.arrivalRate !== undefined) {
    const kinds = assignKinds(run.scenario.kinds.length * 4, run.scenario.kinds).map((k) => k.name)
    for (const j of jobs) j.arrival = { rate: (opts.arrivalRate * run.timeScale) / w, kinds }
  } else {
    const kinds = assignKinds(run.scenario.users, run.scenario.kinds)
    kinds.forEach((k, i) => {
      const job = jobs[i % w]!
      job.users ??= []
      job.users.push({ kind: k.name, startS: spawnAt(i, run.spawnRate) })
    })
  }
  for (const j of jobs) j.connections = opts.connections ?? Math.min(256, Math.max(4, j.users?.length ?? 64))

  const perSecond = new Map<number, SecondWire[]>()
  const series: LoadSeriesPoint[] = []
  const flush = (upTo: number): void => {
    for (const t of [...perSecond.keys()].sort((a, b) => a - b)) {
      if (t > upTo) break
      const p = mergeSecond(t, perSecond.get(t)!)
      perSecond.delete(t)
      series.push(p)
      opts.onSecond?.(p)
    }
  }
  const done = await Promise.all(
    jobs.map(
      (job) =>
        new Promise<Extract<WorkerReport, { type: 'done' }>>((resolve, reject) => {
          const child = forkTs(MAIN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc'] })
          let result: Extract<WorkerReport, { type: 'done' }> | undefined
          child.on('message', (m: WorkerReport) => {
            if (m.type === 'second') {
              const list = perSecond.get(m.second.t) ?? []
              list.push(m.second)
              perSecond.set(m.second.t, list)
              // A second is complete once every worker has reported it.
              if (list.length === w) flush(m.second.t)
            } else if (m.type === 'done') result = m
            else reject(new Error(`load worker failed: ${m.message}`))
          })
          child.on('exit', (code) => (result !== undefined ? resolve(result) : reject(new Error(`load worker exited with code ${String(code)}`))))
          child.send(job)
        })
    )
  )
  flush(Number.POSITIVE_INFINITY)
  const mem = done.map((d) => d.memoryPerUserBytes).filter((v): v is number => v !== undefined)
  const durationS = run.durationS
  const merged = mergeEndpointsWithHistograms(
    done.map((d) => d.endpoints),
    durationS
  )
  return {
    endpoints: merged.rows,
    histograms: merged.histograms,
    series: series.filter((p) => p.t < Math.ceil(durationS)),
    usersStarted: done.reduce((a, d) => a + d.usersStarted, 0),
    workers: w,
    ...(mem.length > 0 ? { memoryPerUserBytes: mem.reduce((a, b) => a + b, 0) / mem.length } : {}),
    elapsedS: Math.max(...done.map((d) => d.elapsedS))
  }
}
