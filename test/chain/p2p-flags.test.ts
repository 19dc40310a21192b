/**
 * `lucid node`'s flags and config file, and `lucid serve --chain`'s: what is read from where, and what is
 * refused with which code (no process, no socket).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseNodeFlags } from '../../cli/commands/product/node.ts'
import { parseServeFlags } from '../../cli/commands/product/serve.ts'

const PEER = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWLxWPJYjqFGYh8ch8WKUvdZaTpkehxD1CZnmbYZh75g29'

test('lucid node: a config file gives the defaults, flags override it, bad peers and missing keys are refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-node-flags-'))
  try {
    const cfg = join(dir, 'node.json')
    await writeFile(cfg, JSON.stringify({ key: 'k.hex', data: 'd', genesis: 'g.json', listen: ['/ip4/127.0.0.1/tcp/9000'], peers: [PEER] }))
    assert.deepEqual(await parseNodeFlags(['--config', cfg]), {
      key: 'k.hex',
      data: 'd',
      genesis: 'g.json',
      listen: ['/ip4/127.0.0.1/tcp/9000'],
      peers: [PEER]
    })
    const over = await parseNodeFlags(['--config', cfg, '--data', 'other', '--listen', '/ip4/127.0.0.1/tcp/9001'])
    assert.ok(over !== 'help')
    assert.equal(over.data, 'other')
    assert.deepEqual(over.listen, ['/ip4/127.0.0.1/tcp/9001'])
    assert.deepEqual(await parseNodeFlags(['--key', 'k']), { key: 'k', data: '.lucid-node', listen: ['/ip4/127.0.0.1/tcp/0'], peers: [] })
    await assert.rejects(parseNodeFlags([]), { code: 'LUCID_ERR_9001' })
    await assert.rejects(parseNodeFlags(['--key', 'k', '--peer', '/ip4/127.0.0.1/tcp/4001']), { code: 'LUCID_ERR_9003' })
    await assert.rejects(parseNodeFlags(['--config', join(dir, 'missing.json')]), { code: 'LUCID_ERR_9003' })
    await assert.rejects(parseNodeFlags(['--key', 'k', '--bogus']), { code: 'LUCID_ERR_9001' })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('lucid serve --chain takes a multiaddr with a peer id, and not beside --validators', () => {
  const f = parseServeFlags(['--chain', PEER])
  assert.ok(f !== 'help')
  assert.equal(f.chain, PEER)
  assert.throws(() => parseServeFlags(['--chain', '127.0.0.1:4001']), { code: 'LUCID_ERR_9003' })
  assert.throws(() => parseServeFlags(['--chain', PEER, '--validators', '4']), { code: 'LUCID_ERR_9001' })
})
