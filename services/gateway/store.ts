/**
 * What the gateway keeps beside the shared database: password hashes and the client-side attributes of a
 * session (its `user_id` label, type, planned duration, quality, and the receipt of its chain anchor).
 *
 * Why a store of its own: the DB layer's `users` and `sessions` documents (services/db/schema.ts) have no
 * field for a password hash or for these attributes, and the DB layer refuses unknown fields. Rather than
 * smuggle them into fields meant for something else, the gateway keeps them in its own embedded LevelDB
 * (`DATA/gateway`), keyed by the same ids. The account and session documents stay in the shared database,
 * the source of truth for existence and ownership: a credential without a user, or attributes without a
 * session, are ignored.
 */
import { mkdir } from 'node:fs/promises'
import { ClassicLevel } from 'classic-level'
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

const CRED = 'cred\u0000'
const SESS = 'sess\u0000'

/** The gateway's own records, in a LevelDB directory. */
export class GatewayStore {
  readonly #db: ClassicLevel<string, unknown>

  private constructor (db: ClassicLevel<string, unknown>) { this.#db = db }

  /** Opens (creating) the store in `dir`. */
  static async open (dir: string): Promise<GatewayStore> {
    await mkdir(dir, { recursive: true })
    const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: 'json' })
    await db.open()
    return new GatewayStore(db)
  }

  /** The password hash of `userId`, if any. */
  async credential (userId: string): Promise<PasswordHash | undefined> {
    return await this.#db.get(CRED + userId) as PasswordHash | undefined
  }

  /** Sets the password hash of `userId`. */
  async setCredential (userId: string, h: PasswordHash): Promise<void> {
    await this.#db.put(CRED + userId, h)
  }

  /** Password hashes of several users at once (undefined where absent). */
  async credentials (userIds: readonly string[]): Promise<Array<PasswordHash | undefined>> {
    return await this.#db.getMany(userIds.map((u) => CRED + u)) as Array<PasswordHash | undefined>
  }

  /** Sets many password hashes in one batch. */
  async setCredentials (entries: ReadonlyArray<readonly [string, PasswordHash]>): Promise<void> {
    await this.#db.batch(entries.map(([u, h]) => ({ type: 'put' as const, key: CRED + u, value: h })))
  }

  /** A session's attributes, if recorded. */
  async session (sessionId: string): Promise<SessionAttributes | undefined> {
    return await this.#db.get(SESS + sessionId) as SessionAttributes | undefined
  }

  /** Records a session's attributes. */
  async setSession (sessionId: string, a: SessionAttributes): Promise<void> {
    await this.#db.put(SESS + sessionId, a)
  }

  /** Forgets a session's attributes. */
  async deleteSession (sessionId: string): Promise<void> {
    await this.#db.del(SESS + sessionId)
  }

  /** Closes the store. */
  async close (): Promise<void> {
    await this.#db.close()
  }
}
