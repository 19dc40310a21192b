/**
 * Password hashing with scrypt behind admission control. The gateway computes it on threads of its own at a
 * lower priority than the event loop (auth/hash-threads.ts); `scryptDerive` (libuv's pool) is the default of a
 * bare KdfPool.
 *
 * Why admission control: scrypt at the default cost takes ~320 ms and 128 MiB per hash. Unbounded, a login
 * storm would queue without limit and every login would time out. So at most `concurrency` hashes run at once
 * (the gateway's default: one per core, see config.ts), at most `queueLimit` wait, and one more is refused at
 * once with 503 LUCID_ERR_3002 and a Retry-After estimated from the measured hash time. Refusing early is kinder
 * than accepting work that would only time out.
 *
 * A stored hash records its own parameters, so raising the cost later never locks anyone out; a login
 * whose hash is weaker than the policy rehashes it (see AccountService).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { errors } from '../../common/errors.ts'
import type { KdfParams } from '../config.ts'

/** A stored password hash: algorithm, parameters, salt and derived key (base64). */
export interface PasswordHash {
  readonly alg: 'scrypt'
  readonly N: number
  readonly r: number
  readonly p: number
  readonly salt: string
  readonly hash: string
}

const KEY_BYTES = 32
const SALT_BYTES = 16

/** maxmem for scrypt: Node's default (32 MiB) is below the 128 MiB that N=2^17, r=8 needs, so it is set from the parameters, with room to spare. */
export function scryptMaxmem(k: KdfParams): number {
  return 256 * k.N * k.r * k.p
}

/** Derives a key from a password: scrypt by default; tests inject a function they can hold back. */
export type Derive = (password: string, salt: Buffer, k: KdfParams) => Promise<Buffer>

/** scrypt through node:crypto (libuv's pool). */
export function scryptDerive(password: string, salt: Buffer, k: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { N: k.N, r: k.r, p: k.p, maxmem: scryptMaxmem(k) }, (err, key) => {
      if (err !== null) reject(err)
      else resolve(key)
    })
  })
}

/** True when `h` was made with weaker parameters than `policy` (the login rehashes it). */
export function isWeaker(h: PasswordHash, policy: KdfParams): boolean {
  return h.N < policy.N || h.r < policy.r || h.p < policy.p
}

/**
 * Bounded scrypt: at most `concurrency` hashes at once, at most `queueLimit` waiting, and, with
 * `perKeyLimit`, at most that many running or waiting for one key (a client address): past it 429
 * LUCID_ERR_3001, so one address cannot take the whole queue and turn everyone else's logins into 503s.
 */
export class KdfPool {
  readonly concurrency: number
  readonly queueLimit: number
  readonly perKeyLimit: number | undefined
  #running = 0
  /** Hashes running or waiting per key (only keys with some). */
  readonly #perKey = new Map<string, number>()
  readonly #waiting: Array<{ go: () => void; drop: (err: Error) => void; signal?: AbortSignal }> = []
  /** Exponentially weighted mean hash time, ms, for Retry-After. */
  #meanMs = 0
  readonly #derive: Derive

  constructor(concurrency: number, queueLimit: number, derive: Derive = scryptDerive, perKeyLimit?: number) {
    this.#derive = derive
    if (perKeyLimit !== undefined && !(Number.isInteger(perKeyLimit) && perKeyLimit >= 1))
      throw new RangeError('KdfPool perKeyLimit must be a positive integer')
    this.perKeyLimit = perKeyLimit
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError('KdfPool concurrency must be a positive integer')
    if (!(Number.isInteger(queueLimit) && queueLimit >= 0)) throw new RangeError('KdfPool queueLimit must be a non-negative integer')
    this.concurrency = concurrency
    this.queueLimit = queueLimit
  }

  /** Hashes running now. */
  get running(): number {
    return this.#running
  }
  /** Hashes waiting for a slot. */
  get queued(): number {
    return this.#waiting.length
  }

  /** A new salted hash of `password` at cost `k`. */
  async hash(password: string, k: KdfParams, opts: { bypassQueueLimit?: boolean; key?: string } = {}): Promise<PasswordHash> {
    const salt = randomBytes(SALT_BYTES)
    const key = await this.#admit(opts.key, async () => await this.#run(() => this.#derive(password, salt, k), opts.bypassQueueLimit ?? false))
    return { alg: 'scrypt', N: k.N, r: k.r, p: k.p, salt: salt.toString('base64'), hash: key.toString('base64') }
  }

  /**
   * True when `password` matches `stored` (constant-time comparison of the derived keys). With `signal`,
   * a verification still waiting for a slot when the signal aborts (the client hung up) leaves the queue
   * without hashing: a login storm whose clients time out must not keep the pool busy for nobody.
   */
  async verify(password: string, stored: PasswordHash, signal?: AbortSignal, admissionKey?: string): Promise<boolean> {
    const expected = Buffer.from(stored.hash, 'base64')
    const key = await this.#admit(
      admissionKey,
      async () => await this.#run(() => this.#derive(password, Buffer.from(stored.salt, 'base64'), stored), false, signal)
    )
    return key.length === expected.length && timingSafeEqual(key, expected)
  }

  /** Runs `fn` counted against `key`'s share (when there is a per-key limit and a key). */
  async #admit<T>(key: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (key === undefined || this.perKeyLimit === undefined) return await fn()
    const held = this.#perKey.get(key) ?? 0
    if (held >= this.perKeyLimit) {
      const retryS = Math.max(1, Math.ceil((held * (this.#meanMs || 500)) / this.concurrency / 1000))
      throw Object.assign(new errors.RateLimited(`${retryS} s (${held} password hashes of this address running or waiting, at most ${this.perKeyLimit})`), {
        retryAfterS: retryS
      })
    }
    this.#perKey.set(key, held + 1)
    try {
      return await fn()
    } finally {
      const n = (this.#perKey.get(key) ?? 1) - 1
      if (n <= 0) this.#perKey.delete(key)
      else this.#perKey.set(key, n)
    }
  }

  async #run<T>(fn: () => Promise<T>, bypass: boolean, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted === true) throw abandoned()
    if (this.#running >= this.concurrency) {
      if (!bypass && this.#waiting.length >= this.queueLimit) {
        const retryS = Math.max(1, Math.ceil(((this.#waiting.length + 1) * (this.#meanMs || 500)) / this.concurrency / 1000))
        throw Object.assign(new errors.ServerBusy(`${this.#waiting.length} password hashes queued, retry in ${retryS} s`), { retryAfterS: retryS })
      }
      await new Promise<void>((resolve, reject) => {
        const entry = { go: resolve, drop: reject, ...(signal !== undefined ? { signal } : {}) }
        this.#waiting.push(entry)
        signal?.addEventListener(
          'abort',
          () => {
            const i = this.#waiting.indexOf(entry)
            if (i >= 0) {
              this.#waiting.splice(i, 1)
              reject(abandoned())
            }
          },
          { once: true }
        )
      })
    } else {
      this.#running++
    }
    const t0 = performance.now()
    try {
      return await fn()
    } finally {
      const ms = performance.now() - t0
      this.#meanMs = this.#meanMs === 0 ? ms : 0.8 * this.#meanMs + 0.2 * ms
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = this.#waiting.shift()
      if (next !== undefined) next.go()
      else this.#running--
    }
  }
}

/** The client of a queued hash went away before its turn. */
function abandoned(): Error {
  return new errors.InvalidRequest('the client closed the connection before its password could be checked')
}
