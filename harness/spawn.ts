/**
 * Starting TypeScript child processes. The sources run through tsx's loader; a child needs the loader
 * named by absolute URL so it resolves from any working directory.
 */
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** execArgv that lets a child process import .ts files. */
export function tsxExecArgv(): string[] {
  return ['--import', import.meta.resolve('tsx')]
}

/** Forks `moduleUrl` (a .ts file URL) with an IPC channel and the tsx loader. */
export function forkTs(moduleUrl: string, args: string[] = [], opts: ForkOptions = {}): ChildProcess {
  return fork(fileURLToPath(moduleUrl), args, {
    ...opts,
    execArgv: [...tsxExecArgv(), ...(opts.execArgv ?? [])],
    serialization: 'advanced'
  })
}
