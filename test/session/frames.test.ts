import { test } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import { desktopBytes, renderFrame } from '../../sim/frames/desktop.ts'
import { incompressibleBytes } from '../../sim/frames/incompressible.ts'
import { createRng } from '../../services/common/rng.ts'

const ratio = (b: Uint8Array): number => gzipSync(b, { level: 6 }).length / b.length

test('default desktop capture compresses like a real desktop (gzip-6 ratio 0.15..0.3)', () => {
  const r = ratio(desktopBytes(8 * 1024 * 1024))
  assert.ok(r > 0.15 && r < 0.3, `ratio ${r}`)
})

test('the knobs move the ratio the documented way', () => {
  const flat = ratio(desktopBytes(4 * 1024 * 1024, { photo: 0, noise: 0, gradients: false }))
  const busy = ratio(desktopBytes(4 * 1024 * 1024, { photo: 0.4, noise: 0.2 }))
  assert.ok(flat < 0.1, `flat ${flat}`)
  assert.ok(busy > 0.3, `busy ${busy}`)
  assert.ok(ratio(incompressibleBytes(1024 * 1024)) > 1, 'incompressible data grows under gzip')
})

test('frames are seeded: same seed, same bytes; the frame size is width x height x 4', () => {
  assert.deepEqual(desktopBytes(100_000, { seed: 5 }), desktopBytes(100_000, { seed: 5 }))
  assert.notDeepEqual(desktopBytes(100_000, { seed: 5 }), desktopBytes(100_000, { seed: 6 }))
  assert.equal(renderFrame(createRng(1), { width: 64, height: 48 }).length, 64 * 48 * 4)
})
