/**
 * Child-process entry of a server under test: imports a module exporting `start(opts)`, starts it on
 * loopback and reports the port, so the load generator never shares a process (or an event loop) with it.
 */
import type { ServerModule } from './server-process.ts'

const [moduleUrl, exportName = 'start', optsJson = '{}'] = process.argv.slice(2)

async function main(): Promise<void> {
  if (moduleUrl === undefined) throw new Error('server-main: module URL missing')
  const mod = (await import(moduleUrl)) as Record<string, unknown>
  const start = mod[exportName] as ServerModule['start'] | undefined
  if (typeof start !== 'function') throw new Error(`${moduleUrl} does not export ${exportName}()`)
  const server = await start({ host: '127.0.0.1', port: 0, ...(JSON.parse(optsJson) as Record<string, unknown>) })
  process.send?.({ type: 'listening', port: server.port })
  // Without an IPC channel (run under clinic) the port goes to stdout.
  if (process.send === undefined) process.stdout.write(`listening on http://127.0.0.1:${server.port}\n`)
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  }
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'close') stop()
  })
  process.on('disconnect', stop) // the parent died: do not linger
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop) // clinic forwards Ctrl+C to the profiled process
}

main().catch((err: unknown) => {
  process.send?.({ type: 'failed', message: err instanceof Error ? err.message : String(err) })
  process.exit(1)
})
