/**
 * The MongoDB wire-compatible stand-in (jongodb) for tests and CI on machines that cannot obtain a real
 * `mongod` (docs/db.md, docs/machine.md). It exercises the driver code path; it is not MongoDB, is
 * reported as such by buildInfo (engine.standIn), and its figures are never presented as MongoDB's.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { errors } from '../services/common/errors.ts'

/** A running stand-in. */
export interface Standin {
  /**
   * The connection string it printed (a single-node replica set, so transactions work), with
   * `serverMonitoringMode=poll` added: see `withPolling`.
   */
  readonly uri: string
  readonly pid: number
  /** Kills it and waits for it to exit. */
  stop(): Promise<void>
}

/** Where the stand-in's binary is, or undefined when the optional package is not installed. */
export function standinBinary(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@jongodb/memory-server-bin-linux-x64-gnu/package.json')
    return join(dirname(pkg), 'bin', 'jongodb')
  } catch {
    return undefined
  }
}

/**
 * Starts the stand-in on a free port and resolves once it printed its URI; LUCID_ERR_4008 when it is not
 * installed, does not start, or does not answer within `timeoutMs` (default 15 s).
 */
export async function startStandin(opts: { timeoutMs?: number } = {}): Promise<Standin> {
  const bin = standinBinary()
  if (bin === undefined) throw new errors.NoDatabaseServer('the jongodb stand-in (@jongodb/memory-server-bin-linux-x64-gnu) is not installed')
  const child = spawn(bin, ['--host=127.0.0.1', '--port=0', '--topology-profile=singleNodeReplicaSet', '--replica-set-name=rs0'], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  // A process that exits without stopping it (a test that failed, Ctrl-C) takes the stand-in with it; only a
  // kill -9 of this process leaves it running.
  const onExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  process.once('exit', onExit)
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.removeListener('exit', onExit)
      resolve()
    })
  )
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000)
  })
  try {
    const uri = await new Promise<string>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`no JONGODB_URI within ${opts.timeoutMs ?? 15_000} ms`)), opts.timeoutMs ?? 15_000)
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /JONGODB_URI=(\S+)/.exec(out)
        if (m !== null) {
          clearTimeout(timer)
          resolve(m[1] as string)
        }
      })
      child.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`exited (${code ?? signal}) before printing its URI: ${stderr.trim()}`))
      })
    })
    // Keep draining its output so a chatty stand-in never blocks on a full pipe.
    child.stdout.resume()
    return { uri: withPolling(uri), pid: child.pid as number, stop }
  } catch (err) {
    await stop()
    throw new errors.NoDatabaseServer(`the jongodb stand-in did not start: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * The stand-in's URI with `serverMonitoringMode=poll` (unless the URI already chooses a mode). The stand-in
 * breaks the driver's streaming monitor: it answers an awaitable hello without `moreToCome`, the driver
 * reports "Server ended moreToCome unexpectedly", marks the server unknown and clears its connection pool,
 * about once a second; every operation then waiting for the next check stalled ~500 ms and pooled
 * connections were dropped. Polling monitors (the driver's behaviour before streaming) work with it.
 */
export function withPolling(uri: string): string {
  if (/[?&]serverMonitoringMode=/i.test(uri)) return uri
  if (uri.includes('?')) return `${uri}&serverMonitoringMode=poll`
  // Options need the slash that ends the host list, even with no database name.
  return `${uri}${/^mongodb(\+srv)?:\/\/[^/]+$/.test(uri) ? '/' : ''}?serverMonitoringMode=poll`
}
