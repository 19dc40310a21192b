/**
 * Synthetic desktop frames: what a remote-desktop recorder captures. A frame is raw RGBA pixels with a
 * flat background, overlapping windows of flat colour with title bars, rows of text-like glyphs, and a
 * configurable share of noisy "photo" area (the part that does not compress). Seeded, so every run and
 * every process sees the same bytes.
 */
import { createRng, type Rng } from '../../services/common/rng.ts'

/** Options of a synthetic desktop. */
export interface DesktopOptions {
  /** Frame width in pixels (default 1280). */
  width?: number
  /** Frame height in pixels (default 720). */
  height?: number
  /** Share of the frame area filled with noise, 0..1 (default 0.05: a photo or video thumbnail). */
  noise?: number
  /** RNG seed (default 42). */
  seed?: number
}

/** Renders one RGBA frame. Successive calls with the same rng give different but similar desktops. */
export function renderFrame (rng: Rng, opts: DesktopOptions = {}): Uint8Array {
  const w = opts.width ?? 1280
  const h = opts.height ?? 720
  const noise = opts.noise ?? 0.05
  const px = new Uint32Array(w * h)
  const colour = (): number => (0xff000000 | rng.int(0, 0xffffff)) >>> 0
  px.fill(colour())
  const windows = rng.int(2, 5)
  for (let k = 0; k < windows; k++) {
    const ww = rng.int(w >> 2, w >> 1); const wh = rng.int(h >> 2, (h * 2) >> 2)
    const x0 = rng.int(0, w - ww); const y0 = rng.int(0, h - wh)
    const body = colour(); const title = colour(); const ink = colour()
    for (let y = y0; y < y0 + wh; y++) px.fill(y < y0 + 24 ? title : body, y * w + x0, y * w + x0 + ww)
    // Text: 8x12 glyph cells with a few "ink" pixels each, line after line.
    for (let ty = y0 + 32; ty + 12 < y0 + wh; ty += 16) {
      const lineLen = rng.int(ww >> 3, ww - 16)
      for (let tx = x0 + 8; tx + 8 < x0 + lineLen; tx += 8) {
        if (rng.next() < 0.15) continue // a space
        const glyph = rng.int(0, 0xffff)
        for (let b = 0; b < 16; b++) {
          if ((glyph >> b) & 1) px[(ty + 2 + (b >> 2) * 2) * w + tx + 1 + (b & 3) * 2] = ink
        }
      }
    }
  }
  // Noise patch (photo/video area).
  const area = Math.floor(w * h * noise)
  if (area > 0) {
    const side = Math.max(1, Math.floor(Math.sqrt(area)))
    const pw = Math.min(w, side); const ph = Math.min(h, Math.ceil(area / pw))
    const x0 = rng.int(0, w - pw); const y0 = rng.int(0, h - ph)
    const row = new Uint8Array(pw * 4)
    for (let y = y0; y < y0 + ph; y++) {
      rng.fill(row)
      const view = new Uint32Array(row.buffer)
      px.set(view, y * w + x0)
    }
  }
  return new Uint8Array(px.buffer)
}

/**
 * `size` bytes of desktop capture: consecutive frames cut to length, as a recorder would chunk them.
 * Same options and seed give the same bytes.
 */
export function desktopBytes (size: number, opts: DesktopOptions = {}): Uint8Array {
  const rng = createRng(opts.seed ?? 42)
  const out = new Uint8Array(size)
  let off = 0
  while (off < size) {
    const f = renderFrame(rng, opts)
    const n = Math.min(f.length, size - off)
    out.set(f.subarray(0, n), off)
    off += n
  }
  return out
}
