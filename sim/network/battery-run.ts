/**
 * Running the consensus battery (battery.ts): every (scenario, seed) is an independent, deterministic run,
 * so they are spread over worker threads (one per core by default), largest networks first so that the
 * cores finish together. Each run's figures depend on its options only, never on the thread it ran on.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { SimFigures } from './figures.ts'
import {
  batteryScenarios,
  scenarioOptions,
  scenarioSeeds,
  summarise,
  type BatteryPlan,
  type BatteryRun,
  type BatteryScenario,
  type ScenarioSummary
} from './battery.ts'
import type { BatteryJob } from './battery-worker.ts'

/** How to run a battery. */
export interface BatteryOptions {
  /** Worker threads (default: the cores available, at most the number of runs). */
  readonly threads?: number
  /** Called as each run finishes (done of total). */
  readonly onRun?: (run: BatteryRun, done: number, total: number) => void
}

/** A finished battery: per-scenario summaries (in scenario order) and every run. */
export interface BatteryResult {
  readonly summaries: readonly ScenarioSummary[]
  readonly runs: readonly BatteryRun[]
  readonly wallS: number
  readonly threads: number
}

// Worker threads do not inherit tsx's loader: a bootstrap registers it, then imports the worker.
const BOOT = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(new URL('./battery-worker.ts', import.meta.url).href)})`

/** Runs a plan's scenarios (or `scenarios`, e.g. a filtered list) for each of its seeds. */
export async function runBattery(
  plan: BatteryPlan,
  opts: BatteryOptions = {},
  scenarios: readonly BatteryScenario[] = batteryScenarios(plan)
): Promise<BatteryResult> {
  const started = performance.now()
  const jobs = scenarios
    .flatMap((s) => scenarioSeeds(s, plan).map((seed) => ({ s, seed })))
    .sort((a, b) => b.s.nodes * b.s.durationMs - a.s.nodes * a.s.durationMs)
  const runs: BatteryRun[] = []
  const threads = Math.max(1, Math.min(jobs.length, opts.threads ?? availableParallelism()))
  let next = 0
  const worker = async (): Promise<void> => {
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(BOOT)}`))
    try {
      for (let i = next++; i < jobs.length; i = next++) {
        const { s, seed } = jobs[i] as { s: BatteryScenario; seed: number }
        const reply = await new Promise<{ figures?: SimFigures; error?: string }>((resolve) => {
          const onMessage = (m: { index: number; figures?: SimFigures; error?: string }): void => {
            if (m.index === i) {
              w.off('error', onError)
              w.off('message', onMessage)
              resolve(m)
            }
          }
          const onError = (err: Error): void => {
            w.off('message', onMessage)
            resolve({ error: `worker died: ${err.message}` })
          }
          w.on('message', onMessage)
          w.once('error', onError)
          w.postMessage({ index: i, opts: scenarioOptions(s, seed) } satisfies BatteryJob)
        })
        const run: BatteryRun = { scenario: s.id, seed, ...reply }
        runs.push(run)
        opts.onRun?.(run, runs.length, jobs.length)
        if (reply.figures === undefined && reply.error?.startsWith('worker died') === true) return
      }
    } finally {
      await w.terminate()
    }
  }
  await Promise.all(Array.from({ length: threads }, worker))
  return {
    summaries: scenarios.map((s) => summarise(s, scenarioSeeds(s, plan).length, runs)),
    runs: runs.slice().sort((a, b) => a.scenario.localeCompare(b.scenario) || a.seed - b.seed),
    wallS: (performance.now() - started) / 1000,
    threads
  }
}
