/**
 * Issue 25's "done when": a 4-process devnet on loopback (each validator its own `lucid node` process on
 * libp2p), the gateway anchoring through `lucid serve --chain`, one validator killed with SIGKILL while the
 * others keep finalising, then restarted from its archive and consensus record and catching up; afterwards
 * every node's archive and the gateway's hold one chain: no final block was reverted or replaced. Short slots
 * (1 s) through the chain's parameters; the deadlines are generous so that a loaded machine only slows it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { readArchive } from '../../services/chain/index.ts'
import { ProcessDevnet } from '../../services/chain/p2p/index.ts'
import type { Gateway } from '../../services/gateway/index.ts'
import { serveCommand } from '../../cli/commands/product/serve.ts'
import { call } from '../gateway/helpers.ts'

const LUCID = fileURLToPath(new URL('../../bin/lucid.js', import.meta.url))

async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

test('4 validator processes on libp2p: the gateway anchors through --chain, a kill -9 leaves finality going, the node catches up, nothing reverts', {
  timeout: 180_000
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-p2p-'))
  const log: string[] = []
  const heights = new Map<number, number>()
  let devnet: ProcessDevnet | undefined
  const stop = new AbortController()
  let served: Promise<number> | undefined
  try {
    devnet = await ProcessDevnet.start({
      nodes: 4,
      dir: join(dir, 'devnet'),
      command: [process.execPath, LUCID, 'node'],
      params: { slot_ms: 1000, leader_timeout_ms: 500 },
      genesisDelayMs: 3000,
      readyTimeoutMs: 90_000,
      onLine: (i, line) => {
        log.push(`[${i}] ${line}`)
        const m = /^lucid node: final (\d+) /.exec(line)
        if (m !== null) heights.set(i, Math.max(heights.get(i) ?? 0, Number(m[1])))
      }
    })
    const d = devnet
    await until('node 0 to finalise a block', 60_000, () => ((heights.get(0) ?? 0) >= 2 ? true : undefined))

    // The gateway on the external chain, exactly as `lucid serve --chain ADDRESS` runs it.
    const sink = new Writable({ write: (_c, _e, cb) => cb() })
    let gateway: Gateway | undefined
    served = serveCommand(['--chain', d.nodes[0]?.address as string, '--port', '0', '--data', join(dir, 'gateway'), '--load-test', '--log-level', 'error'], {
      out: sink,
      err: sink,
      env: {},
      stop: stop.signal,
      onListening: (g) => {
        gateway = g
      }
    })
    const g = await until('the gateway to listen', 60_000, () => gateway)
    const info = await call(g.url, 'GET', '/chain/info')
    assert.equal(info.json.validators, 4)

    const anchor = async (label: string): Promise<string> => {
      const a = await call(g.url, 'POST', '/chain/anchor', { json: { session_id: label, data_hash: 'ab'.repeat(32) } })
      assert.equal(a.status, 201, a.text)
      return a.headers.location as string
    }
    const finalOf = async (url: string): Promise<number> =>
      await until(`${url} to be final`, 60_000, async () => {
        const s = await call(g.url, 'GET', url)
        return s.json.status === 'final' ? (s.json.block_height as number) : undefined
      })
    const first = await finalOf(await anchor('before-the-kill'))
    assert.ok(first >= 1)

    // kill -9 one validator (f = 1 of 4): the other three still hold more than 2/3 of the weight.
    await d.kill(3)
    const killedAt = (await call(g.url, 'GET', '/chain/info')).json.finalized_height as number
    const during = await finalOf(await anchor('while-one-is-down'))
    await until('3 more final blocks with node 3 down', 60_000, async () => {
      const h = (await call(g.url, 'GET', '/chain/info')).json.finalized_height as number
      return h >= killedAt + 3 ? h : undefined
    })
    assert.ok(during > killedAt - 1)

    // Back from its archive and consensus record: it catches up and finalises with the others again.
    heights.delete(3)
    await d.restart(3)
    const target = (await call(g.url, 'GET', '/chain/info')).json.finalized_height as number
    await until(`node 3 to reach height ${target + 2}`, 60_000, () => ((heights.get(3) ?? 0) >= target + 2 ? true : undefined))
    await finalOf(await anchor('after-the-restart'))

    stop.abort()
    assert.equal(await served, 0)
    served = undefined
    await d.stop()

    // One chain everywhere: at each height, every archive that holds it holds the same block.
    const archives = await Promise.all([...d.nodes.map((n) => n.dataDir), join(dir, 'gateway')].map(async (p) => await readArchive(p)))
    const byHeight = new Map<number, string>()
    for (const a of archives)
      for (const f of a.blocks) {
        const h = f.block.header.height
        const seen = byHeight.get(h)
        if (seen === undefined) byHeight.set(h, f.hash)
        else assert.equal(f.hash, seen, `two final blocks at height ${h}`)
      }
    const gw = archives[archives.length - 1]
    assert.ok(gw !== undefined && gw.blocks.length >= target + 2, 'the gateway archived the chain')
    const restarted = archives[3]
    assert.ok(restarted !== undefined && restarted.blocks.length >= target + 2, 'the restarted node archived what it caught up on')
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- node output (last 40 lines) ---\n${log.slice(-40).join('\n')}`)
  } finally {
    stop.abort()
    if (served !== undefined) await served.catch(() => 0)
    await devnet?.stop()
    await rm(dir, { recursive: true, force: true })
  }
})
