/**
 * scrypt on worker threads of their own, each at a lower scheduling priority than the event loop.
 *
 * Why: with scrypt on libuv's pool, hashes shared the pool's four threads with disk and zlib work and ran at the
 * loop's own priority. Here they run on threads of their own, one per core but one (the loop keeps a core), and
 * on Linux each lowers its own nice value (Linux keeps nice per thread, so the event loop and the rest of the
 * process keep theirs): when the loop has work the kernel prefers it (CFS weight 1024 against 110 at nice 10).
 * One thread per core, the loop's share reserved by priority alone, was measured and is not the default
 * (kdfThreadPlan says why); `kdfConcurrency` raises the count.
 *
 * Elsewhere than Linux, `setpriority` on a thread would lower the whole process, so the threads keep the
 * normal priority there.
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
 * The sizing rule: one hashing thread per core but one (the loop keeps a core to itself), at least one; on
 * Linux, where a thread can lower its own priority, those threads also run at nice 10, so the loop wins the
 * core whenever both want it. One thread per core at nice 10 was measured too (docs/gateway.md, "Logins under
 * load"): logins faster in a burst, but in one medium run at N=2^14 the /health p99 rose to 199 ms on two busy
 * cores, so priority alone is not yet shown to protect the loop; `kdfConcurrency` raises the count.
 */
export function kdfThreadPlan(cores: number = availableParallelism(), os: string = platform()): KdfThreadPlan {
  return { threads: Math.max(1, cores - 1), nice: os === 'linux' ? KDF_THREAD_NICE : 0 }
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
