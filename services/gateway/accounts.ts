/**
 * Accounts: registration, password and wallet login, refresh, and the load contract's demo accounts.
 * Account documents live in the shared database (users); password hashes in the gateway store.
 */
import { randomBytes } from 'node:crypto'
import { errors, isLucidError } from '../common/errors.ts'
import type { Clock } from '../common/clock.ts'
import type { Database, User } from '../db/index.ts'
import { isWeaker, type KdfPool, type PasswordHash } from './auth/passwords.ts'
import type { Role } from './auth/roles.ts'
import type { KdfParams } from './config.ts'
import type { WindowBudget } from './rate-limit.ts'
import type { GatewayStore } from './store.ts'

/** One demo account of the load contract (docs/reference.md section 2). */
export interface DemoAccount {
  readonly username: string
  readonly password: string
  readonly roles: readonly Role[]
}

/**
 * The accounts the original locustfile logs in with: test_user_1..100 (APIUser), session_user_1..50
 * (SessionUser) and admin (AdminUser). The demo admin is also SuperAdmin: it is the demo's one operator.
 */
export function demoAccounts(): DemoAccount[] {
  const out: DemoAccount[] = []
  for (let i = 1; i <= 100; i++) out.push({ username: `test_user_${i}`, password: 'test_password_123', roles: ['User'] })
  for (let i = 1; i <= 50; i++) out.push({ username: `session_user_${i}`, password: 'session_password_123', roles: ['User'] })
  out.push({ username: 'admin', password: 'admin_password_123', roles: ['User', 'Admin', 'SuperAdmin'] })
  return out
}

/** What seeding did. */
export interface SeedReport {
  readonly created: number
  readonly existing: number
  /** Password hashes computed. */
  readonly hashed: number
  readonly ms: number
}

const ACTIVE = 'active'

/**
 * The shape of a TRON address (base58, 'T' and 33 more characters). Wallet accounts take their address as
 * `user_id`, so a password account may never be named like one: otherwise registering a wallet's address
 * first would lock that wallet out of login (and once made its first login loop on the duplicate).
 */
const TRON_ADDRESS_SHAPE = /^T[1-9A-HJ-NP-Za-km-z]{33}$/
/** E-mail domains the gateway gives its own accounts (wallet, demo, password without e-mail): never registrable. */
const RESERVED_EMAIL = /@(?:[^@]*\.)?lucid\.invalid$/i

/** Why a password registration may not use these names, or undefined when it may. */
export function reservedName(username: string, email?: string): string | undefined {
  if (TRON_ADDRESS_SHAPE.test(username)) return 'a username shaped like a TRON address belongs to that wallet'
  if (email !== undefined && RESERVED_EMAIL.test(email)) return "e-mail addresses under lucid.invalid are the gateway's own"
  return undefined
}

/** Account operations over the database, the gateway store and the hashing pool. */
export class AccountService {
  readonly #db: Database
  readonly #store: GatewayStore
  readonly #pool: KdfPool
  readonly #policy: KdfParams
  readonly #clock: Clock
  /** Compared against when the user does not exist, so an unknown name costs the same hash as a known one. */
  readonly #decoy: PasswordHash
  /** Accounts created per client address (absent when limits are lifted). */
  readonly #creations: WindowBudget | undefined

  /** @param deps.creations the per-address budget of account creation (absent: unlimited, --load-test) */
  constructor(deps: { db: Database; store: GatewayStore; pool: KdfPool; policy: KdfParams; clock: Clock; creations?: WindowBudget }) {
    this.#creations = deps.creations
    this.#db = deps.db
    this.#store = deps.store
    this.#pool = deps.pool
    this.#policy = deps.policy
    this.#clock = deps.clock
    const k = deps.policy
    this.#decoy = { alg: 'scrypt', N: k.N, r: k.r, p: k.p, salt: randomBytes(16).toString('base64'), hash: randomBytes(32).toString('base64') }
  }

  /**
   * Creates a password account with the User role; LUCID_ERR_1011 if the username or the e-mail is taken
   * (one message for both: the answer must not tell which account exists), LUCID_ERR_1014 for a name
   * reserved to wallet or built-in accounts (so the two kinds cannot collide), LUCID_ERR_3001 when `from`
   * (the client address) has spent its account-creation budget or its share of the hashing queue.
   */
  async register(username: string, password: string, email?: string, from?: string): Promise<User> {
    const reserved = reservedName(username, email)
    if (reserved !== undefined) throw new errors.ReservedName(reserved)
    const mail = email ?? `${username}@users.lucid.invalid`
    // Both names checked before any hashing: a duplicate must not cost (or let anyone make us spend) a hash.
    const [byId, byMail] = await Promise.all([this.#db.users.get(username), this.#db.users.byEmail(mail)])
    if (byId !== undefined || byMail !== undefined) throw taken()
    if (from !== undefined) this.#creations?.take(from, 'new accounts per hour from this address spent')
    // Hash before writing anything: a 503 from the pool then leaves no half-made account.
    const h = await this.#pool.hash(password, this.#policy, from !== undefined ? { key: from } : {})
    const user: User = { user_id: username, email: mail, roles: ['User'], status: ACTIVE, created_at: this.#clock.now() }
    try {
      await this.#db.users.insert(user)
    } catch (err) {
      // A concurrent registration took a name between the check and the insert.
      if (isLucidError(err, 'LUCID_ERR_4002')) throw taken()
      throw err
    }
    await this.#store.setCredential(username, h)
    return user
  }

  /**
   * The account if `password` is its password; LUCID_ERR_1004 otherwise (unknown users cost the same
   * hash), LUCID_ERR_1005 for a disabled account, LUCID_ERR_3002 when the hashing queue is full.
   * `signal` aborts a check still waiting for the hashing pool (its client is gone). `from` (the client
   * address) counts the hash against that address's share of the queue (LUCID_ERR_3001 past it).
   */
  async checkPassword(username: string, password: string, signal?: AbortSignal, from?: string): Promise<User> {
    const [user, h] = await Promise.all([this.#db.users.get(username), this.#store.credential(username)])
    const ok = await this.#pool.verify(password, h ?? this.#decoy, signal, from)
    if (user === undefined || h === undefined || !ok) throw new errors.InvalidCredentials()
    if (user.status !== ACTIVE) throw new errors.Forbidden(`account ${username} is ${user.status}`)
    if (isWeaker(h, this.#policy)) await this.#upgrade(username, password)
    return user
  }

  /** An active account by id (refresh); LUCID_ERR_1003 when it is gone or disabled, so its tokens stop working. */
  async activeUser(userId: string): Promise<User> {
    const user = await this.#db.users.get(userId)
    if (user === undefined || user.status !== ACTIVE) throw new errors.InvalidToken()
    return user
  }

  /**
   * The account of a verified wallet, created (role User) at its first login. One insert attempt and one
   * re-read, never a loop: a duplicate key is either a concurrent first login of the same wallet (the
   * re-read finds its account) or an account that holds the wallet's id or e-mail without its address
   * (written before names were reserved), answered LUCID_ERR_1011. A first login counts against `from`'s
   * (the client address's) account-creation budget (LUCID_ERR_3001 when spent).
   */
  async walletUser(address: string, from?: string): Promise<User> {
    const existing = await this.#walletAccount(address)
    if (existing !== undefined) return existing
    if (from !== undefined) this.#creations?.take(from, 'new accounts per hour from this address spent')
    const user: User = {
      user_id: address,
      email: `${address}@wallet.lucid.invalid`,
      tron_address: address,
      roles: ['User'],
      status: ACTIVE,
      created_at: this.#clock.now()
    }
    try {
      return await this.#db.users.insert(user)
    } catch (err) {
      if (!isLucidError(err, 'LUCID_ERR_4002')) throw err
      const created = await this.#walletAccount(address)
      if (created !== undefined) return created
      throw new errors.AlreadyExists(`an account other than wallet ${address}'s holds its id or e-mail`, { cause: err })
    }
  }

  async #walletAccount(address: string): Promise<User | undefined> {
    const existing = await this.#db.users.byTronAddress(address)
    if (existing !== undefined && existing.status !== ACTIVE) throw new errors.Forbidden(`account ${existing.user_id} is ${existing.status}`)
    return existing
  }

  /** Replaces an account's roles; LUCID_ERR_1006 for an unknown account. */
  async setRoles(userId: string, roles: readonly Role[]): Promise<User> {
    if ((await this.#db.users.get(userId)) === undefined) throw new errors.NotFound(`user ${userId}`)
    return await this.#db.users.update(userId, { roles: [...roles] })
  }

  /**
   * Creates the demo accounts that are missing (an account already complete is left as it is, so
   * seeding a data directory twice is instant). The hashes are computed concurrently, as many at once as
   * the pool allows (one per core by default), at the cost in effect.
   */
  async seedDemo(accounts: readonly DemoAccount[] = demoAccounts()): Promise<SeedReport> {
    const t0 = performance.now()
    const ids = accounts.map((a) => a.username)
    const [users, creds] = await Promise.all([Promise.all(ids.map(async (id) => await this.#db.users.get(id))), this.#store.credentials(ids)])
    const todo = accounts.filter((_, i) => users[i] === undefined || creds[i] === undefined)
    const hashes = await Promise.all(todo.map(async (a) => await this.#pool.hash(a.password, this.#policy, { bypassQueueLimit: true })))
    await this.#store.setCredentials(todo.map((a, i) => [a.username, hashes[i] as PasswordHash] as const))
    const now = this.#clock.now()
    const missing = todo.filter((a) => users[ids.indexOf(a.username)] === undefined)
    await this.#db.users.insertMany(
      missing.map((a) => ({ user_id: a.username, email: `${a.username}@demo.lucid.invalid`, roles: [...a.roles], status: ACTIVE, created_at: now }))
    )
    return { created: missing.length, existing: accounts.length - missing.length, hashed: todo.length, ms: performance.now() - t0 }
  }

  /**
   * Rehashes a password stored at a weaker cost than the policy, after a successful login (once per
   * account: that login pays a second hash). Best effort: with the hashing queue full the old hash stays
   * valid and the next login tries again; the login itself never fails for it.
   */
  async #upgrade(username: string, password: string): Promise<void> {
    try {
      await this.#store.setCredential(username, await this.#pool.hash(password, this.#policy))
    } catch (err) {
      if (!isLucidError(err, 'LUCID_ERR_3002')) throw err
    }
  }
}

/** The one answer to a registration whose username or e-mail is taken: it names neither. */
function taken(): Error {
  return new errors.AlreadyExists('an account with this username or e-mail')
}
