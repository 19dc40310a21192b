/**
 * A seeded pseudo-random generator (xoshiro128**), injected wherever randomness shapes behaviour so that
 * runs and simulations are reproducible. Not for cryptography: keys and nonces use node:crypto.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number
  /** Uniform integer in [min, max] inclusive. */
  int(min: number, max: number): number
  /** Fill `buf` with pseudo-random bytes. */
  fill(buf: Uint8Array): Uint8Array
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** Creates a reproducible generator from a 32-bit seed. */
export function createRng(seed = 1): Rng {
  const sm = splitmix32(seed)
  let a = sm()
  let b = sm()
  let c = sm()
  let d = sm()
  const u32 = (): number => {
    const r = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0
    const t = (b << 9) >>> 0
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
    return r
  }
  return {
    next: () => u32() / 4294967296,
    int: (min, max) => min + Math.floor((u32() / 4294967296) * (max - min + 1)),
    fill(buf) {
      let i = 0
      for (; i + 4 <= buf.length; i += 4) {
        const v = u32()
        buf[i] = v & 0xff
        buf[i + 1] = (v >>> 8) & 0xff
        buf[i + 2] = (v >>> 16) & 0xff
        buf[i + 3] = v >>> 24
      }
      if (i < buf.length) {
        let v = u32()
        for (; i < buf.length; i++) {
          buf[i] = v & 0xff
          v >>>= 8
        }
      }
      return buf
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
