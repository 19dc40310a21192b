/**
 * A worker thread of the consensus battery (battery-run.ts): runs one simulation per message and posts back
 * its figures, or the error it threw. Started through a bootstrap that registers tsx's loader first (worker
 * threads do not inherit it).
 */
import { parentPort } from 'node:worker_threads'
import { simulate, type SimOptions } from './simulate.ts'

/** A job: a run's options (plain data) and its index in the battery. */
export interface BatteryJob {
  readonly index: number
  readonly opts: SimOptions
}

const port = parentPort
if (port === null) throw new Error('battery-worker.ts runs as a worker thread')
port.on('message', (job: BatteryJob) => {
  simulate(job.opts).then(
    (r) => {
      port.postMessage({ index: job.index, figures: r.figures })
    },
    (err: unknown) => {
      port.postMessage({ index: job.index, error: err instanceof Error ? (err.stack ?? err.message) : String(err) })
    }
  )
})
