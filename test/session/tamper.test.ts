import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cp, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { isLucidError, type LucidErrorCode } from '../../services/common/errors.ts'
import { sha256, toHex } from '../../services/common/hash.ts'
import { importMasterKey } from '../../services/session/keys.ts'
import { buildManifest, chunkProof, computeManifestHash, verifyChunkProof, type Manifest } from '../../services/session/manifest.ts'
import { manifestMac } from '../../services/session/manifest-mac.ts'
import { cleanup, playAll, recordFixture, tempDir, withDb, type Fixture } from './helpers.ts'

let root: string
let fx: Fixture
let foreign: Fixture

test.before(async () => {
  root = await tempDir()
  fx = await recordFixture(join(root, 'good'), { chunks: 4 })
  foreign = await recordFixture(join(root, 'foreign'), { chunks: 4, key: fx.key })
})
test.after(async () => {
  await cleanup(root)
})

const chunkFile = (dir: string, i: number): string => join(dir, 'chunks', `${String(i).padStart(12, '0')}.lsc`)

/** Plays a tampered copy of the fixture and expects `code`, with the chunk named in the message when given. */
async function expectFailure(name: string, code: LucidErrorCode, tamper: (dir: string) => Promise<void>, chunk?: number, key = fx.key): Promise<void> {
  const dir = join(root, name.replace(/\W+/g, '-'))
  await cp(fx.dir, dir, { recursive: true })
  await tamper(dir)
  await assert.rejects(
    playAll(dir, key),
    (e) => {
      assert.ok(isLucidError(e, code), `${name}: expected ${code}, got ${String((e as Error).message)}`)
      if (chunk !== undefined) assert.match((e as Error).message, new RegExp(`chunk ${chunk}\\b`), name)
      return true
    },
    `${name}: played without an error`
  )
}

/**
 * Rewrites the manifest and the metadata database consistently, as an attacker with write access to the
 * recording directory (DIR/meta included) could: with `key`, a holder of the master key re-authenticates the
 * manifest (manifest_mac); without it the MAC is left as it was, which is all an attacker without the key can do.
 */
async function forgeManifest(dir: string, edit: (m: Manifest) => Manifest['chunks'], key: Uint8Array | null = fx.key): Promise<void> {
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest
  const { session_id, owner_address, started_at, ended_at, key_id, codec } = m
  const unsigned = buildManifest({ session_id, owner_address, started_at, ended_at, key_id, codec }, edit(m))
  const mac = key === null ? m.manifest_mac : await manifestMac(await importMasterKey(key), unsigned.manifest_hash)
  const forged = { ...unsigned, manifest_mac: mac }
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(forged))
  await withDb(dir, async (db) => {
    await db.sessions.update(session_id, { merkle_root: forged.merkle_root, chunk_count: forged.chunk_count })
    for (const c of forged.chunks) {
      await db.chunks.delete(session_id, c.index)
      await db.chunks.insert({ session_id, idx: c.index, ciphertext_sha256: c.ciphertext_sha256, size_bytes: c.size, created_at: 0 })
    }
  })
}

const restamp = async (dir: string, i: number): Promise<Manifest['chunks'][number]> => {
  const b = await readFile(chunkFile(dir, i))
  return { index: i, size: b.length, ciphertext_sha256: toHex(sha256(b)), plaintext_size: fx.chunks[i]?.length ?? 0 }
}

test('the untouched recording plays back exactly', async () => {
  assert.deepEqual(await playAll(fx.dir, fx.key), fx.chunks)
})

test('a flipped bit anywhere in a chunk is LUCID_ERR_2008 naming the chunk', async () => {
  const size = fx.manifest.chunks[2]?.size ?? 0
  for (const at of [0, 10, 30, 60, 75, Math.floor(size / 2), size - 1]) {
    await expectFailure(
      `flip-${at}`,
      'LUCID_ERR_2008',
      async (dir) => {
        const b = await readFile(chunkFile(dir, 2))
        b[at] = (b[at] as number) ^ 0x10
        await writeFile(chunkFile(dir, 2), b)
      },
      2
    )
  }
})

test('truncated, swapped, replayed and missing chunks are detected', async () => {
  await expectFailure(
    'truncated',
    'LUCID_ERR_2008',
    async (dir) => {
      await truncate(chunkFile(dir, 1), 100)
    },
    1
  )
  await expectFailure(
    'swapped',
    'LUCID_ERR_2008',
    async (dir) => {
      const a = await readFile(chunkFile(dir, 0))
      const b = await readFile(chunkFile(dir, 1))
      await writeFile(chunkFile(dir, 0), b)
      await writeFile(chunkFile(dir, 1), a)
    },
    0
  )
  await expectFailure(
    'replayed',
    'LUCID_ERR_2008',
    async (dir) => {
      await cp(chunkFile(dir, 1), chunkFile(dir, 3))
    },
    3
  )
  await expectFailure(
    'missing',
    'LUCID_ERR_2007',
    async (dir) => {
      await rm(chunkFile(dir, 2))
    },
    2
  )
})

test('with a consistently forged manifest re-authenticated by a holder of the key, the authenticated header still catches swaps, moves and bit flips', async () => {
  await expectFailure(
    'forged-swap',
    'LUCID_ERR_2003',
    async (dir) => {
      const a = await readFile(chunkFile(dir, 0))
      const b = await readFile(chunkFile(dir, 1))
      await writeFile(chunkFile(dir, 0), b)
      await writeFile(chunkFile(dir, 1), a)
      const c0 = await restamp(dir, 0)
      const c1 = await restamp(dir, 1)
      await forgeManifest(dir, (m) => m.chunks.map((c) => (c.index === 0 ? c0 : c.index === 1 ? c1 : c)))
    },
    0
  )
  await expectFailure(
    'forged-foreign-chunk',
    'LUCID_ERR_2009',
    async (dir) => {
      await cp(chunkFile(foreign.dir, 1), chunkFile(dir, 1))
      const c1 = await restamp(dir, 1)
      await forgeManifest(dir, (m) => m.chunks.map((c) => (c.index === 1 ? c1 : c)))
    },
    1
  )
  await expectFailure(
    'forged-bitflip',
    'LUCID_ERR_2002',
    async (dir) => {
      const b = await readFile(chunkFile(dir, 3))
      b[b.length - 30] = (b[b.length - 30] as number) ^ 1
      await writeFile(chunkFile(dir, 3), b)
      const c3 = await restamp(dir, 3)
      await forgeManifest(dir, (m) => m.chunks.map((c) => (c.index === 3 ? c3 : c)))
    },
    3
  )
  await expectFailure(
    'forged-plaintext-size',
    'LUCID_ERR_2005',
    async (dir) => {
      await forgeManifest(dir, (m) => m.chunks.map((c) => (c.index === 2 ? { ...c, plaintext_size: c.plaintext_size + 1 } : c)))
    },
    2
  )
})

test('manifest tampering, a foreign manifest and a wrong key have their own codes', async () => {
  await expectFailure('manifest-edit', 'LUCID_ERR_2005', async (dir) => {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...m, owner_address: '0xmallory' }))
  })
  await expectFailure('manifest-garbage', 'LUCID_ERR_2005', async (dir) => {
    await writeFile(join(dir, 'manifest.json'), '{"format":')
  })
  await expectFailure('foreign-manifest', 'LUCID_ERR_2009', async (dir) => {
    await cp(join(foreign.dir, 'manifest.json'), join(dir, 'manifest.json'))
  })
  await expectFailure('wrong-key', 'LUCID_ERR_2010', async () => {}, undefined, new Uint8Array(randomBytes(32)))
  await expectFailure('unfinished', 'LUCID_ERR_2011', async (dir) => {
    await rm(join(dir, 'manifest.json'))
  })
})

test('a chunk proves its inclusion from the root alone, and no other chunk does', () => {
  const m = fx.manifest
  for (const c of m.chunks) {
    const proof = chunkProof(m, c.index)
    assert.ok(verifyChunkProof(m.merkle_root, m.chunk_count, c, proof))
    assert.ok(!verifyChunkProof(m.merkle_root, m.chunk_count, { ...c, size: c.size + 1 }, proof))
    assert.ok(!verifyChunkProof(m.merkle_root, m.chunk_count, { ...c, ciphertext_sha256: foreign.manifest.chunks[c.index]?.ciphertext_sha256 ?? '' }, proof))
    assert.ok(!verifyChunkProof(foreign.manifest.merkle_root, m.chunk_count, c, proof))
  }
})

test('without the key, a cut tail or an edited field is refused however consistently the files are rewritten (LUCID_ERR_2013; issue 23, items 1 and 2)', async () => {
  // Item 1: the last chunk deleted, the manifest's count and root and the chunk rows in DIR/meta rewritten.
  await expectFailure('cut-tail', 'LUCID_ERR_2013', async (dir) => {
    const last = fx.manifest.chunk_count - 1
    await rm(chunkFile(dir, last))
    await forgeManifest(dir, (m) => m.chunks.filter((c) => c.index !== last), null)
    await withDb(dir, async (db) => {
      await db.chunks.delete(fx.manifest.session_id, last)
    })
  })
  // Item 2: each field edited and the manifest re-hashed (no key needed for the hash).
  const edits: Array<[string, (m: Record<string, unknown>) => void]> = [
    ['owner_address', (m) => (m.owner_address = '0xmallory')],
    ['ended_at', (m) => (m.ended_at = '2030-01-01T00:00:00.000Z')],
    ['codec', (m) => (m.codec = m.codec === 'zlib' ? 'pako' : 'zlib')]
  ]
  for (const [field, edit] of edits) {
    await expectFailure(`edit-${field}`, 'LUCID_ERR_2013', async (dir) => {
      const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>
      edit(m)
      m.manifest_hash = computeManifestHash(m as unknown as Manifest)
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(m))
      // recording.json repeats owner and codec: the attacker edits it too, so that only the MAC is left to catch it.
      const info = JSON.parse(await readFile(join(dir, 'recording.json'), 'utf8')) as Record<string, unknown>
      await writeFile(join(dir, 'recording.json'), JSON.stringify({ ...info, owner_address: m.owner_address, codec: m.codec }))
    })
  }
  // A start time that no longer matches recording.json, and an added field: refused before the MAC is looked at.
  await expectFailure('edit-started_at', 'LUCID_ERR_2005', async (dir) => {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>
    m.started_at = '2001-01-01T00:00:00.000Z'
    m.manifest_hash = computeManifestHash(m as unknown as Manifest)
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m))
  })
  await expectFailure('added-field', 'LUCID_ERR_2005', async (dir) => {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>
    m.note = 'approved'
    m.manifest_hash = computeManifestHash(m as unknown as Manifest)
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m))
  })
  // A format-1 manifest (no MAC) is not played without its chain anchor: no downgrade around the MAC.
  await expectFailure('downgrade', 'LUCID_ERR_2013', async (dir) => {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>
    m.format = 'lucid-session-manifest/1'
    delete m.manifest_mac
    m.manifest_hash = computeManifestHash(m as unknown as Manifest)
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m))
  })
})

test('a manifest with a duplicate key or a non-integer number is refused (LUCID_ERR_2005; issue 23, item 5)', async () => {
  const text = async (dir: string): Promise<string> => await readFile(join(dir, 'manifest.json'), 'utf8')
  // The duplicate keeps the right value last, so JSON.parse alone would read the genuine manifest.
  await expectFailure('duplicate-key', 'LUCID_ERR_2005', async (dir) => {
    const t = await text(dir)
    await writeFile(join(dir, 'manifest.json'), t.replace('"chunk_count":', '"chunk_count": 3, "chunk_count":'))
  })
  await expectFailure('float-count', 'LUCID_ERR_2005', async (dir) => {
    const t = await text(dir)
    await writeFile(join(dir, 'manifest.json'), t.replace(/"chunk_count": (\d+)/, '"chunk_count": $1.0'))
  })
  await expectFailure('exponent-size', 'LUCID_ERR_2005', async (dir) => {
    const t = await text(dir)
    await writeFile(join(dir, 'manifest.json'), t.replace(/"index": 0,/, '"index": 0e0,'))
  })
})
