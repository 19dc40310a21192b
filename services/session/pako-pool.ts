/**
 * A small pool of worker threads running pako's gzip, so the pure-JS codec can spread the members of a large
 * chunk over all cores as node:zlib does through the libuv pool.
 *
 * The worker is a few lines of plain JavaScript loaded from a data: URL rather than a .ts file: the sources
 * run through tsx's loader, which a worker thread does not inherit, and the worker needs nothing but pako.
 * Inputs are copied into the message (a view's slice, never its whole backing buffer); outputs come back
 * transferred, without a copy.
 */
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'

const PAKO_URL = import.meta.resolve('pako')

const WORKER_SOURCE = `
import { parentPort } from 'node:worker_threads'
import { gzip } from ${JSON.stringify(PAKO_URL)}
parentPort.on('message', ({ id, input, level }) => {
  try {
    const out = gzip(input, { level })
    parentPort.postMessage({ id, out }, [out.buffer])
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) })
  }
})
`

interface Job {
  readonly id: number
  readonly input: Uint8Array
  readonly level: number
  resolve(out: Uint8Array): void
  reject(err: Error): void
}

type Reply = { id: number; out: Uint8Array; error?: undefined } | { id: number; error: string }

/** Worker threads compressing gzip members with pako. */
export class PakoPool {
  readonly #idle: Worker[] = []
  readonly #all: Worker[] = []
  readonly #queue: Job[] = []
  readonly #running = new Map<Worker, Job>()
  #nextId = 0
  #closed = false

  /** @param size number of threads (default: the cores available to this process) */
  constructor(size = availableParallelism()) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`))
      w.unref() // an idle pool must not keep a CLI process alive
      w.on('message', (m: Reply) => this.#done(w, m))
      w.on('error', (err) => this.#failed(w, err))
      this.#all.push(w)
      this.#idle.push(w)
    }
  }

  /** gzip of `input` at `level` on a pool thread. */
  gzip(input: Uint8Array, level: number): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new Error('pako pool is closed'))
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, input, level, resolve, reject })
      this.#pump()
    })
  }

  /** Stops every thread; queued and running jobs are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const err = new Error('pako pool closed')
    for (const job of this.#queue.splice(0)) job.reject(err)
    for (const job of this.#running.values()) job.reject(err)
    this.#running.clear()
    await Promise.all(this.#all.map((w) => w.terminate()))
  }

  #pump(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const w = this.#idle.pop() as Worker
      const job = this.#queue.shift() as Job
      this.#running.set(w, job)
      w.ref() // busy: keep the process alive until the answer arrives
      // slice(): cloning a subarray view would copy its whole backing buffer.
      w.postMessage({ id: job.id, input: job.input.slice(), level: job.level })
    }
  }

  #done(w: Worker, m: Reply): void {
    const job = this.#running.get(w)
    this.#running.delete(w)
    w.unref()
    this.#idle.push(w)
    if (job !== undefined && job.id === m.id) {
      if (m.error !== undefined) job.reject(new Error(`pako: ${m.error}`))
      else job.resolve(m.out)
    }
    this.#pump()
  }

  #failed(w: Worker, err: Error): void {
    const job = this.#running.get(w)
    this.#running.delete(w)
    job?.reject(err)
    // A crashed thread is not replaced: the pool shrinks, and the last job fails loudly if none is left.
    const i = this.#all.indexOf(w)
    if (i >= 0) this.#all.splice(i, 1)
    if (this.#all.length === 0) {
      for (const q of this.#queue.splice(0)) q.reject(new Error('pako pool: every worker thread crashed'))
    }
  }
}
