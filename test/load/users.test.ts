import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { runEngine } from '../../load/users/engine.ts'
import { APIUser, AdminUser, BlockchainUser, SessionUser } from '../../load/users/contract.ts'
import type { UserKind } from '../../load/users/types.ts'
import { startRecordingServer, type Recorded } from '../fixtures/recording-server.ts'

const line = (r: Recorded): string => `${r.method} ${r.path.replace(/sess-\d+/, '{id}')}`

/**
 * Runs one user of `kind` against the recording server for `seconds`, waits shrunk 1000x (1-30 ms), which
 * leaves room for many more requests than the assertions read even on a loaded machine.
 */
async function oneUser(
  kind: UserKind,
  seconds: number,
  opts: { failLogin?: boolean } = {}
): Promise<{ requests: Recorded[]; endpoints: Map<string, { requests: number; failures: number; reasons: Map<string, number> }> }> {
  const server = await startRecordingServer(opts)
  try {
    const r = await runEngine({ url: server.url, users: [{ kind, startS: 0 }], durationS: seconds, waitDivisor: 1000, seed: 3 })
    return { requests: [...server.requests], endpoints: r.stats.endpoints }
  } finally {
    await server.close()
  }
}

describe('simulated users follow the load contract', () => {
  it('APIUser: its sequence, credentials, payloads and token use, looping', async () => {
    const { requests } = await oneUser(APIUser, 1.5)
    const seq = requests.map(line)
    const one = [
      'GET /health',
      'GET /health',
      'GET /health',
      'POST /auth/login',
      'POST /auth/login',
      'POST /sessions',
      'GET /sessions',
      'GET /sessions',
      'GET /chain/info',
      'GET /nodes/status',
      'DELETE /sessions/{id}'
    ]
    assert.deepEqual(seq.slice(0, 11), one)
    assert.deepEqual(seq.slice(11, 14), one.slice(0, 3), 'then the sequence starts over')
    const login = requests[3]!.body as { username: string; password: string }
    assert.match(login.username, /^test_user_([1-9]|[1-9]\d|100)$/)
    assert.equal(login.password, 'test_password_123')
    const create = requests[5]!
    const body = create.body as Record<string, unknown>
    assert.deepEqual(Object.keys(body).sort(), ['duration_minutes', 'session_type', 'user_id'])
    assert.equal(body.session_type, 'rdp')
    assert.ok(Number(body.duration_minutes) >= 30 && Number(body.duration_minutes) <= 180)
    assert.equal(body.user_id, login.username, 'user_id is the client label')
    assert.match(create.token ?? '', /^tok-test_user_\d+-2$/, 'the token of the second login is used')
    assert.equal(requests[10]!.path, `/sessions/${'sess-3'}`, 'it deletes the session it created')
    assert.equal(requests[0]!.token, undefined, 'public routes carry no token')
  })

  it('BlockchainUser: chain reads and an anchor with session_id, data_hash and timestamp', async () => {
    const { requests } = await oneUser(BlockchainUser, 1.5)
    assert.deepEqual(requests.slice(0, 7).map(line), [
      'GET /chain/info',
      'GET /chain/info',
      'GET /chain/info',
      'GET /chain/blocks/latest',
      'GET /chain/blocks/latest',
      'POST /chain/anchor',
      'GET /chain/consensus/status'
    ])
    const anchor = requests[5]!.body as Record<string, string>
    assert.deepEqual(Object.keys(anchor).sort(), ['data_hash', 'session_id', 'timestamp'])
    assert.match(anchor.data_hash!, /^[0-9a-f]{64}$/)
    assert.ok(!Number.isNaN(Date.parse(anchor.timestamp!)))
  })

  it('SessionUser: logs in twice, creates three sessions with a quality, reads the last four times, deletes it', async () => {
    const { requests } = await oneUser(SessionUser, 1.5)
    assert.deepEqual(requests.slice(0, 10).map(line), [
      'POST /auth/login',
      'POST /auth/login',
      'POST /sessions',
      'POST /sessions',
      'POST /sessions',
      'GET /sessions/{id}',
      'GET /sessions/{id}',
      'GET /sessions/{id}',
      'GET /sessions/{id}',
      'DELETE /sessions/{id}'
    ])
    const login = requests[0]!.body as { username: string; password: string }
    assert.match(login.username, /^session_user_([1-9]|[1-4]\d|50)$/)
    assert.equal(login.password, 'session_password_123')
    for (const r of requests.slice(2, 5)) assert.ok(['low', 'medium', 'high'].includes((r.body as { quality: string }).quality))
    // The server numbers tokens and sessions in one sequence: logins got 1 and 2, the sessions 3, 4 and 5.
    assert.equal(requests[5]!.path, '/sessions/sess-5', 'reads the last session it created')
    assert.equal(requests[9]!.path, '/sessions/sess-5', 'and deletes it')
  })

  it('AdminUser: admin login, then the dashboard and users with the admin token', async () => {
    const { requests } = await oneUser(AdminUser, 1.5)
    assert.deepEqual(requests.slice(0, 5).map(line), [
      'POST /admin/auth/login',
      'GET /admin/dashboard/overview',
      'GET /admin/dashboard/overview',
      'GET /admin/dashboard/metrics',
      'GET /admin/users/'
    ])
    assert.deepEqual(requests[0]!.body, { username: 'admin', password: 'admin_password_123' })
    for (const r of requests.slice(1, 5)) assert.match(r.token ?? '', /^tok-admin-/)
  })

  it('counts failures by reason, as the original does (a failed login, then unauthenticated calls)', async () => {
    const { endpoints } = await oneUser(APIUser, 1, { failLogin: true })
    const login = endpoints.get('POST /auth/login')!
    assert.equal(login.failures, login.requests)
    assert.ok((login.reasons.get('HTTP 401 LUCID_ERR_1004') ?? 0) >= 2, JSON.stringify([...login.reasons]))
    const health = endpoints.get('GET /health')!
    assert.equal(health.failures, 0)
  })
})
