/**
 * The faults suite's system under test: the real `lucid serve` command (bin/lucid.js) in a child process on
 * a persistent data directory, started and killed with SIGKILL as many times as the suite likes. Nothing
 * of the server runs in the suite's process, so a kill is exactly what an operator's `kill -9` does.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { gatewayCall } from '../../services/gateway/client.ts'

const LUCID = fileURLToPath(new URL('../../bin/lucid.js', import.meta.url))

/** One running `lucid serve`. */
export interface ServeChild {
  readonly url: string
  readonly pid: number
  /** ms from spawning the process to the first 200 from GET /health. */
  readonly recoveryMs: number
  /** Everything the process printed (banner, errors), for findings. */
  output(): string
  /** SIGKILL, resolving once the process is gone. */
  kill(): Promise<void>
  /** Resolves when the process exits by itself (it should not). */
  readonly exited: Promise<number | null>
}

/** Options of a start. */
export interface ServeStartOptions {
  dataDir: string
  validators: number
  /** Give up after this long (replaying a long archive takes time). */
  timeoutMs?: number
  /** Called right after spawn, with the process: lets a caller kill it during start-up. */
  onSpawn?: (child: ChildProcess) => void
}

/** Spawns `lucid serve --port 0 --data DIR --load-test --seed-demo` and waits until it answers /health. */
export async function startServe(o: ServeStartOptions): Promise<ServeChild> {
  const t0 = performance.now()
  const args = [LUCID, 'serve', '--port', '0', '--data', o.dataDir, '--validators', String(o.validators), '--load-test', '--seed-demo']
  // LUCID_MASTER_KEY would take the key from the environment and hide a master.key file problem.
  const env = { ...process.env }
  delete env.LUCID_MASTER_KEY
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
  o.onSpawn?.(child)
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s
  })
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    out += s
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
  const timeoutMs = o.timeoutMs ?? 120_000
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`lucid serve did not listen within ${timeoutMs} ms: ${out.slice(-500)}`)), timeoutMs)
      const onData = (): void => {
        const m = /listening on (http:\/\/[0-9.]+:\d+)/.exec(out)
        if (m?.[1] !== undefined) {
          clearTimeout(timer)
          child.stdout.off('data', onData)
          resolve(m[1])
        }
      }
      child.stdout.on('data', onData)
      void exited.then((code) => {
        clearTimeout(timer)
        reject(new Error(`lucid serve exited (code ${String(code)}) before listening: ${out.slice(-800)}`))
      })
    })
    // The banner is printed after listen(); the first answered request is what a client sees as "back".
    for (;;) {
      try {
        if ((await gatewayCall(url, 'GET', '/health', { timeoutMs: 2000 })).status === 200) break
      } catch {
        /* not answering yet */
      }
      if (performance.now() - t0 > timeoutMs) throw new Error(`lucid serve at ${url} did not answer /health within ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return { url, pid: child.pid ?? -1, recoveryMs: performance.now() - t0, output: () => out, kill, exited }
  } catch (err) {
    await kill()
    throw err
  }
}
