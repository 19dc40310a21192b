/**
 * What a benchmark case is, seen from inside its child process. A case module exports a `run`
 * function per case id (see registry.ts); the worker calls it with a context and sends the result
 * back to the runner, which judges it against the target table.
 */
import type { Rng } from '../services/common/rng.ts'

/** How long and how hard to run: smoke (CI, seconds), quick (default, ~2 min per component), full (the seed's durations). */
export type Profile = 'smoke' | 'quick' | 'full'

/** Metric values by name; names end in their unit (`_ms`, `_per_s`, `_ratio`, `_x`, ...). */
export type Metrics = Record<string, number>

/** Conditions the figures were measured under (engine, KDF cost, rate limits, time scale, data). */
export type Conditions = Record<string, string | number | boolean>

/** Per-case environment and knobs handed to a case's `run`. */
export interface CaseContext {
  /** The case id being run, e.g. `baseline.http`. */
  readonly id: string
  readonly profile: Profile
  /** Scale a duration in seconds to the profile: smoke ~1/10 of quick, full = the seed's. */
  seconds(quick: number, opts?: { smoke?: number; full?: number }): number
  /** Report progress (shown as a live line on a TTY, a line every few seconds otherwise). */
  progress(text: string): void
  /** A seeded RNG for this case (the seed is recorded in the report). */
  readonly rng: Rng
  /** `--host URL` when the user points a case at an already running server. */
  readonly target?: string
  /** A scratch directory of this case's own, removed after the run. */
  readonly tmpdir: string
  /**
   * A directory shared by every case of one run, removed at its end: for fixtures that are expensive to build
   * and the same for several cases (a seeded 100k-document database). Build under a temporary name and rename
   * when complete (see harness/fixture.ts), so a case that crashed mid-build leaves nothing half-made.
   */
  readonly sharedDir: string
  /** `--pin-server` / `--pin-load`: taskset CPU lists for the server and the load generator processes. */
  readonly pin: { readonly server?: string; readonly load?: string }
  /** `--find-max --p99 MS`: HTTP cases search the highest open-model rate whose p99 stays under the bound. */
  readonly findMax?: { readonly p99Ms: number }
}

/** One step of a capacity search: the rate tried and what it gave. */
export interface CapacityPoint {
  rate_per_s: number
  p99_ms: number
  uncorrected_p99_ms: number
  achieved_rate_per_s: number
  held: boolean
  error_ratio: number
}

/** A latency histogram shipped with a result: HdrHistogram compressed base64, microsecond values. */
export interface EncodedHistogram {
  readonly name: string
  readonly encoded: string
}

/** What a case's `run` returns: a discriminated union on `status`. */
export type CaseResult =
  | {
      status: 'completed'
      metrics: Metrics
      conditions?: Conditions
      histograms?: EncodedHistogram[]
      /** Per-endpoint statistics, for load runs. */
      endpoints?: unknown[]
      /** Per-second points, for load runs. */
      series?: unknown[]
      /** The capacity search's curve, with `--find-max`. */
      capacity?: CapacityPoint[]
    }
  | { status: 'skipped'; reason: string; conditions?: Conditions }

/** The function a case module exports for each case id. */
export type CaseRun = (ctx: CaseContext) => Promise<CaseResult>
