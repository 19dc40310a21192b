/**
 * `lucid serve`: flags, the start-up banner (URL, data, KDF cost, rate limits, what --seed-demo and
 * --load-test changed), a restart on the same data directory, and a graceful stop that drains a request
 * in flight. The bench harness's `start` entry runs the gateway in a child process.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { request } from 'undici'
import { isLucidError } from '../../services/common/errors.ts'
import { serveCommand, parseServeFlags } from '../../cli/commands/product/serve.ts'
import { startServerProcess } from '../../load/server-process.ts'
import type { Gateway } from '../../services/gateway/index.ts'
import { call } from './helpers.ts'

test('bad flags are LUCID_ERR_9001 (unknown, stray) or 9003 (bad value)', () => {
  const code = (argv: string[]): string => {
    try {
      parseServeFlags(argv)
      return 'none'
    } catch (err) {
      return isLucidError(err) ? err.code : 'other'
    }
  }
  assert.equal(code(['--nope']), 'LUCID_ERR_9001')
  assert.equal(code(['extra']), 'LUCID_ERR_9001')
  assert.equal(code(['--port', '99999']), 'LUCID_ERR_9003')
  assert.equal(code(['--port', 'http']), 'LUCID_ERR_9003')
  assert.equal(code(['--db', 'postgres']), 'LUCID_ERR_9003')
  assert.equal(code(['--validators', '0']), 'LUCID_ERR_9003')
  assert.deepEqual(parseServeFlags([]), { port: 8080, host: '127.0.0.1', data: '.lucid-data', db: 'level', validators: 4, seedDemo: false, loadTest: false })
  assert.equal(code(['--log-level', 'loud']), 'LUCID_ERR_9003')
  assert.deepEqual(parseServeFlags(['--log-level', 'DEBUG']), {
    port: 8080,
    host: '127.0.0.1',
    data: '.lucid-data',
    db: 'level',
    validators: 4,
    seedDemo: false,
    loadTest: false,
    logLevel: 'debug'
  })
})

/** Runs serveCommand until `stop` aborts; resolves once it listens. */
async function serve(argv: string[]): Promise<{ g: Gateway; out: () => string; stop: () => Promise<number> }> {
  const out = new PassThrough()
  let text = ''
  out.on('data', (d: Buffer) => {
    text += d.toString()
  })
  const ac = new AbortController()
  let listening!: (g: Gateway) => void
  const ready = new Promise<Gateway>((resolve) => {
    listening = resolve
  })
  const done = serveCommand(argv, { out, err: out, env: {}, stop: ac.signal, onListening: (g) => listening(g) })
  done.catch(() => {})
  const g = await Promise.race([
    ready,
    done.then(() => {
      throw new Error(`serve ended early: ${text}`)
    })
  ])
  return {
    g,
    out: () => text,
    stop: async () => {
      ac.abort()
      return await done
    }
  }
}

test('serve --seed-demo --load-test: the banner says what changed; the contract answers; a restart finds the accounts; stop drains a request in flight', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-serve-'))
  try {
    const s = await serve(['--port', '0', '--data', dir, '--seed-demo', '--load-test'])
    const banner = s.out()
    assert.match(banner, /listening on http:\/\/127\.0\.0\.1:\d+/)
    assert.match(banner, new RegExp(`data +${dir.replace(/[/.]/g, '\\$&')}`))
    assert.match(banner, /passwords +scrypt N=2\^12 r=8 p=1/)
    assert.match(banner, /rate limits off \(--load-test\)/)
    assert.match(banner, /--load-test: password hashing lowered from scrypt N=2\^17 r=8 p=1 to scrypt N=2\^12 r=8 p=1; rate limits lifted/)
    assert.match(banner, /--seed-demo: 151 accounts created, 0 already present/)
    assert.match(
      banner,
      /chain +PoOT devnet: 4 validators in-process on real timers, 10 s slots, committee of 4; chain lucid-devnet genesis [0-9a-f]{16} \(new\)/
    )
    const login = await call(s.g.url, 'POST', '/auth/login', { json: { username: 'test_user_100', password: 'test_password_123' } })
    assert.equal(login.status, 200)
    const cfg = await call(s.g.url, 'GET', '/config')
    assert.deepEqual([cfg.json.kdf, cfg.json.rate_limits, cfg.json.load_test], ['scrypt N=2^12 r=8 p=1', 'off (--load-test)', true])
    assert.equal(cfg.json.chain, banner.match(/chain +(.*)\n/)?.[1], 'GET /config reports the chain the banner shows')
    assert.equal((await call(s.g.url, 'GET', '/chain/info')).json.validators, 4)

    // A chunk upload whose body is still arriving when the stop comes: it completes, then the server stops.
    const token = login.json.token as string
    const id = (await call(s.g.url, 'POST', '/sessions', { token, json: {} })).json.session_id as string
    const body = new PassThrough()
    const arrived = new Promise<void>((resolve) => s.g.app.server.once('request', () => resolve()))
    const upload = request(`${s.g.url}/sessions/${id}/chunks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': '2048' },
      body
    })
    body.write(Buffer.alloc(1024, 1))
    await arrived
    const stopped = s.stop()
    body.end(Buffer.alloc(1024, 2))
    assert.equal((await upload).statusCode, 201)
    assert.equal(await stopped, 0)
    assert.match(s.out(), /stop requested: draining requests in flight, stopping the validators and closing the stores\nlucid serve: stopped\n$/)

    const again = await serve(['--port', '0', '--data', dir, '--seed-demo'])
    assert.match(again.out(), /--seed-demo: 0 accounts created, 151 already present .* 0 passwords hashed/)
    assert.match(again.out(), /chain +PoOT devnet: 4 validators .* \(resumed from its archive at final height \d+\)/, 'the chain is the same one')
    assert.match(again.out(), /passwords +scrypt N=2\^17 r=8 p=1 \(OWASP\)/)
    assert.match(
      again.out(),
      /rate limits public 100\/min per address, authenticated 1000\/min per subject and 5000\/min per address, admin 10000\/min, block queries 500\/min/
    )
    const s2 = await call(again.g.url, 'GET', `/sessions/${id}`, { token })
    assert.equal(s2.json.chunk_count, 1, 'the drained upload was kept, and tokens survive a restart')
    assert.equal(await again.stop(), 0)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('the harness runs the gateway in its own process through services/gateway start()', async () => {
  const server = await startServerProcess(new URL('../../services/gateway/index.ts', import.meta.url).href, { options: { seedDemo: false } })
  try {
    const h = await call(server.url, 'GET', '/health')
    assert.equal(h.text, '{"status":"healthy","service":"lucid-api-gateway"}')
    assert.equal((await call(server.url, 'GET', '/config')).json.load_test, true)
  } finally {
    await server.close()
  }
})
