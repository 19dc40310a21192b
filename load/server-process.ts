/**
 * Runs a server under test in its own child process and hands back its loopback URL.
 */
import type { ChildProcess } from 'node:child_process'
import { forkTs } from '../harness/spawn.ts'

/** What a server module exports for the harness. */
export interface ServerModule {
  start(opts: { host: string; port: number } & Record<string, unknown>): Promise<{ port: number; close(): Promise<void> }>
}

/** A running server process. */
export interface ServerProcess {
  readonly url: string
  readonly pid: number
  /** Asks the server to close, then kills it if it has not exited within 5 s. */
  close(): Promise<void>
}

const MAIN = new URL('./server-main.ts', import.meta.url).href

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
}

/** Starts `moduleUrl`'s `exportName` in a child process; resolves once it listens (or rejects within `timeoutMs`). */
export async function startServerProcess(
  moduleUrl: string,
  opts: { exportName?: string; options?: Record<string, unknown>; timeoutMs?: number } = {}
): Promise<ServerProcess> {
  const child = forkTs(MAIN, [moduleUrl, opts.exportName ?? 'start', JSON.stringify(opts.options ?? {})], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server ${moduleUrl} did not listen within ${opts.timeoutMs ?? 20000} ms`))
    }, opts.timeoutMs ?? 20000)
    child.on('message', (m: { type: string; port?: number; message?: string }) => {
      if (m.type === 'listening' && typeof m.port === 'number') {
        clearTimeout(timer)
        resolve(m.port)
      }
      if (m.type === 'failed') {
        clearTimeout(timer)
        reject(new Error(`server failed to start: ${m.message ?? ''}`))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with code ${String(code)} before listening`))
    })
  })
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    async close() {
      if (child.connected) child.send({ type: 'close' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited(child)
      clearTimeout(timer)
    }
  }
}
