/**
 * What the gateway keeps beside the shared database: password hashes, the client-side attributes of a
 * session (its `user_id` label, type, planned duration, quality, and the receipt of its chain anchor), the
 * receipts of public data anchors, and refresh-token families.
 *
 * Why a store of its own: the DB layer's `users` and `sessions` documents (services/db/schema.ts) have no
 * field for a password hash or for these attributes, and the DB layer refuses unknown fields. Rather than
 * smuggle them into fields meant for something else, the gateway keeps them in its own embedded LevelDB
 * (`DATA/gateway`), keyed by the same ids. The account and session documents stay in the shared database,
 * the source of truth for existence and ownership: a credential without a user, or attributes without a
 * session, are ignored.
 *
 * Durability: opened with `sync` 'group' or 'each' (what `lucid serve` does), every write resolves only once
 * it is on stable storage, so an answer that acknowledges it (a registration, a session, an anchor receipt,
 * a token pair) survives a power cut. 'group' writes each unsynced, then waits for a sync shared with the
 * writes made meanwhile (services/common/group-sync.ts).
 */
import { mkdir } from 'node:fs/promises'
import { ClassicLevel } from 'classic-level'
import { deepFreeze } from '../common/frozen.ts'
import { GroupSync } from '../common/group-sync.ts'
import type { PasswordHash } from './auth/passwords.ts'

/** The anchor a session's owner submitted when finalising it. */
export interface SessionAnchorRecord {
  readonly tx_id: string
  readonly manifest_hash: string
  readonly merkle_root: string
  /** ms since the epoch */
  readonly submitted_at: number
}

/** Attributes a client gave a session, kept as given (they grant nothing). */
export interface SessionAttributes {
  /** The `user_id` of the request body: a client label, never the owner. */
  readonly label: string | null
  readonly session_type: string
  readonly duration_minutes: number | null
  readonly quality: string | null
  readonly anchor?: SessionAnchorRecord
}

/** The state of one refresh-token family (the tokens descending from one login). */
export interface RefreshFamily {
  /** The account the family belongs to. */
  readonly sub: string
  /** The id (jti) of the one refresh token of the family that may still be exchanged. */
  readonly current: string
  /** When the current token expires, ms since the epoch (then the record is swept). */
  readonly exp: number
  /** True once a spent token of the family was presented again: every token of the family is refused. */
  readonly revoked: boolean
}

/** A public data anchor's receipt, as answered with 201 (POST /chain/anchor). */
export interface DataAnchorReceipt {
  readonly label: string
  /** SHA-256 of the request's data_hash, hex: what the transaction anchors. */
  readonly digest: string
  /** ms since the epoch */
  readonly accepted_at: number
}

/** How the store makes writes durable: group commit (default), one sync per write, or none (benchmarks only). */
export type StoreSync = 'group' | 'each' | 'off'

type Op = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string }

const CRED = 'cred\u0000'
const SESS = 'sess\u0000'
const FAMILY = 'rfam\u0000'
const DATA_ANCHOR = 'danc\u0000'
/** Families by expiry: `rexp\0<exp as 13 digits>\0<family>`, so the expired ones are one range. */
const FAMILY_EXP = 'rexp\u0000'
/** Revoked families: `rrev\0<family>` -> exp, so a start reads the revoked ones without scanning every login's. */
const REVOKED = 'rrev\u0000'
const SYNC_KEY = '\u0000sync'
const expKey = (exp: number, fam: string): string => `${FAMILY_EXP}${String(Math.max(0, Math.floor(exp))).padStart(13, '0')}\u0000${fam}`

/** Session attributes kept in memory at most (~200 bytes each). */
const ATTR_CACHE_MAX = 100_000

/** The gateway's own records, in a LevelDB directory. */
export class GatewayStore {
  readonly #db: ClassicLevel<string, unknown>
  readonly #mode: StoreSync
  readonly #group: GroupSync
  /**
   * Session attributes as read, deep-frozen (shared with callers, who cannot change them). A listing read
   * them with a getMany per request, ~12 % of GET /sessions' busy time in a profile (docs/gateway.md).
   * Coherent because this process is the only writer of the directory (LevelDB's lock) and every write goes
   * through setSession/deleteSession, which bump `#attrWrites` and drop the entry before and after their
   * batch: a read fills only if no write began or ended while it read LevelDB. Absence is not cached.
   * Bounded: past ATTR_CACHE_MAX entries the oldest is dropped.
   */
  readonly #attrs = new Map<string, SessionAttributes>()
  #attrWrites = 0

  private constructor(db: ClassicLevel<string, unknown>, mode: StoreSync) {
    this.#db = db
    this.#mode = mode
    // A deletion of a key that never exists, synced: LevelDB fsyncs its log, covering every earlier write.
    this.#group = new GroupSync(async () => {
      await db.del(SYNC_KEY, { sync: true })
    })
  }

  /**
   * Opens (creating) the store in `dir`. `sync`: 'group' (default) or 'each' make every write durable
   * before it resolves; 'off' leaves writes to the operating system (survives kill -9, not a power cut).
   */
  static async open(dir: string, opts: { sync?: StoreSync } = {}): Promise<GatewayStore> {
    await mkdir(dir, { recursive: true })
    const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: 'json' })
    await db.open()
    return new GatewayStore(db, opts.sync ?? 'group')
  }

  /** How writes are made durable. */
  get syncMode(): StoreSync {
    return this.#mode
  }

  async #batch(ops: Op[]): Promise<void> {
    await this.#db.batch(ops, { sync: this.#mode === 'each' })
    if (this.#mode === 'group') await this.#group.sync()
  }

  /** The password hash of `userId`, if any. */
  async credential(userId: string): Promise<PasswordHash | undefined> {
    return (await this.#db.get(CRED + userId)) as PasswordHash | undefined
  }

  /** Sets the password hash of `userId`. */
  async setCredential(userId: string, h: PasswordHash): Promise<void> {
    await this.#batch([{ type: 'put', key: CRED + userId, value: h }])
  }

  /** Password hashes of several users at once (undefined where absent). */
  async credentials(userIds: readonly string[]): Promise<Array<PasswordHash | undefined>> {
    return (await this.#db.getMany(userIds.map((u) => CRED + u))) as Array<PasswordHash | undefined>
  }

  /** Sets many password hashes in one batch. */
  async setCredentials(entries: ReadonlyArray<readonly [string, PasswordHash]>): Promise<void> {
    await this.#batch(entries.map(([u, h]) => ({ type: 'put' as const, key: CRED + u, value: h })))
  }

  /** A session's attributes, if recorded (frozen). */
  async session(sessionId: string): Promise<SessionAttributes | undefined> {
    return (await this.sessions([sessionId]))[0]
  }

  /**
   * The attributes of several sessions (undefined where none is recorded; frozen): the cached ones from
   * memory, the others in one read, without one read per row.
   */
  async sessions(sessionIds: readonly string[]): Promise<Array<SessionAttributes | undefined>> {
    const out: Array<SessionAttributes | undefined> = sessionIds.map((id) => this.#attrs.get(id))
    const missing: number[] = []
    for (let i = 0; i < out.length; i++) if (out[i] === undefined) missing.push(i)
    if (missing.length === 0) return out
    const writes = this.#attrWrites
    const read = (await this.#db.getMany(missing.map((i) => SESS + sessionIds[i]))) as Array<SessionAttributes | undefined>
    for (let j = 0; j < missing.length; j++) {
      const v = read[j]
      if (v === undefined) continue
      const i = missing[j] as number
      out[i] = deepFreeze(v)
      if (writes === this.#attrWrites) this.#fillAttrs(sessionIds[i] as string, out[i] as SessionAttributes)
    }
    return out
  }

  #fillAttrs(sessionId: string, a: SessionAttributes): void {
    if (!this.#attrs.has(sessionId) && this.#attrs.size >= ATTR_CACHE_MAX) {
      const oldest = this.#attrs.keys().next()
      if (oldest.done !== true) this.#attrs.delete(oldest.value)
    }
    this.#attrs.set(sessionId, a)
  }

  /** Writes a session's attributes, keeping the attribute cache coherent (see `#attrs`). */
  async #writeAttrs(sessionId: string, op: Op): Promise<void> {
    this.#attrWrites++
    this.#attrs.delete(sessionId)
    try {
      await this.#batch([op])
    } finally {
      this.#attrWrites++
      this.#attrs.delete(sessionId)
    }
  }

  /** Records a session's attributes. */
  async setSession(sessionId: string, a: SessionAttributes): Promise<void> {
    await this.#writeAttrs(sessionId, { type: 'put', key: SESS + sessionId, value: a })
  }

  /** Forgets a session's attributes. */
  async deleteSession(sessionId: string): Promise<void> {
    await this.#writeAttrs(sessionId, { type: 'del', key: SESS + sessionId })
  }

  /** Records a data anchor's receipt (durably: the 201 that creates it is answered after). */
  async setDataAnchor(txId: string, r: DataAnchorReceipt): Promise<void> {
    await this.#batch([{ type: 'put', key: DATA_ANCHOR + txId, value: r }])
  }

  /** A data anchor's receipt, if this gateway issued it. */
  async dataAnchor(txId: string): Promise<DataAnchorReceipt | undefined> {
    return (await this.#db.get(DATA_ANCHOR + txId)) as DataAnchorReceipt | undefined
  }

  /** A refresh-token family's state, if recorded (and not yet swept). */
  async family(id: string): Promise<RefreshFamily | undefined> {
    return (await this.#db.get(FAMILY + id)) as RefreshFamily | undefined
  }

  /** Records a family's state (durably, like every write); `previous` is the state it replaces, if any. */
  async setFamily(id: string, f: RefreshFamily, previous?: RefreshFamily): Promise<void> {
    const ops: Op[] = []
    if (previous !== undefined && previous.exp !== f.exp) ops.push({ type: 'del', key: expKey(previous.exp, id) })
    ops.push({ type: 'put', key: FAMILY + id, value: f }, { type: 'put', key: expKey(f.exp, id), value: '' })
    if (f.revoked) ops.push({ type: 'put', key: REVOKED + id, value: f.exp })
    await this.#batch(ops)
  }

  /** Revoked families whose tokens have not all expired yet (loaded at start: their access tokens are refused). */
  async revokedFamilies(now: number): Promise<Array<[string, number]>> {
    const out: Array<[string, number]> = []
    for await (const [k, v] of this.#db.iterator({ gt: REVOKED, lt: REVOKED + '\uffff' })) {
      if ((v as number) > now) out.push([k.slice(REVOKED.length), v as number])
    }
    return out
  }

  /** Forgets families whose tokens have all expired (at most `max` per call); returns how many. */
  async sweepFamilies(now: number, max = 10_000): Promise<number> {
    const ops: Op[] = []
    for await (const k of this.#db.keys({ gt: FAMILY_EXP, lt: expKey(now, ''), limit: max })) {
      const fam = k.slice(FAMILY_EXP.length + 14)
      ops.push({ type: 'del', key: k }, { type: 'del', key: FAMILY + fam }, { type: 'del', key: REVOKED + fam })
    }
    // Not synced: forgetting expired state early or late changes no answer (an expired token is refused anyway).
    if (ops.length > 0) await this.#db.batch(ops)
    return ops.length / 3
  }

  /** Closes the store. */
  async close(): Promise<void> {
    await this.#db.close()
  }
}
