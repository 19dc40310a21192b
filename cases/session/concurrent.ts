/**
 * session.concurrent: several sessions recording at once, each its own recorder, key and directory, each a
 * closed loop of 10 MiB chunks; they contend for the same cores (the libuv pool) and disk, and share one
 * metadata database as a service's sessions do. Judged on chunks per second across all sessions and the
 * share of appends that succeed.
 */
import type { CaseRun } from '../../harness/case.ts'
import { createZlibCodec } from '../../services/session/index.ts'
import { ChunkStats } from './measure.ts'
import { REAL_CHUNK, appendBounded, baseConditions, pickChunk, realChunkPool, scratchRecorder, withScratchDatabase } from './setup.ts'

const SESSIONS = 10

/** The session.concurrent case. */
export const run: CaseRun = async (ctx) => {
  const pool = realChunkPool(ctx)
  const codec = createZlibCodec()
  try {
    return await withScratchDatabase(ctx, async (db) => {
      const sessions = await Promise.all(Array.from({ length: SESSIONS }, async (_, i) => await scratchRecorder(ctx, `session-${i}`, codec, db)))
      await Promise.all(sessions.map(async (s) => await appendBounded(s.recorder, s.store, pickChunk(ctx, pool, REAL_CHUNK)))) // warm-up
      const stats = new ChunkStats()
      let failed = 0
      let firstError = ''
      const seconds = ctx.seconds(10, { smoke: 2, full: 60 })
      const t0 = performance.now()
      const end = t0 + seconds * 1000
      await Promise.all(
        sessions.map(async ({ recorder, store }) => {
          while (performance.now() < end) {
            try {
              stats.add(await appendBounded(recorder, store, pickChunk(ctx, pool, REAL_CHUNK)))
            } catch (err) {
              failed++
              firstError ||= (err as Error).message
            }
          }
        })
      )
      const wall = (performance.now() - t0) / 1000
      await Promise.all(sessions.map(async (s) => await s.recorder.abandon()))
      const ok = stats.count
      return {
        status: 'completed',
        metrics: { ...stats.metrics(), chunks_per_s: ok / wall, success_ratio: ok + failed > 0 ? ok / (ok + failed) : 0, failed_count: failed },
        histograms: stats.histograms(),
        conditions: {
          ...baseConditions(codec, REAL_CHUNK, db),
          model: `${SESSIONS} sessions, each a closed loop of one chunk in flight, one metadata database`,
          sessions: SESSIONS,
          ...(firstError ? { first_error: firstError } : {})
        }
      }
    })
  } finally {
    await codec.close()
  }
}
