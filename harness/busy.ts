/**
 * `lucid bench --busy N`: N processes each burning one core for the length of the run, so behaviour under
 * contention is measured on purpose rather than met by chance when a neighbour happens to be busy.
 *
 * Each is a bare `node -e` spin loop (no harness code, no I/O). The runner starts them before the first
 * case and stops them, by their pids, when the run ends however it ends: normally, on an error, or when
 * the runner's own process exits (a synchronous kill in the 'exit' handler, so a Ctrl-C or an uncaught
 * error leaves no spinner behind).
 */
import { type ChildProcess, spawn } from 'node:child_process'

/** The running spinners of one run. */
export interface Busy {
  /** Their process ids (reported beside the figures). */
  readonly pids: readonly number[]
  /** Stops every spinner and waits for each to exit. */
  stop(): Promise<void>
}

/** A loop that never yields: one core at 100 % until killed. */
const SPIN = 'for (;;) {}'

/** Starts `n` spinners (none for 0). */
export function startBusy(n: number): Busy {
  const children: ChildProcess[] = []
  for (let i = 0; i < n; i++) children.push(spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore' }))
  const killAll = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  }
  process.once('exit', killAll)
  return {
    pids: children.map((c) => c.pid).filter((p): p is number => p !== undefined),
    async stop() {
      process.removeListener('exit', killAll)
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve()
              c.once('exit', () => resolve())
              c.kill('SIGKILL')
            })
        )
      )
    }
  }
}
