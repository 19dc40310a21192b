import { test } from 'node:test'
import assert from 'node:assert/strict'
import { gunzipSync } from 'node:zlib'
import { isLucidError } from '../../services/common/errors.ts'
import { createCodec } from '../../services/session/codecs.ts'
import { memberRanges } from '../../services/session/members.ts'
import { desktopBytes } from '../../sim/frames/desktop.ts'
import { incompressibleBytes } from '../../sim/frames/incompressible.ts'

const zlib = createCodec('zlib')
const pako = createCodec('pako')
test.after(async () => {
  await pako.close()
  await zlib.close()
})

const inputs: Array<[string, Uint8Array]> = [
  ['empty', new Uint8Array(0)],
  ['1 byte', Uint8Array.of(0x5a)],
  ['odd-sized desktop (1 MiB + 7: two members)', desktopBytes(1024 * 1024 + 7, { seed: 9 })],
  ['odd-sized incompressible (65 537)', incompressibleBytes(65537)],
  ['over 10 MiB desktop (10 MiB + 3)', desktopBytes(10 * 1024 * 1024 + 3, { seed: 11 })]
]

for (const [name, data] of inputs) {
  test(`round trip and cross-decoding: ${name}`, async () => {
    const byZlib = await zlib.compress(data)
    const byPako = await pako.compress(data)
    // Standard gzip: plain gunzip reads both, whatever the number of members.
    assert.deepEqual(new Uint8Array(gunzipSync(byZlib)), data)
    assert.deepEqual(new Uint8Array(gunzipSync(byPako)), data)
    for (const [dec, enc] of [
      [zlib, byZlib],
      [zlib, byPako],
      [pako, byZlib],
      [pako, byPako]
    ] as const) {
      assert.deepEqual(await dec.decompress(enc, data.length), data, `${dec.name} decoding`)
    }
    assert.equal(byZlib[0], 0x1f)
    assert.equal(byZlib[1], 0x8b) // gzip magic
  })
}

test('large inputs become several members and lose little ratio', async () => {
  const data = desktopBytes(4 * 1024 * 1024, { seed: 5 })
  const multi = await createCodec('zlib').compress(data)
  const single = await createCodec('zlib', { memberSize: 64 * 1024 * 1024 }).compress(data)
  // four members: four gzip headers at member boundaries
  let headers = 0
  for (let i = 0; i + 2 < multi.length; i++) if (multi[i] === 0x1f && multi[i + 1] === 0x8b && multi[i + 2] === 8 && multi[i + 3] === 0) headers++
  assert.ok(headers >= 4, `found ${headers} gzip headers`)
  assert.ok(multi.length < single.length * 1.02, `multi-member ${multi.length} vs single ${single.length}`)
})

test('corrupt streams and wrong lengths fail with LUCID_ERR_2006', async () => {
  const data = desktopBytes(200 * 1024, { seed: 2 })
  for (const codec of [zlib, pako]) {
    const gz = await codec.compress(data)
    const bad = gz.slice()
    const mid = Math.floor(bad.length / 2)
    bad[mid] = (bad[mid] as number) ^ 0xff
    await assert.rejects(codec.decompress(bad, data.length), (e) => isLucidError(e, 'LUCID_ERR_2006'))
    await assert.rejects(codec.decompress(gz, data.length - 1), (e) => isLucidError(e, 'LUCID_ERR_2006'))
    await assert.rejects(codec.decompress(gz, data.length + 1), (e) => isLucidError(e, 'LUCID_ERR_2006'))
    await assert.rejects(codec.decompress(gz.subarray(0, gz.length - 9), data.length), (e) => isLucidError(e, 'LUCID_ERR_2006'))
  }
})

test('member ranges cover the input exactly', () => {
  assert.deepEqual(memberRanges(0, 10), [[0, 0]])
  assert.deepEqual(memberRanges(25, 10), [
    [0, 10],
    [10, 20],
    [20, 25]
  ])
  assert.throws(() => memberRanges(5, 0), RangeError)
})

test('bytes after the last gzip member are refused, zeros included (LUCID_ERR_2006; issue 23, item 4)', async () => {
  // One member and two members (1 MiB + 5 bytes of input): the rule is about the end of the stream.
  for (const data of [desktopBytes(4096, { seed: 4 }), desktopBytes(1024 * 1024 + 5, { seed: 4 })]) {
    for (const codec of [zlib, pako]) {
      const gz = await codec.compress(data)
      assert.deepEqual(await codec.decompress(gz, data.length), data)
      for (const tail of [Uint8Array.of(0), new Uint8Array(8), Uint8Array.of(0, 1, 2), Uint8Array.of(7)]) {
        const padded = new Uint8Array(gz.length + tail.length)
        padded.set(gz)
        padded.set(tail, gz.length)
        await assert.rejects(codec.decompress(padded, data.length), (e) => isLucidError(e, 'LUCID_ERR_2006'), `${codec.name}, tail ${tail.join(',')}`)
      }
    }
  }
})
