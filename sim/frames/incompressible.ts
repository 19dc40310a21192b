/**
 * Incompressible capture: seeded pseudo-random bytes, the worst case for a gzip pipeline (compressed size
 * slightly above the input, and deflate at its slowest per byte). Seeded so runs compare.
 */
import { createRng } from '../../services/common/rng.ts'

/** `size` pseudo-random bytes from `seed` (default 7). Not for cryptography. */
export function incompressibleBytes(size: number, seed = 7): Uint8Array {
  return createRng(seed).fill(new Uint8Array(size))
}
