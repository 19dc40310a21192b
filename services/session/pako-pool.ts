/**
 * A small pool of worker threads running pako's gzip, so the pure-JS codec can spread the members of a large
 * chunk over all cores as node:zlib does through the libuv pool.
 *
 * The worker is a few lines of plain JavaScript loaded from a data: URL rather than a .ts file: the sources
 * run through tsx's loader, which a worker thread does not inherit, and the worker needs nothing but pako.
 * Inputs are copied once (a view's slice, never its whole backing buffer) and transferred; outputs come back
 * transferred, without a copy.
 */
import { availableParallelism } from 'node:os'
import { WorkerPool } from '../common/worker-pool.ts'

const PAKO_URL = import.meta.resolve('pako')

const WORKER_SOURCE = `
import { parentPort } from 'node:worker_threads'
import { gzip } from ${JSON.stringify(PAKO_URL)}
parentPort.on('message', ({ id, input: { input, level } }) => {
  try {
    const out = gzip(input, { level })
    parentPort.postMessage({ id, output: out }, [out.buffer])
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) })
  }
})
`

/**
 * Worker threads compressing gzip members with pako (services/common/worker-pool.ts): close rejects what is
 * queued or running (LUCID_ERR_3003), a crashed thread is replaced.
 */
export class PakoPool {
  readonly #pool: WorkerPool<{ readonly input: Uint8Array; readonly level: number }, Uint8Array>

  /** @param size number of threads (default: the cores available to this process) */
  constructor(size = availableParallelism()) {
    this.#pool = new WorkerPool({
      name: 'pako',
      source: WORKER_SOURCE,
      size,
      // slice(): cloning a subarray view would copy its whole backing buffer; the copy is then transferred.
      encode: (j) => {
        const input = j.input.slice()
        return { message: { input, level: j.level }, transfer: [input.buffer as ArrayBuffer] }
      }
    })
  }

  /** gzip of `input` at `level` on a pool thread. */
  gzip(input: Uint8Array, level: number): Promise<Uint8Array> {
    return this.#pool.run({ input, level })
  }

  /** Stops every thread; queued and running jobs are rejected. */
  async close(): Promise<void> {
    await this.#pool.close()
  }
}
