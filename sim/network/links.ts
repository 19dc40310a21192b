/**
 * Link latency distributions. Every message draws its one-way delay from its link's distribution with the
 * simulation's seeded RNG, so a seed fixes every delay; a distribution per link (SimOptions.link) models
 * regions, a single one a uniform network.
 */
import type { Rng } from '../../services/common/rng.ts'

/** A one-way delay distribution, ms. */
export type Latency =
  | { readonly kind: 'constant'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  /** Normal, truncated at zero (a message never arrives before it leaves). */
  | { readonly kind: 'normal'; readonly meanMs: number; readonly sdMs: number }

/** Draws one delay. Consumes a fixed number of RNG draws per kind, so runs stay aligned. */
export function sampleLatency(l: Latency, rng: Rng): number {
  switch (l.kind) {
    case 'constant':
      return l.ms
    case 'uniform':
      return l.minMs + (l.maxMs - l.minMs) * rng.next()
    case 'normal': {
      // Box-Muller; 1 - next() is in (0, 1], so the logarithm is finite.
      const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next())
      return Math.max(0, l.meanMs + l.sdMs * z)
    }
  }
}

/** The mean of a distribution, ms (the truncation of a normal is ignored: the sync model's round trip). */
export function meanLatency(l: Latency): number {
  switch (l.kind) {
    case 'constant':
      return l.ms
    case 'uniform':
      return (l.minMs + l.maxMs) / 2
    case 'normal':
      return l.meanMs
  }
}

/** How a distribution is written back (`50ms`, `20ms-80ms`, `50ms~10ms`), for reports. */
export function describeLatency(l: Latency): string {
  switch (l.kind) {
    case 'constant':
      return `${l.ms}ms`
    case 'uniform':
      return `${l.minMs}ms-${l.maxMs}ms`
    case 'normal':
      return `${l.meanMs}ms~${l.sdMs}ms`
  }
}
