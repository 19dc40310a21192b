/**
 * Ed25519 verification on worker threads, in batches: sync hands over thousands of (key, message,
 * signature) triples at once as three flat byte arrays (transferred, not copied) and gets back the index of
 * the first bad one. The worker is plain JavaScript from a data: URL because worker threads do not inherit
 * tsx's loader and it needs nothing but node:crypto.
 */
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { SIGNED_MESSAGE_BYTES } from './encoding.ts'
import { SPKI_PREFIX_HEX } from './signer.ts'

const WORKER_SOURCE = `
import { parentPort } from 'node:worker_threads'
import { createPublicKey, verify } from 'node:crypto'
const prefix = Buffer.from(${JSON.stringify(SPKI_PREFIX_HEX)}, 'hex')
const keys = new Map()
parentPort.on('message', ({ id, n, pubs, msgs, sigs }) => {
  let bad = -1
  for (let i = 0; i < n && bad < 0; i++) {
    const pub = Buffer.from(pubs.buffer, i * 32, 32)
    const hex = pub.toString('hex')
    let k = keys.get(hex)
    if (k === undefined) {
      try { k = createPublicKey({ key: Buffer.concat([prefix, pub]), format: 'der', type: 'spki' }) } catch { k = null }
      if (keys.size > 100000) keys.clear()
      keys.set(hex, k)
    }
    const ok = k !== null && verify(null, Buffer.from(msgs.buffer, i * ${SIGNED_MESSAGE_BYTES}, ${SIGNED_MESSAGE_BYTES}), k, Buffer.from(sigs.buffer, i * 64, 64))
    if (!ok) bad = i
  }
  parentPort.postMessage({ id, bad })
})
`

/** One batch of signatures: `n` triples in flat arrays (32-byte keys, 48-byte messages, 64-byte signatures). */
export interface SignatureBatch {
  readonly n: number
  readonly pubs: Uint8Array
  readonly msgs: Uint8Array
  readonly sigs: Uint8Array
}

interface Job {
  readonly batch: SignatureBatch
  resolve(bad: number): void
  reject(err: Error): void
}

/** A pool of verification threads. */
export class VerifyPool {
  readonly #idle: Worker[] = []
  readonly #all: Worker[] = []
  readonly #queue: Job[] = []
  readonly #running = new Map<Worker, Job>()

  /** @param size threads (default: the cores available) */
  constructor(readonly size = availableParallelism()) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`))
      w.unref()
      w.on('message', (m: { bad: number }) => this.#done(w, m.bad))
      w.on('error', (err) => {
        const j = this.#running.get(w)
        this.#running.delete(w)
        j?.reject(err)
      })
      this.#all.push(w)
      this.#idle.push(w)
    }
  }

  /** Verifies a batch; resolves to the index of its first bad signature, or -1. The arrays are transferred. */
  verify(batch: SignatureBatch): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject })
      this.#pump()
    })
  }

  /** Stops the threads. */
  async close(): Promise<void> {
    await Promise.all(this.#all.map(async (w) => await w.terminate()))
  }

  #pump(): void {
    for (;;) {
      const w = this.#idle.pop()
      if (w === undefined) return
      const job = this.#queue.shift()
      if (job === undefined) {
        this.#idle.push(w)
        return
      }
      this.#running.set(w, job)
      const { n, pubs, msgs, sigs } = job.batch
      w.postMessage({ id: 0, n, pubs, msgs, sigs }, [pubs.buffer as ArrayBuffer, msgs.buffer as ArrayBuffer, sigs.buffer as ArrayBuffer])
    }
  }

  #done(w: Worker, bad: number): void {
    const job = this.#running.get(w)
    this.#running.delete(w)
    this.#idle.push(w)
    job?.resolve(bad)
    this.#pump()
  }
}
