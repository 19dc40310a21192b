/**
 * Messages between the runner and a case's child process (harness/worker.ts), over the IPC channel.
 */
import type { CaseResult, Profile } from './case.ts'

/** Runner -> worker: run one case. */
export interface RunMessage {
  readonly type: 'run'
  readonly id: string
  /** The file URL of the module exporting the case's definition (found there by id). */
  readonly module: string
  readonly profile: Profile
  readonly seed: number
  readonly target?: string
  readonly tmpdir: string
  readonly sharedDir: string
  readonly pin: { readonly server?: string; readonly load?: string }
  readonly findMax?: { readonly p99Ms: number }
}

/** Worker -> runner. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly text: string }
  | { readonly type: 'result'; readonly result: CaseResult }
  | { readonly type: 'error'; readonly message: string; readonly code?: string; readonly stack?: string }
