/**
 * Ed25519 verification on worker threads, in batches: sync hands over thousands of (key, message,
 * signature) triples at once as three flat byte arrays (transferred, not copied) and gets back the index of
 * the first bad one. The worker is plain JavaScript from a data: URL because worker threads do not inherit
 * tsx's loader and it needs nothing but node:crypto.
 */
import { availableParallelism } from 'node:os'
import { WorkerPool } from '../common/worker-pool.ts'
import { SIGNED_MESSAGE_BYTES } from './encoding.ts'
import { SPKI_PREFIX_HEX } from './signer.ts'

const WORKER_SOURCE = `
import { parentPort } from 'node:worker_threads'
import { createPublicKey, verify } from 'node:crypto'
const prefix = Buffer.from(${JSON.stringify(SPKI_PREFIX_HEX)}, 'hex')
const keys = new Map()
parentPort.on('message', ({ id, input: { n, pubs, msgs, sigs } }) => {
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
  parentPort.postMessage({ id, output: bad })
})
`

/** One batch of signatures: `n` triples in flat arrays (32-byte keys, 48-byte messages, 64-byte signatures). */
export interface SignatureBatch {
  readonly n: number
  readonly pubs: Uint8Array
  readonly msgs: Uint8Array
  readonly sigs: Uint8Array
}

/**
 * A pool of verification threads (services/common/worker-pool.ts): close rejects what is queued or running
 * (LUCID_ERR_3003), a crashed thread is replaced.
 */
export class VerifyPool {
  readonly #pool: WorkerPool<SignatureBatch, number>

  /** @param size threads (default: the cores available) */
  constructor(readonly size = availableParallelism()) {
    this.#pool = new WorkerPool<SignatureBatch, number>({
      name: 'ed25519',
      source: WORKER_SOURCE,
      size,
      encode: (b) => ({ message: b, transfer: [b.pubs.buffer as ArrayBuffer, b.msgs.buffer as ArrayBuffer, b.sigs.buffer as ArrayBuffer] })
    })
  }

  /** Verifies a batch; resolves to the index of its first bad signature, or -1. The arrays are transferred. */
  verify(batch: SignatureBatch): Promise<number> {
    return this.#pool.run(batch)
  }

  /** Stops the threads; jobs not finished are rejected. */
  async close(): Promise<void> {
    await this.#pool.close()
  }
}
