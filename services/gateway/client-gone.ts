/**
 * A signal that fires when a request's client hangs up before its answer was sent, so expensive work queued
 * for it (a password hash) can be dropped instead of done for nobody.
 */
import type { FastifyReply } from 'fastify'

/** Aborts when the connection closes before the response finished. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort()
  })
  return ac.signal
}
