import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import { join } from 'node:path'
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { importMasterKey } from '../../services/session/keys.ts'
import { ChunkSealer } from '../../services/session/seal.ts'
import { cleanup, recordFixture, tempDir } from './helpers.ts'

const DECODER = fileURLToPath(new URL('./decode_chunk.py', import.meta.url))

/** A Python with the `cryptography` package (Debian python3-cryptography is in /usr/bin/python3). */
function python(): string | undefined {
  for (const p of ['python3', '/usr/bin/python3']) {
    if (spawnSync(p, ['-c', 'import cryptography.hazmat.primitives.ciphers.aead']).status === 0) return p
  }
  return undefined
}

const py = python()
// CI installs Debian's python3-cryptography and sets this, so the independent check can never be skipped there.
const REQUIRED = process.env.LUCID_REQUIRE_PYTHON_CRYPTO === '1'

test('an independent Python decoder written from docs/envelope.md decrypts and decompresses every chunk', {
  skip: py === undefined && !REQUIRED ? 'no python3 with the cryptography package (apt-get install python3-cryptography)' : false
}, async () => {
  assert.ok(py !== undefined, 'LUCID_REQUIRE_PYTHON_CRYPTO=1 but no python3 with the cryptography package')
  const dir = await tempDir()
  try {
    // Two codecs, multi-member chunks (1 MiB + odd), a non-ASCII session id.
    for (const codec of ['zlib', 'pako'] as const) {
      const fx = await recordFixture(join(dir, codec), { chunks: 3, chunkSize: 1024 * 1024 + 5, codec, sessionId: `sess-${codec}-é` })
      for (let i = 0; i < fx.chunks.length; i++) {
        const out = join(dir, `${codec}-${i}.raw`)
        const r: SpawnSyncReturns<string> = spawnSync(
          py,
          [DECODER, Buffer.from(fx.key).toString('hex'), join(fx.dir, 'chunks', `${String(i).padStart(12, '0')}.lsc`), out],
          { encoding: 'utf8' }
        )
        assert.equal(r.status, 0, r.stderr)
        assert.equal(r.stdout.trim(), `index=${i} session=sess-${codec}-é size=${fx.chunks[i]?.length}`)
        assert.deepEqual(new Uint8Array(await readFile(out)), fx.chunks[i])
      }
    }
  } finally {
    await cleanup(dir)
  }
})

test('the independent decoder refuses bytes after the last gzip member, zeros included (issue 23, item 4)', {
  skip: py === undefined && !REQUIRED ? 'no python3 with the cryptography package (apt-get install python3-cryptography)' : false
}, async () => {
  assert.ok(py !== undefined, 'LUCID_REQUIRE_PYTHON_CRYPTO=1 but no python3 with the cryptography package')
  const dir = await tempDir()
  try {
    const key = new Uint8Array(32).fill(7)
    const plain = new TextEncoder().encode('a chunk of desktop')
    const gz = new Uint8Array(gzipSync(plain))
    const sealer = await ChunkSealer.create(await importMasterKey(key), 'sess-tail')
    for (const [name, tail, status] of [
      ['none', new Uint8Array(0), 0],
      ['zeros', new Uint8Array(4), 1],
      ['non-zero', Uint8Array.of(1, 2), 1]
    ] as const) {
      const stream = new Uint8Array(gz.length + tail.length)
      stream.set(gz)
      stream.set(tail, gz.length)
      const sealed = await sealer.seal(0, stream, plain.length)
      const file = join(dir, `${name}.lsc`)
      await writeFile(file, Buffer.concat([sealed.header, sealed.body]))
      const r: SpawnSyncReturns<string> = spawnSync(py, [DECODER, Buffer.from(key).toString('hex'), file, join(dir, `${name}.raw`)], { encoding: 'utf8' })
      assert.equal(r.status, status, `${name}: ${r.stderr}`)
    }
  } finally {
    await cleanup(dir)
  }
})
