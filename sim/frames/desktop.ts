/**
 * Synthetic desktop frames: what a remote-desktop recorder captures. A frame is raw RGBA pixels: a
 * gradient wallpaper, overlapping windows of flat colour with title bars, rows of text-like glyphs with
 * anti-aliased edges, a gradient panel, a photo (smooth shapes with sensor grain) and a share of pure noise
 * (video). Seeded, so every run and every process sees the same bytes.
 *
 * Why this mix: trivially repeating data (the original tests' 0.044 gzip ratio) flatters every compressor
 * and hides the cost of the real thing. With the defaults below gzip level 6 lands near 0.2, inside the
 * 0.15-0.3 typical of real desktop captures; `noise` and `photo` move it (see DESKTOP_DATA and the tests).
 */
import { createRng, type Rng } from '../../services/common/rng.ts'

/** Options of a synthetic desktop. */
export interface DesktopOptions {
  /** Frame width in pixels (default 1280). */
  width?: number
  /** Frame height in pixels (default 720). */
  height?: number
  /** Share of the frame area filled with pure noise, 0..1 (default 0.05: a playing video). */
  noise?: number
  /** Share of the frame area filled with a photo (smooth shapes and grain), 0..1 (default 0.2). */
  photo?: number
  /** Draw the gradient wallpaper and gradient panel (default true; false gives flat colours only). */
  gradients?: boolean
  /** RNG seed (default 42). */
  seed?: number
}

/** One line describing the default data, for the `conditions.data` of benchmark reports. */
export const DESKTOP_DATA =
  'synthetic desktop 1280x720 RGBA: gradient wallpaper, windows with anti-aliased text, gradient panel, 20 % photo, 5 % video noise (seeded)'

/** Renders one RGBA frame. Successive calls with the same rng give different but similar desktops. */
export function renderFrame(rng: Rng, opts: DesktopOptions = {}): Uint8Array {
  const w = opts.width ?? 1280
  const h = opts.height ?? 720
  const gradients = opts.gradients ?? true
  const px = new Uint32Array(w * h)
  const colour = (): number => (0xff000000 | rng.int(0, 0xffffff)) >>> 0
  if (gradients) fillGradient(px, w, 0, 0, w, h, colour(), colour())
  else px.fill(colour())
  const windows = rng.int(2, 5)
  for (let k = 0; k < windows; k++) drawWindow(px, w, h, rng, colour)
  if (gradients) {
    const gw = rng.int(w >> 3, w >> 2)
    const gh = rng.int(h >> 3, h >> 2)
    fillGradient(px, w, rng.int(0, w - gw), rng.int(0, h - gh), gw, gh, colour(), colour())
  }
  drawPhoto(px, w, h, rng, opts.photo ?? 0.2)
  drawNoise(px, w, h, rng, opts.noise ?? 0.05)
  return new Uint8Array(px.buffer)
}

/** A diagonal two-colour gradient: every row differs from the last, like a wallpaper or a themed panel. */
function fillGradient(px: Uint32Array, w: number, x0: number, y0: number, gw: number, gh: number, from: number, to: number): void {
  const lut = gradientLut(from, to, gw + gh - 1)
  for (let y = 0; y < gh; y++) px.set(lut.subarray(y, y + gw), (y0 + y) * w + x0)
}

/** A window: title bar, flat body, lines of 8x12 glyph cells whose ink pixels have anti-aliased halos. */
function drawWindow(px: Uint32Array, w: number, h: number, rng: Rng, colour: () => number): void {
  const ww = rng.int(w >> 2, w >> 1)
  const wh = rng.int(h >> 2, (h * 2) >> 2)
  const x0 = rng.int(0, w - ww)
  const y0 = rng.int(0, h - wh)
  const body = colour()
  const title = colour()
  const ink = colour()
  const halo = mix(body, ink, 0.35)
  for (let y = y0; y < y0 + wh; y++) px.fill(y < y0 + 24 ? title : body, y * w + x0, y * w + x0 + ww)
  for (let ty = y0 + 32; ty + 12 < y0 + wh; ty += 16) {
    const lineLen = rng.int(ww >> 3, ww - 16)
    for (let tx = x0 + 8; tx + 8 < x0 + lineLen; tx += 8) {
      if (rng.next() < 0.15) continue // a space
      const glyph = rng.int(0, 0xffff)
      for (let b = 0; b < 16; b++) {
        if (((glyph >> b) & 1) === 0) continue
        const at = (ty + 2 + (b >> 2) * 2) * w + tx + 1 + (b & 3) * 2
        px[at] = ink
        px[at + 1] = halo // sub-pixel smoothing: the pixel right of a stroke is half ink
      }
    }
  }
}

/** A photo: a few smooth colour blobs over a gradient, with per-pixel sensor grain in the low bits. */
function drawPhoto(px: Uint32Array, w: number, h: number, rng: Rng, share: number): void {
  const rect = patch(w, h, rng, share)
  if (rect === undefined) return
  const { x0, y0, pw, ph } = rect
  const a = (0xff000000 | rng.int(0, 0xffffff)) >>> 0
  const b = (0xff000000 | rng.int(0, 0xffffff)) >>> 0
  const blobs = Array.from({ length: 4 }, () => ({
    cx: rng.int(0, pw),
    cy: rng.int(0, ph),
    r: rng.int(8, Math.max(9, pw >> 1)),
    c: (0xff000000 | rng.int(0, 0xffffff)) >>> 0
  }))
  const lut = gradientLut(a, b, pw + ph - 1)
  const grain = new Uint8Array(pw)
  for (let y = 0; y < ph; y++) {
    rng.fill(grain)
    for (let x = 0; x < pw; x++) {
      let c = lut[x + y] as number
      for (const bl of blobs) {
        const dx = x - bl.cx
        const dy = y - bl.cy
        if (dx * dx + dy * dy < bl.r * bl.r) c = mix(c, bl.c, 1 - Math.sqrt(dx * dx + dy * dy) / bl.r)
      }
      const g = (grain[x] as number) & 0x0f // +-8 levels of grain on each channel
      px[(y0 + y) * w + x0 + x] = (c ^ (g | (g << 8) | (g << 16))) >>> 0
    }
  }
}

/** Pure noise: a playing video, the part nothing compresses. */
function drawNoise(px: Uint32Array, w: number, h: number, rng: Rng, share: number): void {
  const rect = patch(w, h, rng, share)
  if (rect === undefined) return
  const row = new Uint8Array(rect.pw * 4)
  for (let y = rect.y0; y < rect.y0 + rect.ph; y++) {
    rng.fill(row)
    px.set(new Uint32Array(row.buffer), y * w + rect.x0)
  }
}

/** A roughly square rectangle covering `share` of the frame at a random place, or undefined for none. */
function patch(w: number, h: number, rng: Rng, share: number): { x0: number; y0: number; pw: number; ph: number } | undefined {
  const area = Math.floor(w * h * Math.min(1, Math.max(0, share)))
  if (area === 0) return undefined
  const side = Math.max(1, Math.floor(Math.sqrt(area)))
  const pw = Math.min(w, side)
  const ph = Math.min(h, Math.ceil(area / pw))
  return { x0: rng.int(0, w - pw), y0: rng.int(0, h - ph), pw, ph }
}

/** `n` colours blending evenly from `from` to `to`: rows of a diagonal gradient are windows into it. */
function gradientLut(from: number, to: number, n: number): Uint32Array {
  const lut = new Uint32Array(n)
  for (let i = 0; i < n; i++) lut[i] = mix(from, to, n === 1 ? 0 : i / (n - 1))
  return lut
}

/** Linear blend of two opaque ABGR pixels, t in 0..1. */
function mix(from: number, to: number, t: number): number {
  const ch = (s: number): number => {
    const f = (from >>> s) & 0xff
    const g = (to >>> s) & 0xff
    return Math.round(f + (g - f) * t) << s
  }
  return (0xff000000 | ch(0) | ch(8) | ch(16)) >>> 0
}

/**
 * `size` bytes of desktop capture: consecutive frames cut to length, as a recorder would chunk them.
 * Same options and seed give the same bytes.
 */
export function desktopBytes(size: number, opts: DesktopOptions = {}): Uint8Array {
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
