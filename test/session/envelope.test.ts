import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KeyObject, createDecipheriv, randomBytes } from 'node:crypto'
import { isLucidError } from '../../services/common/errors.ts'
import {
  FIXED_HEADER_BYTES,
  HeaderTemplate,
  MAX_CHUNK_BYTES,
  TAG_BYTES,
  encodeHeader,
  parseEnvelope,
  type EnvelopeHeader
} from '../../services/session/envelope.ts'
import { deriveChunkKey, importMasterKey } from '../../services/session/keys.ts'
import { ChunkOpener, ChunkSealer, INLINE_SEAL_MAX_BYTES } from '../../services/session/seal.ts'

const header: EnvelopeHeader = {
  version: 1,
  compression: 1,
  index: 7,
  plaintextSize: 12345,
  salt: new Uint8Array(32).fill(3),
  nonce: new Uint8Array(12).fill(9),
  sessionId: 'sess-é'
}

test('the header has the documented layout', () => {
  const h = encodeHeader(header)
  const sid = new TextEncoder().encode('sess-é')
  assert.equal(h.length, FIXED_HEADER_BYTES + sid.length)
  assert.deepEqual([...h.subarray(0, 8)], [0x4c, 0x55, 0x43, 0x53, 1, 1, 0, 0])
  assert.equal(Buffer.from(h).readBigUInt64BE(8), 7n)
  assert.equal(Buffer.from(h).readBigUInt64BE(16), 12345n)
  assert.deepEqual(h.subarray(24, 56), header.salt)
  assert.deepEqual(h.subarray(56, 68), header.nonce)
  assert.equal(Buffer.from(h).readUInt16BE(68), sid.length)
  assert.deepEqual(h.subarray(70), sid)
  const parsed = parseEnvelope(new Uint8Array([...h, ...new Uint8Array(TAG_BYTES + 5)]), 'x')
  assert.deepEqual(parsed.header, header)
  assert.equal(parsed.body.length, TAG_BYTES + 5)
})

test('structural violations are LUCID_ERR_2001 (2004 for an oversize plaintext)', () => {
  const good = new Uint8Array([...encodeHeader(header), ...new Uint8Array(TAG_BYTES + 1)])
  const mutate = (f: (b: Uint8Array) => void): Uint8Array => {
    const b = good.slice()
    f(b)
    return b
  }
  const cases: Array<[string, Uint8Array]> = [
    ['short', good.subarray(0, 40)],
    [
      'magic',
      mutate((b) => {
        b[0] = 0x4d
      })
    ],
    [
      'version',
      mutate((b) => {
        b[4] = 2
      })
    ],
    [
      'compression',
      mutate((b) => {
        b[5] = 2
      })
    ],
    [
      'flags',
      mutate((b) => {
        b[7] = 1
      })
    ],
    [
      'session id length 0',
      mutate((b) => {
        b[68] = 0
        b[69] = 0
      })
    ],
    [
      'session id past the end',
      mutate((b) => {
        b[68] = 0x01
        b[69] = 0xff
      })
    ],
    ['no room for the tag', good.subarray(0, good.length - TAG_BYTES)],
    [
      'session id not UTF-8',
      mutate((b) => {
        b[70] = 0xff
      })
    ]
  ]
  for (const [name, bytes] of cases)
    assert.throws(
      () => parseEnvelope(bytes, 'chunk 7'),
      (e) => isLucidError(e, 'LUCID_ERR_2001') && /chunk 7/.test((e as Error).message),
      name
    )
  const big = mutate((b) => {
    new DataView(b.buffer).setBigUint64(16, BigInt(MAX_CHUNK_BYTES + 1))
  })
  assert.throws(
    () => parseEnvelope(big, 'chunk 7'),
    (e) => isLucidError(e, 'LUCID_ERR_2004')
  )
})

test('the AAD binds session, index and every header byte; the tag covers the body', async () => {
  const master = await importMasterKey(new Uint8Array(randomBytes(32)))
  const sealer = await ChunkSealer.create(master, 's1')
  const sealed = await sealer.seal(4, Uint8Array.of(1, 2, 3, 4, 5), 99)
  const env = new Uint8Array([...sealed.header, ...sealed.body])
  const opener = new ChunkOpener(master, 's1')
  const opened = await opener.open(env, 4)
  assert.deepEqual(opened.compressed, Uint8Array.of(1, 2, 3, 4, 5))
  assert.equal(opened.header.plaintextSize, 99)

  await assert.rejects(opener.open(env, 5), (e) => isLucidError(e, 'LUCID_ERR_2003'), 'replayed at another index')
  await assert.rejects(new ChunkOpener(master, 's2').open(env, 4), (e) => isLucidError(e, 'LUCID_ERR_2009'), 'moved to another session')
  // Relabelling the header to match the destination fails the tag: index, plaintext size, session id.
  const relabel = (f: (b: Uint8Array) => void): Uint8Array => {
    const b = env.slice()
    f(b)
    return b
  }
  await assert.rejects(
    opener.open(
      relabel((b) => {
        b[15] = 5
      }),
      5
    ),
    (e) => isLucidError(e, 'LUCID_ERR_2002')
  )
  await assert.rejects(
    opener.open(
      relabel((b) => {
        b[23] = 98
      }),
      4
    ),
    (e) => isLucidError(e, 'LUCID_ERR_2002')
  )
  await assert.rejects(
    new ChunkOpener(master, 's2').open(
      relabel((b) => {
        b[71] = 0x32
      }),
      4
    ),
    (e) => isLucidError(e, 'LUCID_ERR_2002')
  )
  for (const at of [24, 60, env.length - 20, env.length - 1]) {
    await assert.rejects(
      opener.open(
        relabel((b) => {
          b[at] = (b[at] as number) ^ 1
        }),
        4
      ),
      (e) => isLucidError(e, 'LUCID_ERR_2002'),
      `bit at ${at}`
    )
  }
  const other = await importMasterKey(new Uint8Array(randomBytes(32)))
  await assert.rejects(new ChunkOpener(other, 's1').open(env, 4), (e) => isLucidError(e, 'LUCID_ERR_2002'), 'wrong key')
})

test('both AES-GCM engines give the same envelope: node:crypto inline up to INLINE_SEAL_MAX_BYTES, WebCrypto above (issue 27)', async () => {
  const master = await importMasterKey(randomBytes(32))
  const sealer = await ChunkSealer.create(master, 'engines')
  const opener = new ChunkOpener(master, 'engines')
  // The derived key, as the other engine sees it: each envelope must decrypt under the engine that did not seal it.
  const web = await deriveChunkKey(master, 'engines', sealer.salt)
  const node = KeyObject.from(web)
  for (const size of [0, 1, 300, INLINE_SEAL_MAX_BYTES, INLINE_SEAL_MAX_BYTES + 1, 200_000]) {
    const stream = randomBytes(size)
    const sealed = await sealer.seal(size, stream, size)
    const envelope = new Uint8Array([...sealed.header, ...sealed.body])
    assert.equal(sealed.body.length, size + TAG_BYTES)
    const nonce = sealed.header.subarray(56, 68)
    const viaWeb = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: sealed.header, tagLength: 128 }, web, sealed.body))
    const d = createDecipheriv('aes-256-gcm', node, nonce, { authTagLength: TAG_BYTES })
    d.setAAD(sealed.header)
    d.setAuthTag(sealed.body.subarray(size))
    const viaNode = Buffer.concat([d.update(sealed.body.subarray(0, size)), d.final()])
    assert.deepEqual(Buffer.from(viaWeb), stream, `WebCrypto opens the ${size}-byte seal`)
    assert.deepEqual(viaNode, stream, `node:crypto opens the ${size}-byte seal`)
    assert.deepEqual(Buffer.from((await opener.open(envelope, size)).compressed), stream)
    // One flipped bit anywhere fails the tag, whichever engine opens it.
    // A nonce byte, the last tag byte, the first ciphertext byte (or a tag byte when there is none).
    for (const at of [60, envelope.length - 1, sealed.header.length]) {
      const bad = envelope.slice()
      bad[at] = (bad[at] as number) ^ 1
      await assert.rejects(opener.open(bad, size), (e: unknown) => isLucidError(e) && e.code === 'LUCID_ERR_2002', `bit flipped at ${at} of ${size}`)
    }
  }
})

test('a segment header template gives exactly encodeHeader bytes, and refuses what encodeHeader refuses', () => {
  const fixed = { version: 1, compression: 1, salt: new Uint8Array(32).fill(5), sessionId: 'tmpl-é' }
  const template = new HeaderTemplate(fixed)
  for (const [index, plaintextSize] of [
    [0, 0],
    [1, 1024],
    [2 ** 32 - 1, MAX_CHUNK_BYTES],
    [2 ** 32, 7],
    [2 ** 40 + 12345, 65536],
    [Number.MAX_SAFE_INTEGER, 3]
  ] as const) {
    const nonce = randomBytes(12)
    assert.deepEqual(template.encode(index, plaintextSize, nonce), encodeHeader({ ...fixed, index, plaintextSize, nonce }), `index ${index}`)
  }
  const nonce = new Uint8Array(12)
  assert.throws(() => template.encode(-1, 0, nonce), RangeError)
  assert.throws(() => template.encode(1.5, 0, nonce), RangeError)
  assert.throws(() => template.encode(0, MAX_CHUNK_BYTES + 1, nonce), RangeError)
  assert.throws(() => template.encode(0, 0, new Uint8Array(11)), RangeError)
  // Each header is a copy: changing one leaves the next intact.
  const a = template.encode(1, 1, nonce)
  a.fill(0)
  assert.deepEqual(template.encode(1, 1, nonce), encodeHeader({ ...fixed, index: 1, plaintextSize: 1, nonce }))
})
