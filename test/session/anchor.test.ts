/**
 * Issue 23: `lucid session play --anchor` holds a recording to its chain anchor (the earliest anchor of its
 * session id in verified final blocks, with its inclusion proof), so a recording cut by a holder of the master
 * key (who can re-authenticate the manifest) still fails: LUCID_ERR_2014.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Account, ManualScheduler, chainExport, createDevnet, ed25519Signer, recordingDigest, type ChainNode } from '../../services/chain/index.ts'
import { importMasterKey } from '../../services/session/keys.ts'
import { buildManifest, type Manifest } from '../../services/session/manifest.ts'
import { manifestMac } from '../../services/session/manifest-mac.ts'
import { sessionCommand } from '../../cli/commands/product/session.ts'
import { ChainDouble } from '../gateway/chain-double.ts'
import { testGateway } from '../gateway/helpers.ts'
import { cleanup, recordFixture, tempDir, withDb } from './helpers.ts'

/** An export file of a devnet whose chain holds `anchors` (label and digest) as data anchors, final. */
async function chainWith(file: string, anchors: Array<{ label: string; digest: string }>): Promise<void> {
  const sched = new ManualScheduler(undefined, 2_000_000)
  const net = createDevnet({ nodes: 4, scheduler: sched, seed: 31 })
  const node = net.nodes[0] as ChainNode
  net.start()
  sched.runUntil(net.genesis.genesis_time + 1)
  const acct = new Account(ed25519Signer(new Uint8Array(32).fill(31)))
  for (const a of anchors) {
    const now = sched.clock.now()
    node.submit(acct.dataAnchor({ label: a.label, data_hash_sha256: a.digest, submitted_at: now }, now))
    sched.runUntil(now + 10_000)
  }
  sched.runUntil(sched.clock.now() + 30_000)
  net.stop()
  await writeFile(file, JSON.stringify(chainExport(net.genesis, node.ledger.range(1, node.ledger.head().height))))
}

async function play(dir: string, key: Uint8Array, extra: string[] = []): Promise<{ code: number; err: string }> {
  const err = new PassThrough()
  let text = ''
  err.on('data', (c: Buffer) => {
    text += c.toString()
  })
  const code = await sessionCommand(['play', dir, '--out', join(dir, `out-${Math.random()}.raw`), ...extra], {
    out: new PassThrough(),
    err,
    env: { LUCID_MASTER_KEY: Buffer.from(key).toString('hex') }
  })
  return { code, err: text }
}

test('play --anchor: the anchored recording plays; cut by a holder of the key it plays without --anchor and fails with it (LUCID_ERR_2014)', async () => {
  const root = await tempDir()
  try {
    const fx = await recordFixture(join(root, 'rec'), { chunks: 4 })
    const m = fx.manifest
    const chain = join(root, 'chain.json')
    // The recording's anchor first; then the key holder's anchor of the cut manifest, later: the earliest counts.
    const last = m.chunk_count - 1
    const { session_id, owner_address, started_at, ended_at, key_id, codec } = m
    const cut = buildManifest({ session_id, owner_address, started_at, ended_at, key_id, codec }, m.chunks.slice(0, last))
    await chainWith(chain, [
      { label: m.session_id, digest: recordingDigest(m.manifest_hash, m.merkle_root) },
      { label: m.session_id, digest: recordingDigest(cut.manifest_hash, cut.merkle_root) }
    ])
    assert.deepEqual(await play(fx.dir, fx.key, ['--anchor', chain]), { code: 0, err: '' })

    // A holder of the key cuts the tail and rewrites everything consistently, MAC included.
    await rm(join(fx.dir, 'chunks', `${String(last).padStart(12, '0')}.lsc`))
    const signed: Manifest = { ...cut, manifest_mac: await manifestMac(await importMasterKey(fx.key), cut.manifest_hash) }
    await writeFile(join(fx.dir, 'manifest.json'), JSON.stringify(signed))
    await withDb(fx.dir, async (db) => {
      await db.sessions.update(m.session_id, { merkle_root: cut.merkle_root, chunk_count: cut.chunk_count })
      await db.chunks.delete(m.session_id, last)
    })
    assert.equal((await play(fx.dir, fx.key)).code, 0, 'without the anchor the key holder wins')
    const r = await play(fx.dir, fx.key, ['--anchor', chain])
    assert.equal(r.code, 1)
    assert.match(r.err, /LUCID_ERR_2014/)

    // A session the chain does not anchor at all.
    const other = await recordFixture(join(root, 'other'), { chunks: 2 })
    const none = await play(other.dir, other.key, ['--anchor', chain])
    assert.equal(none.code, 1)
    assert.match(none.err, /LUCID_ERR_2014 .*not anchored/)
    // A chain export that does not verify is refused with its chain code.
    const doc = JSON.parse(await readFile(chain, 'utf8')) as { blocks: Array<{ certificate: { votes: unknown[] } | null }> }
    const lastBlock = doc.blocks[doc.blocks.length - 1]
    assert.ok(lastBlock?.certificate)
    lastBlock.certificate.votes = lastBlock.certificate.votes.slice(0, 1)
    await writeFile(chain, JSON.stringify(doc))
    const forged = await play(other.dir, other.key, ['--anchor', chain])
    assert.equal(forged.code, 1)
    assert.match(forged.err, /LUCID_ERR_5014/)
  } finally {
    await cleanup(root)
  }
})

const CHECKER = fileURLToPath(new URL('./verify_recording.py', import.meta.url))
/** A Python with the `cryptography` package (CI: Debian's python3-cryptography in /usr/bin/python3). */
const PY = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import cryptography.hazmat.primitives.kdf.hkdf']).status === 0)
const REQUIRED = process.env.LUCID_REQUIRE_PYTHON_CRYPTO === '1'

test('an independent Python checker written from the docs verifies the manifest MAC and the anchor inclusion proof', {
  skip: PY === undefined && !REQUIRED ? 'no python3 with the cryptography package (apt-get install python3-cryptography)' : false
}, async () => {
  assert.ok(PY !== undefined, 'LUCID_REQUIRE_PYTHON_CRYPTO=1 but no python3 with the cryptography package')
  const root = await tempDir()
  const check = (key: Uint8Array, dir: string, chain?: string): { status: number | null; out: string } => {
    const r = spawnSync(PY, [CHECKER, Buffer.from(key).toString('hex'), dir, ...(chain !== undefined ? [chain] : [])], { encoding: 'utf8' })
    return { status: r.status, out: r.stdout + r.stderr }
  }
  try {
    // A non-ASCII session id: JCS and the label go through UTF-8 and UTF-16 ordering alike.
    const fx = await recordFixture(join(root, 'rec'), { chunks: 5, sessionId: 'séance-\u{1F600}' })
    const m = fx.manifest
    const chain = join(root, 'chain.json')
    await chainWith(chain, [
      { label: 'someone else', digest: 'cd'.repeat(32) },
      { label: m.session_id, digest: recordingDigest(m.manifest_hash, m.merkle_root) }
    ])
    const good = check(fx.key, fx.dir, chain)
    assert.equal(good.status, 0, good.out)
    assert.match(good.out, new RegExp(`ok manifest ${m.session_id} 5\nok anchor data \\d+`))
    assert.equal(check(new Uint8Array(32).fill(1), fx.dir).status, 1, 'another key: the MAC does not verify')

    // Without the key: the manifest re-hashed after an edit fails the MAC.
    const text = await readFile(join(fx.dir, 'manifest.json'), 'utf8')
    const edited = JSON.parse(text) as Manifest & { ended_at: string }
    const { session_id, owner_address, started_at, key_id, codec } = edited
    const rehashed = {
      ...buildManifest({ session_id, owner_address, started_at, ended_at: '2030-01-01T00:00:00.000Z', key_id, codec }, edited.chunks),
      manifest_mac: edited.manifest_mac
    }
    await writeFile(join(fx.dir, 'manifest.json'), JSON.stringify(rehashed))
    assert.match(check(fx.key, fx.dir).out, /manifest_mac does not verify/)
    // With the key: re-authenticated, the manifest passes, and the anchor (of the original) does not.
    await writeFile(
      join(fx.dir, 'manifest.json'),
      JSON.stringify({ ...rehashed, manifest_mac: await manifestMac(await importMasterKey(fx.key), rehashed.manifest_hash) })
    )
    assert.equal(check(fx.key, fx.dir).status, 0)
    assert.match(check(fx.key, fx.dir, chain).out, /earliest anchor .* is not of this manifest/)
    // Strict JSON: a duplicate key.
    await writeFile(join(fx.dir, 'manifest.json'), text.replace('"chunk_count":', '"chunk_count": 4, "chunk_count":'))
    assert.match(check(fx.key, fx.dir).out, /duplicate key/)
    await writeFile(join(fx.dir, 'manifest.json'), text.replace(/"chunk_count": (\d+)/, '"chunk_count": $1.0'))
    assert.match(check(fx.key, fx.dir).out, /not an integer/)
  } finally {
    await cleanup(root)
  }
})

test('record --anchor URL anchors the finished recording: a data anchor labelled with its session id, of SHA-256(manifest_hash:merkle_root)', async () => {
  const chain = new ChainDouble()
  const seen: Array<{ label: string; digest: string }> = []
  const anchorData = chain.anchorData.bind(chain)
  chain.anchorData = async (a) => {
    seen.push({ label: a.label, digest: a.digest })
    return await anchorData(a)
  }
  const g = await testGateway({ accounts: [], chain })
  const root = await tempDir()
  try {
    const out = new PassThrough()
    let text = ''
    out.on('data', (c: Buffer) => {
      text += c.toString()
    })
    const dir = join(root, 'rec')
    const key = new Uint8Array(32).fill(3)
    const code = await sessionCommand(['record', '--frames', '1', '--chunk-size', '1m', '--out', dir, '--anchor', g.base], {
      out,
      err: new PassThrough(),
      env: { LUCID_MASTER_KEY: Buffer.from(key).toString('hex') }
    })
    assert.equal(code, 0)
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest
    assert.deepEqual(seen, [{ label: m.session_id, digest: recordingDigest(m.manifest_hash, m.merkle_root) }])
    assert.match(text, new RegExp(`anchored: data anchor \\S+ labelled ${m.session_id}`))
  } finally {
    await g.close()
    await cleanup(root)
  }
})
