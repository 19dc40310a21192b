/**
 * The environment a run was measured in, recorded in every report so figures can be compared honestly.
 */
import { execFileSync } from 'node:child_process'
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { ReportEnv } from './report/schema.ts'

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      timeout: 2000,
      stdio: ['ignore', 'pipe', 'ignore']
    })
      .toString()
      .trim()
  } catch {
    return '' // not a git checkout (an npm tarball): the commit is unknown, not invented
  }
}

/** Captures the environment at the start of a run. */
export function captureEnv(): ReportEnv {
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    platform: `${platform()} ${release()}`,
    total_mem_bytes: totalmem(),
    loadavg_before: loadavg(),
    loadavg_after: [],
    commit: gitCommit(),
    date: new Date().toISOString()
  }
}

/** Completes the environment at the end of a run. */
export function finishEnv(env: ReportEnv): ReportEnv {
  return { ...env, loadavg_after: loadavg() }
}

/** The machine's 1-minute load average while one case ran: at its start, its end, and the highest seen. */
export interface CaseLoad {
  loadavg_1m_start: number
  loadavg_1m_end: number
  loadavg_1m_max: number
}

/**
 * Samples the 1-minute load average every `everyMs` until stopped (the timer does not hold the process).
 * `read` is injectable for tests; by default os.loadavg()[0].
 */
export function sampleLoad(everyMs = 1000, read: () => number = () => loadavg()[0] ?? 0): { stop(): CaseLoad } {
  const start = read()
  let max = start
  const timer = setInterval(() => {
    max = Math.max(max, read())
  }, everyMs)
  timer.unref()
  return {
    stop() {
      clearInterval(timer)
      const end = read()
      return { loadavg_1m_start: start, loadavg_1m_end: end, loadavg_1m_max: Math.max(max, end) }
    }
  }
}
