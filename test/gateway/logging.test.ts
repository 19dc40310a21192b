/**
 * The gateway's pino logs: the level's sources and their order, JSON lines, per-request lines only at
 * debug, and no password or token ever written, also at debug through a real login and authenticated calls.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { isLucidError } from '../../services/common/errors.ts'
import { REDACTED, createGatewayLogger, resolveLogLevel, type LogLevel } from '../../services/gateway/logging.ts'
import { call, login, passwordOf, testGateway } from './helpers.ts'

/** A destination keeping every line written. */
function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>>; text: () => string } {
  let text = ''
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString()
      done()
    }
  })
  return {
    stream,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
  }
}

test('level: --log-level, else LUCID_LOG_LEVEL, else info; an unknown level is LUCID_ERR_9003', () => {
  assert.equal(resolveLogLevel(undefined, {}), 'info')
  assert.equal(resolveLogLevel(undefined, { LUCID_LOG_LEVEL: 'warn' }), 'warn')
  assert.equal(resolveLogLevel('Debug', { LUCID_LOG_LEVEL: 'warn' }), 'debug')
  for (const bad of [() => resolveLogLevel('loud', {}), () => resolveLogLevel(undefined, { LUCID_LOG_LEVEL: 'verbose' })]) {
    assert.throws(bad, (err: unknown) => isLucidError(err) && err.code === 'LUCID_ERR_9003')
  }
})

test('redaction: authorization and cookie headers, passwords and tokens are censored wherever the paths name them', () => {
  const out = capture()
  const log = createGatewayLogger('info', out.stream)
  log.info(
    {
      req: { headers: { authorization: 'Bearer secret-1', cookie: 'sid=secret-2', 'user-agent': 'ua' } },
      body: { username: 'u', password: 'secret-3' },
      refresh_token: 'secret-4'
    },
    'x'
  )
  log.info({ headers: { authorization: 'Bearer secret-5' }, password: 'secret-6', token: 'secret-7' }, 'y')
  assert.ok(!/secret-/.test(out.text()), out.text())
  // biome-ignore lint/suspicious/noExplicitAny: log lines are checked field by field
  const [a, b] = out.lines() as [any, any]
  assert.deepEqual(
    [a.req.headers.authorization, a.req.headers.cookie, a.req.headers['user-agent'], a.body.password, a.body.username, a.refresh_token],
    [REDACTED, REDACTED, 'ua', REDACTED, 'u', REDACTED]
  )
  assert.deepEqual([b.headers.authorization, b.password, b.token], [REDACTED, REDACTED, REDACTED])
})

async function trafficLog(level: LogLevel): Promise<{ lines: Array<Record<string, unknown>>; text: string; secrets: string[] }> {
  const out = capture()
  const g = await testGateway({ logger: createGatewayLogger(level, out.stream), accounts: ['test_user_1'] })
  const password = passwordOf('test_user_1')
  let token = ''
  try {
    token = await login(g.base, 'test_user_1', password)
    assert.equal((await call(g.base, 'GET', '/sessions', { token })).status, 200)
    assert.equal((await call(g.base, 'GET', '/health')).status, 200)
    assert.equal((await call(g.base, 'GET', '/no/such/route')).status, 404)
    assert.equal((await call(g.base, 'POST', '/auth/login', { json: { username: 'test_user_1', password: 'wrong-password-42' } })).status, 401)
  } finally {
    await g.close()
  }
  return { lines: out.lines(), text: out.text(), secrets: [password, 'wrong-password-42', token, token.split('.')[2] as string] }
}

test('debug: one JSON line per request (method, URL, route template, status, ms, request id); no secret in any line', async () => {
  const { lines, text, secrets } = await trafficLog('debug')
  for (const s of secrets) assert.ok(!text.includes(s), `a secret was logged: ${s.slice(0, 8)}...`)
  // biome-ignore lint/suspicious/noExplicitAny: log lines are checked field by field
  const done = lines.filter((l) => l.msg === 'request completed') as any[]
  assert.deepEqual(
    done.map((l) => `${String(l.req.method)} ${String(l.route)} ${String(l.res.statusCode)}`),
    ['POST /auth/login 200', 'GET /sessions 200', 'GET /health 200', 'GET null 404', 'POST /auth/login 401']
  )
  for (const l of done) {
    assert.equal(typeof l.responseTime, 'number')
    assert.equal(l.req.remoteAddress, '127.0.0.1')
    assert.equal(l.req.headers, undefined, 'headers are never logged')
    assert.match(String(l.reqId), /^req-/)
    assert.equal(l.name, 'lucid-gateway')
    assert.equal(l.level, 20)
    assert.match(String(l.time), /^\d{4}-\d\d-\d\dT/)
  }
  assert.ok(!lines.some((l) => l.msg === 'incoming request'), 'one line per request, not two')
})

test('info (the default): no line per request, only the lifecycle', async () => {
  const { lines, text, secrets } = await trafficLog('info')
  for (const s of secrets) assert.ok(!text.includes(s))
  assert.deepEqual(
    lines.filter((l) => typeof l.reqId === 'string' || l.msg === 'request completed'),
    []
  )
  assert.ok(lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening at')))
  assert.ok(lines.every((l) => typeof l.level === 'number' && (l.level as number) >= 30))
})
