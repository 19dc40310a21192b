/** How a long-running command (`lucid node`, `lucid devnet`) waits to be stopped. */

/** Resolves on SIGINT or SIGTERM, or when `stop` aborts (tests); removes its listeners either way. */
export async function untilStopped(stop?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      resolve()
    }
    if (stop !== undefined) stop.addEventListener('abort', done, { once: true })
    process.on('SIGINT', done)
    process.on('SIGTERM', done)
  })
}
