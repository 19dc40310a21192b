/**
 * The contract between `lucid chaos` (cli/commands/bench/chaos.ts) and its suites. A suite is a module
 * chaos/<suite>/index.ts exporting `run(opts)`; the command loads it dynamically, so suites written by
 * different people plug in without the command knowing more than this file.
 */

/** What the command hands a suite. */
export interface ChaosOptions {
  /** The full variant (`--full`); the quick one (the default) runs in minutes (soak: 20). */
  full: boolean
  /** `--duration D` in seconds, when given: the suite's main phase lasts this long instead of its default. */
  durationS?: number
  /** `--host URL` (origin only), for suites that drive a running gateway (fuzz, overload). */
  target?: string
  /** `--seed N`: makes generated input reproducible; suites without randomness ignore it. */
  seed?: number
  /** One line of live progress (the command decides where it goes). */
  progress: (text: string) => void
  /** A fresh directory the suite may use (data directories, scratch files); the command removes it. */
  tmpdir: string
}

/** What a suite returns. */
export interface ChaosResult {
  /** Figures, names ending in their unit (docs/interfaces.md section 3): `_count`, `_ms`, `_s`, `_bytes`, ... */
  metrics: Record<string, number>
  /** Under which conditions they were measured (server, KDF, rate limits, seed, ...). */
  conditions: Record<string, string | number | boolean>
  /** The suite's own judgement (the command also judges the targets it holds for the suite). */
  passed: boolean
  /** Each a failure with what reproduces it. Empty when nothing failed. */
  findings: string[]
}

/** The function every suite module exports. */
export type ChaosRun = (opts: ChaosOptions) => Promise<ChaosResult>
