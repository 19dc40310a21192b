/**
 * session.chunk_* and session.codec_pako: one chunk at a time through the whole recording pipeline
 * (compress, seal, hash, store), desktop-like data, after a warm-up. Each chunk's latency is what a recorder
 * sees when its pipeline is idle: the seed's "<100 ms per chunk".
 *
 * For chunks of at least one gzip member (1 MiB) the case also times raw node:zlib parallel gzip-6 of the
 * same chunk, interleaved with the pipeline runs so both see the same machine state: the in-run reference
 * for the goals "p99 within 1.2 x raw parallel gzip" (p99_vs_raw_x) and "throughput >= 0.85 x raw"
 * (throughput_vs_raw_x).
 */
import type { CaseContext, CaseResult, CaseRun } from '../../harness/case.ts'
import { createHistogram, encodeHistogram, latencyMetrics, recordMs } from '../../harness/stats/histogram.ts'
import { DEFAULT_MEMBER_SIZE, INLINE_SEAL_MAX_BYTES, createCodec, createZlibCodec, type CodecName } from '../../services/session/index.ts'
import { IN_FLIGHT, encryptThroughput } from './encrypt-throughput.ts'
import { ChunkStats } from './measure.ts'
import { appendBounded, baseConditions, capturePool, pickChunk, runFor, scratchRecorder, withScratchDatabase } from './setup.ts'

const KiB = 1024
const MiB = 1024 * KiB

/** Runs the chunk case for `size`-byte chunks with the named codec. */
async function chunkCase(ctx: CaseContext, size: number, codecName: CodecName): Promise<CaseResult> {
  const large = size >= DEFAULT_MEMBER_SIZE
  ctx.progress(`generating ${large ? 'distinct' : ''} desktop capture`)
  const pool = capturePool(size, large ? (ctx.profile === 'smoke' ? 2 : 4) : 64)
  const codec = createCodec(codecName)
  const raw = createZlibCodec()
  try {
    return await withScratchDatabase(ctx, async (db) => {
      const { recorder, store } = await scratchRecorder(ctx, 'recording', codec, db)
      await runFor(ctx.seconds(1, { smoke: 0.3, full: 3 }), 3, async () => {
        await appendBounded(recorder, store, pickChunk(ctx, pool, size))
      })

      const stats = new ChunkStats()
      const rawHist = createHistogram()
      let rawMs = 0
      let rawBytes = 0
      let last = performance.now()
      await runFor(ctx.seconds(6, { smoke: 1, full: 30 }), 5, async () => {
        const chunk = pickChunk(ctx, pool, size)
        stats.add(await appendBounded(recorder, store, chunk))
        if (large) {
          const t = performance.now()
          await raw.compress(chunk)
          const ms = performance.now() - t
          recordMs(rawHist, ms)
          rawMs += ms
          rawBytes += chunk.length
        }
        if (performance.now() - last > 1000) {
          last = performance.now()
          ctx.progress(`${stats.count} chunks, p95 ${(stats.total.getValueAtPercentile(95) / 1000).toFixed(1)} ms`)
        }
      })
      await recorder.abandon()
      ctx.progress(`sealing one chunk's gzip stream, 1 and ${IN_FLIGHT} in flight, and with node:crypto`)
      const streams: Uint8Array[] = []
      for (let i = 0; i < (large ? 2 : 16); i++) streams.push(await codec.compress(pickChunk(ctx, pool, size)))
      const throughput = await encryptThroughput(streams, size, ctx.seconds(1, { smoke: 0.2, full: 3 }))

      const metrics = { ...stats.metrics(), ...throughput }
      const histograms = stats.histograms()
      if (large) {
        Object.assign(metrics, latencyMetrics(rawHist, 'raw_gzip_'))
        metrics.raw_gzip_mb_per_s = rawBytes / 1e6 / (rawMs / 1000)
        metrics.p99_vs_raw_x = (metrics.p99_ms ?? 0) / (metrics.raw_gzip_p99_ms ?? 1)
        metrics.throughput_vs_raw_x = (metrics.pipeline_mb_per_s ?? 0) / (metrics.raw_gzip_mb_per_s ?? 1)
        histograms.push({ name: 'raw_gzip_ms', encoded: encodeHistogram(rawHist) })
      }
      return {
        status: 'completed',
        metrics,
        histograms,
        conditions: {
          ...baseConditions(codec, size, db),
          model: 'closed loop, one chunk in flight, after warm-up',
          encrypt_throughput: `the gzip streams of 16 chunks (2 from 1 MiB up) sealed in turn by the recorder's ChunkSealer, ${IN_FLIGHT} at a time (session.concurrent's recordings; node:crypto up to ${INLINE_SEAL_MAX_BYTES} bytes, WebCrypto above); encrypt_single_*: one at a time; encrypt_webcrypto_throughput_mb_per_s: WebCrypto alone, ${IN_FLIGHT} in flight`,
          raw_reference: large ? 'node:zlib async gzip-6, same members, same chunk, interleaved' : 'none (chunk below one gzip member)'
        }
      }
    })
  } finally {
    await codec.close()
    await raw.close()
  }
}

const sized =
  (size: number, codec: CodecName = 'zlib'): CaseRun =>
  async (ctx) =>
    await chunkCase(ctx, size, codec)

/** session.chunk_1k */
export const chunk1k = sized(1 * KiB)
/** session.chunk_5k */
export const chunk5k = sized(5 * KiB)
/** session.chunk_10k */
export const chunk10k = sized(10 * KiB)
/** session.chunk_20k */
export const chunk20k = sized(20 * KiB)
/** session.chunk_50k */
export const chunk50k = sized(50 * KiB)
/** session.chunk_100k */
export const chunk100k = sized(100 * KiB)
/** session.chunk_10m: the real chunk size. */
export const chunk10m = sized(10 * MiB)
/** session.codec_pako: the 10 MiB case with the pure-JS codec (members on worker threads). */
export const codecPako = sized(10 * MiB, 'pako')
