/**
 * CPU pinning (`--pin-server`, `--pin-load`): sets a running process's affinity, all its threads, with
 * taskset (util-linux). Threads it starts later inherit the mask.
 */
import { execFileSync } from 'node:child_process'
import { errors } from '../services/common/errors.ts'

/** Validates a taskset CPU list such as "0", "1", "0-1", "0,2". */
export function parseCpuList(v: string, flag: string): string {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) throw new errors.BadValue(`${flag}: '${v}' (a CPU list like 0, 1 or 0-1)`)
  return v
}

/** Pins `pid` (every thread) to `cpus`; throws LUCID_ERR_9003 when taskset refuses (e.g. no such CPU). */
export function pinProcess(pid: number, cpus: string): void {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 })
  } catch (err) {
    throw new errors.BadValue(`CPU list ${cpus}: taskset failed (${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? (err as Error).message})`, {
      cause: err
    })
  }
}
