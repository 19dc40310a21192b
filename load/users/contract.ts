/**
 * The four user kinds of the original locustfile, exactly as the load contract
 * (docs/reference.md section 2): their task sequences and repeat counts, credentials,
 * payloads, waits, per-user state and what counts as success (200/201, 200 or 204 for deletes, plus the
 * fields the original reads: `token`, `session_id`).
 */
import { createHash } from 'node:crypto'
import type { Rng } from '../../services/common/rng.ts'
import type { Task, TaskContext, UserKind } from './types.ts'

const OK = [200, 201] as const
const OK_DELETE = [200, 204] as const

const field =
  (name: string) =>
  (json: unknown): string | undefined =>
    typeof json === 'object' && json !== null && typeof (json as Record<string, unknown>)[name] === 'string' ? undefined : `response without "${name}"`

const task = (name: string, repeat: number, run: (ctx: TaskContext) => Promise<void>): Task => ({ name, repeat, run })

const get = (path: string, name = `GET ${path}`, auth = false): Task =>
  task(name, 1, async ({ http, state }) => {
    await http.request({ name, method: 'GET', path, ok: OK, ...(auth && state.token !== undefined ? { token: state.token } : {}) })
  })

const times = (t: Task, n: number): Task => ({ ...t, repeat: n })

/** Logs in with the user's credentials and keeps the token (the original reads `token`). */
const login = (path: string, password: string, name = `POST ${path}`): Task =>
  task(name, 1, async ({ http, state }) => {
    const r = await http.request({ name, method: 'POST', path, body: { username: state.username, password }, ok: OK, check: field('token') })
    const token = (r?.json as { token?: unknown } | undefined)?.token
    if (typeof token === 'string') state.token = token
  })

const deleteSession = task('DELETE /sessions/[id]', 1, async ({ http, state }) => {
  if (state.sessionId === undefined) return // nothing created yet: the original skips the delete too
  await http.request({
    name: 'DELETE /sessions/[id]',
    method: 'DELETE',
    path: `/sessions/${encodeURIComponent(state.sessionId)}`,
    ok: OK_DELETE,
    ...(state.token !== undefined ? { token: state.token } : {})
  })
  delete state.sessionId
})

const createSession = (withQuality: boolean): Task =>
  task('POST /sessions', 1, async ({ http, rng, state }) => {
    const body: Record<string, unknown> = { user_id: state.username, session_type: 'rdp', duration_minutes: rng.int(30, 180) }
    if (withQuality) body.quality = (['low', 'medium', 'high'] as const)[rng.int(0, 2)]
    const r = await http.request({
      name: 'POST /sessions',
      method: 'POST',
      path: '/sessions',
      body,
      ok: OK,
      check: field('session_id'),
      ...(state.token !== undefined ? { token: state.token } : {})
    })
    const id = (r?.json as { session_id?: unknown } | undefined)?.session_id
    if (typeof id === 'string') state.sessionId = id
  })

const randomHex = (rng: Rng): string =>
  createHash('sha256')
    .update(rng.fill(new Uint8Array(32)))
    .digest('hex')

/** APIUser, wait 1-3 s. */
export const APIUser: UserKind = {
  name: 'APIUser',
  weight: 1,
  wait: [1, 3],
  init: (rng) => ({ username: `test_user_${rng.int(1, 100)}` }),
  tasks: [
    times(get('/health'), 3),
    times(login('/auth/login', 'test_password_123'), 2),
    createSession(false),
    times(get('/sessions', 'GET /sessions', true), 2),
    get('/chain/info'),
    get('/nodes/status'),
    deleteSession
  ]
}

/** BlockchainUser, wait 5-10 s. */
export const BlockchainUser: UserKind = {
  name: 'BlockchainUser',
  weight: 1,
  wait: [5, 10],
  init: (rng) => ({ username: `blockchain_user_${rng.int(1, 100)}` }),
  tasks: [
    times(get('/chain/info'), 3),
    times(get('/chain/blocks/latest'), 2),
    task('POST /chain/anchor', 1, async ({ http, rng }) => {
      await http.request({
        name: 'POST /chain/anchor',
        method: 'POST',
        path: '/chain/anchor',
        body: { session_id: `session_${rng.int(1, 1_000_000)}`, data_hash: randomHex(rng), timestamp: new Date().toISOString() },
        // The gateway answers 201 Created with the receipt (its status URL in Location), as the original
        // client expects: it counts 200 and 201 only.
        ok: [200, 201]
      })
    }),
    get('/chain/consensus/status')
  ]
}

/** SessionUser, wait 2-5 s. */
export const SessionUser: UserKind = {
  name: 'SessionUser',
  weight: 1,
  wait: [2, 5],
  init: (rng) => ({ username: `session_user_${rng.int(1, 50)}` }),
  tasks: [
    times(login('/auth/login', 'session_password_123'), 2),
    times(createSession(true), 3),
    times(
      task('GET /sessions/[id]', 1, async ({ http, state }) => {
        if (state.sessionId === undefined) return
        await http.request({
          name: 'GET /sessions/[id]',
          method: 'GET',
          path: `/sessions/${encodeURIComponent(state.sessionId)}`,
          ok: OK,
          ...(state.token !== undefined ? { token: state.token } : {})
        })
      }),
      4
    ),
    deleteSession
  ]
}

/** AdminUser, wait 10-30 s. */
export const AdminUser: UserKind = {
  name: 'AdminUser',
  weight: 1,
  wait: [10, 30],
  init: () => ({ username: 'admin' }),
  tasks: [
    login('/admin/auth/login', 'admin_password_123'),
    times(get('/admin/dashboard/overview', 'GET /admin/dashboard/overview', true), 2),
    get('/admin/dashboard/metrics', 'GET /admin/dashboard/metrics', true),
    get('/admin/users/', 'GET /admin/users/', true)
  ]
}

/** The four kinds, equally weighted as in the original. */
export const CONTRACT_USERS: readonly UserKind[] = [APIUser, BlockchainUser, SessionUser, AdminUser]
