/**
 * A pool of worker threads running one small plain-JavaScript module each, for the CPU-bound work that
 * would block the event loop (Ed25519 batches in chain sync, pako's gzip in the session pipeline). Both of its
 * users had their own copy of this skeleton, and the copies drifted: only one rejected queued jobs on close and
 * neither replaced a crashed thread (issue 20).
 *
 * The worker's module comes from a data: URL rather than a .ts file: the sources run through tsx's loader,
 * which a worker thread does not inherit. It answers each `{id, input}` with `{id, output}` or `{id, error}`.
 *
 * Why not piscina or workerpool: both load the worker from a file path and would need a second build of the
 * worker code; the pool here is ~150 lines with the two behaviours the project needs tested (close rejects what
 * is queued or running; a crashed thread is replaced, within a bound so that a module that crashes at start
 * cannot loop).
 */
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { errors, type LucidError } from './errors.ts'

/** How a pool runs its jobs. */
export interface WorkerPoolOptions<I> {
  /** Names the pool in its errors (`pako`, `ed25519`). */
  readonly name: string
  /** The worker's ES module source: it answers each `{id, input}` message with `{id, output}` or `{id, error}`. */
  readonly source: string
  /** Threads (default: the cores available to this process). */
  readonly size?: number
  /** The message's input for a job (default: the input itself) and what it transfers rather than copies. */
  readonly encode?: (input: I) => { readonly message: unknown; readonly transfer?: readonly ArrayBuffer[] }
  /** Replacement threads allowed in a row without a job finishing in between (default 3). */
  readonly maxRestarts?: number
}

interface Job<I, O> {
  readonly id: number
  readonly input: I
  resolve(out: O): void
  reject(err: Error): void
}

type Reply<O> = { id: number; output: O; error?: undefined } | { id: number; error: string }

/** A pool of worker threads; `run` queues a job, `close` stops the threads and rejects what is left. */
export class WorkerPool<I, O> {
  readonly #o: WorkerPoolOptions<I>
  readonly #url: URL
  readonly #idle: Worker[] = []
  readonly #all = new Set<Worker>()
  readonly #queue: Array<Job<I, O>> = []
  readonly #running = new Map<Worker, Job<I, O>>()
  #nextId = 0
  #closed = false
  /** Whether the threads hold the process open (#hold). */
  #held = false
  /** Replacements since a job last finished: bounded by maxRestarts. */
  #restarts = 0
  /** Threads started, replacements included (for tests and diagnostics). */
  started = 0

  /** @param opts the worker's module and how to talk to it */
  constructor(opts: WorkerPoolOptions<I>) {
    this.#o = opts
    this.#url = new URL(`data:text/javascript,${encodeURIComponent(opts.source)}`)
    const size = Math.max(1, opts.size ?? availableParallelism())
    for (let i = 0; i < size; i++) this.#spawn()
  }

  /** Threads alive. */
  get threads(): number {
    return this.#all.size
  }

  /** Runs `input` on a thread; rejects with LUCID_ERR_3003 once the pool is closed or has no thread left. */
  run(input: I): Promise<O> {
    if (this.#closed) return Promise.reject(this.#unavailable('closed'))
    if (this.#all.size === 0) return Promise.reject(this.#unavailable('every worker thread crashed'))
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, input, resolve, reject })
      this.#pump()
      this.#hold()
    })
  }

  /** Stops every thread; queued and running jobs are rejected (LUCID_ERR_3003). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const err = this.#unavailable('closed')
    for (const job of this.#queue.splice(0)) job.reject(err)
    for (const job of this.#running.values()) job.reject(err)
    this.#running.clear()
    // Held while they stop: an unref'd thread's termination does not keep the loop alive, and a process that only
    // awaited close() would end with the promise pending.
    await Promise.all(
      [...this.#all].map(async (w) => {
        w.ref()
        await w.terminate()
      })
    )
    this.#all.clear()
  }

  #unavailable(why: string): LucidError {
    return new errors.WorkerThreadsUnavailable(`${this.#o.name} pool: ${why}`)
  }

  #spawn(): void {
    const w = new Worker(this.#url)
    this.started++
    // An idle pool must not keep a CLI process alive; one with work pending must (#hold).
    w.unref()
    w.on('message', (m: Reply<O>) => this.#done(w, m))
    w.on('error', (err) => this.#lost(w, err))
    // A thread that ends without an error event (process.exit in the worker) is lost too.
    w.on('exit', (code) => this.#lost(w, new Error(`worker thread exited with code ${code}`)))
    this.#all.add(w)
    this.#idle.push(w)
    if (this.#held) w.ref()
  }

  #pump(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const w = this.#idle.pop() as Worker
      const job = this.#queue.shift() as Job<I, O>
      this.#running.set(w, job)
      const enc = this.#o.encode?.(job.input) ?? { message: job.input }
      w.postMessage({ id: job.id, input: enc.message }, (enc.transfer ?? []) as ArrayBuffer[])
    }
  }

  #done(w: Worker, m: Reply<O>): void {
    if (this.#closed) return // its job was rejected by close()
    const job = this.#running.get(w)
    this.#running.delete(w)
    this.#idle.push(w)
    this.#restarts = 0
    if (job !== undefined && job.id === m.id) {
      if (m.error !== undefined) job.reject(new Error(`${this.#o.name}: ${m.error}`))
      else job.resolve(m.output)
    }
    this.#pump()
    this.#hold()
  }

  /**
   * Every thread holds the process open while any job is queued or running, none once all are done: the
   * per-thread way (ref while busy) left moments, between one job's answer and the next job's post or while a
   * replacement thread started, when nothing held the event loop and a process awaiting a job could end.
   */
  #hold(): void {
    // Once closing, close() holds every thread until it has stopped: an answer arriving meanwhile must not let go.
    if (this.#closed) return
    const busy = this.#queue.length > 0 || this.#running.size > 0
    if (busy === this.#held) return
    this.#held = busy
    for (const w of this.#all) {
      if (busy) w.ref()
      else w.unref()
    }
  }

  /** A thread crashed or exited: its job fails, and it is replaced unless the pool is closing or crash-looping. */
  #lost(w: Worker, err: Error): void {
    if (!this.#all.delete(w)) return // already handled (error, then exit)
    const i = this.#idle.indexOf(w)
    if (i >= 0) this.#idle.splice(i, 1)
    const job = this.#running.get(w)
    this.#running.delete(w)
    if (this.#closed) return
    job?.reject(new errors.WorkerThreadsUnavailable(`${this.#o.name} pool: a worker thread crashed (${err.message})`, { cause: err }))
    if (this.#restarts < (this.#o.maxRestarts ?? 3)) {
      this.#restarts++
      this.#spawn()
      this.#pump()
    } else if (this.#all.size === 0) {
      for (const q of this.#queue.splice(0)) q.reject(this.#unavailable('every worker thread crashed'))
    }
    this.#hold()
  }
}
