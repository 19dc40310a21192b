/**
 * scrypt on worker threads of their own, each at a lower scheduling priority than the event loop.
 *
 * Why: with scrypt on libuv's pool, the loop's share of the CPU could only be protected by leaving a whole
 * core to it (one hash at a time on 2 cores), and every load scenario's worst endpoint was POST /auth/login:
 * logins queued behind one another while the second core sat idle between requests. Here the hashing threads
 * are as many as the cores, and each lowers its own nice value (Linux keeps nice per thread, so the event loop
 * and the rest of the process keep theirs): when the loop has work the kernel gives it the core (CFS weight
 * 1024 against 110 at nice 10, about 90 %), and when it has none the hashes use every core. The loop's share
 * is reserved by priority rather than by an idle core. Hashing off libuv's pool also leaves all four of its
 * threads to disk and zlib.
 *
 * Elsewhere than Linux, `setpriority` on a thread would lower the whole process, so the threads keep the
 * normal priority there and the pool is sized to leave a core to the loop (kdfThreadPlan).
 */
import { availableParallelism, platform } from 'node:os'
import { WorkerPool } from '../../common/worker-pool.ts'
import type { KdfParams } from '../config.ts'
import type { Derive } from './passwords.ts'

/** How many hashes run at once and at which nice value their threads run. */
export interface KdfThreadPlan {
  /** Hashes at once (threads). */
  readonly threads: number
  /** Nice value each hashing thread sets on itself, or 0 when it keeps the process's priority. */
  readonly nice: number
}

/** The nice value of the hashing threads where per-thread priority exists (Linux). */
export const KDF_THREAD_NICE = 10

/**
 * The sizing rule: one hashing thread per core at nice 10 where a thread can lower its own priority (Linux),
 * otherwise one per core but one, at normal priority (the loop keeps a core to itself), and at least one.
 */
export function kdfThreadPlan(cores: number = availableParallelism(), os: string = platform()): KdfThreadPlan {
  return os === 'linux' ? { threads: Math.max(1, cores), nice: KDF_THREAD_NICE } : { threads: Math.max(1, cores - 1), nice: 0 }
}

/** What a hashing thread answers: the derived key and the nice value it ran at (tests check the latter). */
export interface HashReply {
  readonly key: Uint8Array
  readonly nice: number
}

interface HashJob {
  readonly password: string
  readonly salt: Uint8Array
  readonly N: number
  readonly r: number
  readonly p: number
  readonly maxmem: number
}

// Plain JavaScript: the worker runs from a data: URL (services/common/worker-pool.ts says why). The nice value
// is set once, by the thread on itself (`setPriority(n)` means the calling thread on Linux); a failure leaves
// the thread at the priority it has, and every answer reports the value it really runs at.
const source = (nice: number): string => `
import { parentPort } from 'node:worker_threads'
import { scryptSync } from 'node:crypto'
import { getPriority, setPriority } from 'node:os'
if (${nice} !== 0) { try { setPriority(${nice}) } catch {} }
parentPort.on('message', ({ id, input }) => {
  try {
    const key = scryptSync(input.password, input.salt, 32, { N: input.N, r: input.r, p: input.p, maxmem: input.maxmem })
    parentPort.postMessage({ id, output: { key: new Uint8Array(key), nice: getPriority() } })
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) })
  }
})
`

/** scrypt on a pool of lowered-priority worker threads, started at the first hash; `close` stops them. */
export class KdfThreads {
  readonly plan: KdfThreadPlan
  #pool: WorkerPool<HashJob, HashReply> | undefined
  #closed = false

  /** @param plan threads and nice value (default kdfThreadPlan()) */
  constructor(plan: KdfThreadPlan = kdfThreadPlan()) {
    this.plan = plan
  }

  /** One derivation, with the nice value of the thread that ran it. */
  async run(password: string, salt: Buffer, k: KdfParams, maxmem: number): Promise<HashReply> {
    if (this.#closed) throw new Error('KdfThreads closed')
    // Started lazily: most gateways made by tests never hash a password, and a thread costs ~5 MB.
    this.#pool ??= new WorkerPool<HashJob, HashReply>({ name: 'scrypt', source: source(this.plan.nice), size: this.plan.threads })
    return await this.#pool.run({ password: password.normalize('NFC'), salt: new Uint8Array(salt), N: k.N, r: k.r, p: k.p, maxmem })
  }

  /** A Derive for KdfPool: the key only. */
  derive(maxmem: (k: KdfParams) => number): Derive {
    return async (password, salt, k) => {
      const r = await this.run(password, salt, k, maxmem(k))
      return Buffer.from(r.key.buffer, r.key.byteOffset, r.key.byteLength)
    }
  }

  /** Stops the threads (what is queued or running is rejected). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#pool?.close()
  }
}
