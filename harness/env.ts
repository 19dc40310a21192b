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
