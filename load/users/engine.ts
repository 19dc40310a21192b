/**
 * Runs many simulated users in one process: each user is an async loop over its kind's task sequence with
 * waits between task executions, sharing one keep-alive connection pool (undici). Thousands of users cost
 * a few kilobytes each: a user is a small state object, a closure and, while it waits, one timer.
 *
 * Closed user model (Locust's): `starts` gives each user's start second; they loop until the run ends.
 * Open model: users arrive at a rate, run their sequence once, and leave.
 * At the end (ramp-down), users stop after their in-flight request; requests still unanswered after the
 * grace period are abandoned and counted as failures ("stopped at end of run").
 */
import { setMaxListeners } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { createRng, type Rng } from '../../services/common/rng.ts'
import { errorCodeOf } from '../../services/gateway/client.ts'
import type { SimHttp, SimResponse, UserKind, UserState } from './types.ts'
import { StatsCollector, type SecondWire } from './stats.ts'

/** Options of one process's share of a run. */
export interface EngineOptions {
  url: string
  /** Closed model: the users of this process, with the wall-clock second each starts at. */
  users?: Array<{ kind: UserKind; startS: number }>
  /** Open model: users arriving at `rate` per second, kinds cycling through `kinds`. */
  arrival?: { rate: number; kinds: UserKind[] }
  durationS: number
  /** Every wait is divided by this (the time scale). */
  waitDivisor: number
  seed: number
  /** Connections of the shared pool (default 256). */
  connections?: number
  /** Per-request timeout, ms (default 30 000). */
  timeoutMs?: number
  /** Called once per elapsed second with that second's statistics and the users then active. */
  onSecond?: (second: SecondWire) => void
}

/** What a process measured. */
export interface EngineResult {
  stats: StatsCollector
  /** Heap bytes per simulated user, measured when every closed-model user had started (undefined in open mode). */
  memoryPerUserBytes?: number
  usersStarted: number
  elapsedS: number
}

/**
 * The users' HTTP over the shared pool: every request timed and recorded (a failure when its status is not
 * one the task expects, or its check says so), and held in `inFlight` until answered (the ramp-down waits
 * for those).
 */
function poolHttp(pool: Pool, stats: StatsCollector, timeoutMs: number, inFlight: Set<Promise<unknown>>): SimHttp {
  return {
    async request(req) {
      const t0 = performance.now()
      const p = (async (): Promise<SimResponse | undefined> => {
        try {
          const res = await pool.request({
            method: req.method,
            path: req.path,
            headers: {
              ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
              ...(req.token !== undefined ? { authorization: `Bearer ${req.token}` } : {})
            },
            ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs
          })
          const text = await res.body.text()
          let json: unknown
          if (String(res.headers['content-type'] ?? '').includes('json') && text !== '') {
            try {
              json = JSON.parse(text)
            } catch {
              json = undefined
            }
          }
          let failure: string | undefined
          if (!req.ok.includes(res.statusCode)) failure = `HTTP ${res.statusCode}${errorCode(json)}`
          else failure = req.check?.(json)
          stats.record(req.name, performance.now() - t0, failure)
          return { status: res.statusCode, json }
        } catch (err) {
          const e = err as Error & { code?: string }
          stats.record(req.name, performance.now() - t0, e.code ?? e.message)
          return undefined
        }
      })()
      inFlight.add(p)
      try {
        return await p
      } finally {
        inFlight.delete(p)
      }
    }
  }
}

/** Runs the users; resolves when the run and its ramp-down are over. */
export async function runEngine(opts: EngineOptions): Promise<EngineResult> {
  const origin = new URL(opts.url).origin
  const pool = new Pool(origin, { connections: opts.connections ?? 256, pipelining: 1, keepAliveTimeout: 30_000 })
  const timeoutMs = opts.timeoutMs ?? 30_000
  const start = performance.now()
  const stats = new StatsCollector(start)
  const stop = new AbortController()
  // Every waiting user listens on this one signal: thousands of listeners are the design, not a leak.
  setMaxListeners(0, stop.signal)
  let active = 0
  let started = 0
  const inFlight = new Set<Promise<unknown>>()

  const http = poolHttp(pool, stats, timeoutMs, inFlight)

  const wait = async (kind: UserKind, rng: Rng): Promise<void> => {
    const [lo, hi] = kind.wait
    await sleep(((lo + rng.next() * (hi - lo)) * 1000) / opts.waitDivisor, undefined, { signal: stop.signal })
  }

  const runUser = async (kind: UserKind, rng: Rng, once: boolean): Promise<void> => {
    active++
    started++
    const state: UserState = kind.init(rng)
    try {
      do {
        for (const task of kind.tasks) {
          for (let r = 0; r < task.repeat; r++) {
            if (stop.signal.aborted) return
            await task.run({ http, rng, state })
            await wait(kind, rng)
          }
        }
      } while (!once && !stop.signal.aborted)
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err
    } finally {
      active--
    }
  }

  const users: Array<Promise<void>> = []
  let memoryPerUserBytes: number | undefined
  const heapBefore = heapNow()
  const closed = opts.users ?? []
  // Spawning: each user is scheduled at its start second.
  closed.forEach((u, i) => {
    users.push(
      (async () => {
        try {
          await sleep(u.startS * 1000, undefined, { signal: stop.signal })
        } catch {
          return
        }
        // A second after the last user starts, every user holds its state (token, session id): measure then.
        if (i === closed.length - 1)
          setTimeout(() => {
            memoryPerUserBytes = Math.max(0, heapNow() - heapBefore) / Math.max(1, active)
          }, 1000).unref()
        await runUser(u.kind, createRng(opts.seed * 100_003 + i), false)
      })()
    )
  })
  if (opts.arrival !== undefined) {
    const { rate, kinds } = opts.arrival
    users.push(
      (async () => {
        for (let i = 0; !stop.signal.aborted; i++) {
          const due = start + (i * 1000) / rate
          const delay = due - performance.now()
          if (delay > 0) {
            try {
              await sleep(delay, undefined, { signal: stop.signal })
            } catch {
              return
            }
          }
          users.push(runUser(kinds[i % kinds.length]!, createRng(opts.seed * 100_003 + i), true))
        }
      })()
    )
  }

  let t = 0
  const ticker = setInterval(() => {
    opts.onSecond?.(stats.second(t, active))
    t++
  }, 1000)
  await sleep(opts.durationS * 1000)
  stop.abort()
  clearInterval(ticker)
  // Ramp-down: let in-flight requests finish, within a grace period.
  const grace = sleep(Math.min(10_000, Math.max(2000, timeoutMs))).then(() => 'timeout' as const)
  const drained = await Promise.race([Promise.allSettled([...inFlight]).then(() => 'drained' as const), grace])
  if (drained === 'timeout') for (let n = inFlight.size; n > 0; n--) stats.record('(abandoned)', 0, 'stopped at end of run')
  opts.onSecond?.(stats.second(t, active))
  await pool.destroy()
  await Promise.allSettled(users)
  return { stats, ...(memoryPerUserBytes !== undefined ? { memoryPerUserBytes } : {}), usersStarted: started, elapsedS: (performance.now() - start) / 1000 }
}

function errorCode(json: unknown): string {
  const code = errorCodeOf(json)
  return code !== undefined ? ` ${code}` : ''
}

function heapNow(): number {
  ;(globalThis as { gc?: () => void }).gc?.()
  return process.memoryUsage().heapUsed
}
