/**
 * The system under test when the user gives no `--host`: `lucid serve --seed-demo --load-test` in a child
 * process on loopback, stopped after the run.
 */
import type { Conditions } from '../harness/case.ts'
import { startServerProcess, type ServerProcess } from './server-process.ts'

/** A local gateway and what it says about its configuration. */
export interface LocalGateway extends ServerProcess {
  /** The hashing cost and rate-limit mode in effect, from the gateway itself. */
  describe(): Promise<Conditions>
}

const GATEWAY = new URL('../services/gateway/index.ts', import.meta.url).href

/** Starts the gateway with the demo accounts and the load-test settings. */
export async function startLocalGateway(): Promise<LocalGateway> {
  const server = await startServerProcess(GATEWAY, { options: { seedDemo: true, loadTest: true }, timeoutMs: 180_000 })
  return {
    ...server,
    async describe() {
      return { gateway: 'services/gateway (seed-demo, load-test)' }
    }
  }
}
