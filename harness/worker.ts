/**
 * The child process a single case runs in, so V8 state (JIT, heap, GC pressure, open handles) never leaks
 * from one case into the next and a crash takes down only its own case. It receives one RunMessage, runs
 * the case and sends back a result or an error, then exits.
 */
import { errors } from '../services/common/errors.ts'
import { createRng } from '../services/common/rng.ts'
import type { CaseContext } from './case.ts'
import { casesOf, IN_WORKER } from './define-case.ts'
import type { RunMessage, WorkerMessage } from './protocol.ts'
import { profileSeconds } from './profile.ts'

function send(msg: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      resolve()
      return
    }
    process.send(msg, undefined, {}, () => resolve())
  })
}
// Marks this process as a case's child before it imports the case's module, so that a module calling bench() at
// its top level fails with a reason (harness/api.ts) instead of starting a run of its own in every case process.
;(globalThis as { [IN_WORKER]?: boolean })[IN_WORKER] = true

async function runCase(msg: RunMessage): Promise<void> {
  const def = casesOf((await import(msg.module)) as Record<string, unknown>).find((c) => c.id === msg.id)
  if (def === undefined) throw new errors.UnknownCase(`'${msg.id}': ${msg.module} exports no defineCase case with that id`)
  const ctx: CaseContext = {
    id: msg.id,
    profile: msg.profile,
    seconds: (quick, opts) => profileSeconds(msg.profile, quick, opts),
    progress: (text) => {
      void send({ type: 'progress', text })
    },
    rng: createRng(msg.seed),
    tmpdir: msg.tmpdir,
    sharedDir: msg.sharedDir,
    pin: msg.pin,
    ...(msg.findMax !== undefined ? { findMax: msg.findMax } : {}),
    ...(msg.target !== undefined ? { target: msg.target } : {})
  }
  const result = await def.run(ctx)
  await send({ type: 'result', result })
}

process.once('message', (msg: RunMessage) => {
  runCase(msg).then(
    () => process.exit(0),
    async (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err))
      const code = (e as { code?: unknown }).code
      await send({ type: 'error', message: e.message, ...(typeof code === 'string' ? { code } : {}), ...(e.stack !== undefined ? { stack: e.stack } : {}) })
      process.exit(1)
    }
  )
})
