/**
 * Profiles: how long each case runs. `smoke` proves every case runs (CI, about 10 s per component),
 * `quick` is the default (at most about 2 minutes per component here), `full` uses the seed's durations.
 */
import type { Profile } from './case.ts'

/** The profiles, in increasing length. */
export const PROFILES: readonly Profile[] = ['smoke', 'quick', 'full']

/** Seconds to run for: `quick` as given, smoke a tenth of it (at least 0.5 s), full three times it, unless overridden. */
export function profileSeconds(profile: Profile, quick: number, opts: { smoke?: number; full?: number } = {}): number {
  switch (profile) {
    case 'smoke':
      return opts.smoke ?? Math.max(0.5, quick / 10)
    case 'quick':
      return quick
    case 'full':
      return opts.full ?? quick * 3
  }
}

/** Default hard limit per case, seconds. */
export const DEFAULT_TIMEOUT_S: Readonly<Record<Profile, number>> = { smoke: 120, quick: 600, full: 3600 }
