import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { isLucidError } from '../../services/common/errors.ts'
import { FIXED_HEADER_BYTES, MAX_CHUNK_BYTES, TAG_BYTES, encodeHeader, parseEnvelope, type EnvelopeHeader } from '../../services/session/envelope.ts'
import { importMasterKey } from '../../services/session/keys.ts'
import { ChunkOpener, ChunkSealer } from '../../services/session/seal.ts'

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
