/**
 * Child-process entry of one open-model generator: receives its options, runs, sends the result back.
 */
import { generateOpenLoad, type OpenGenOptions } from './open.ts'

process.once('message', (opts: OpenGenOptions) => {
  generateOpenLoad(opts).then(
    (result) => process.send?.({ type: 'result', result }, undefined, {}, () => process.exit(0)),
    (err: unknown) => process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) }, undefined, {}, () => process.exit(1))
  )
})
