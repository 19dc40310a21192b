/**
 * session.sustained: one recording of up to 500 chunks of 10 MiB (the original's 500-chunk session),
 * appended back to back, then finished (manifest over every chunk, session marked finalised). Judged on
 * the mean chunk latency. smoke and quick stop earlier, at their time budget; the chunk count reached is
 * reported.
 */
import type { CaseRun } from '../../harness/case.ts'
import { createZlibCodec } from '../../services/session/index.ts'
import { ChunkStats } from './measure.ts'
import { REAL_CHUNK, appendBounded, distinctRealChunks, baseConditions, pickChunk, realChunkPool, scratchRecorder, withScratchDatabase } from './setup.ts'

const SESSION_REAL_CHUNKS = 500

/** The session.sustained case. */
export const run: CaseRun = async (ctx) => {
  const pool = realChunkPool(ctx)
  const codec = createZlibCodec()
  try {
    return await withScratchDatabase(ctx, async (db) => {
      const { recorder, store } = await scratchRecorder(ctx, 'recording', codec, db)
      for (let i = 0; i < 3; i++) await appendBounded(recorder, store, pickChunk(ctx, pool, REAL_CHUNK)) // warm-up
      const stats = new ChunkStats()
      const budget = ctx.seconds(15, { smoke: 2, full: 900 }) * 1000
      const t0 = performance.now()
      while (stats.count < SESSION_REAL_CHUNKS && (stats.count < 5 || performance.now() - t0 < budget)) {
        stats.add(await appendBounded(recorder, store, pickChunk(ctx, pool, REAL_CHUNK)))
        if (stats.count % 20 === 0) ctx.progress(`${stats.count}/${SESSION_REAL_CHUNKS} chunks`)
      }
      const wall = performance.now() - t0
      const tf = performance.now()
      const manifest = await recorder.finish()
      const finishMs = performance.now() - tf
      return {
        status: 'completed',
        metrics: { ...stats.metrics(), chunks_per_s: stats.count / (wall / 1000), finish_ms: finishMs, manifest_chunks_count: manifest.chunk_count },
        histograms: stats.histograms(),
        conditions: {
          ...baseConditions(codec, REAL_CHUNK, db),
          model: `one session, chunks back to back, up to ${SESSION_REAL_CHUNKS} (time-capped outside full)`,
          distinct_chunks: distinctRealChunks(ctx)
        }
      }
    })
  } finally {
    await codec.close()
  }
}
