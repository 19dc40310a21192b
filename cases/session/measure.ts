/**
 * What every session case measures per chunk: the recorder's stage timings (ChunkReceipt) in HDR
 * histograms, plus the byte counts that turn them into ratios and MB/s. One place, so every case names and
 * computes its metrics the same way (session.case.ts judges p95_ms, encrypt_p95_ms, store_p95_ms,
 * compression_ratio, compress_mb_per_s, encrypt_mb_per_s).
 */
import type { EncodedHistogram, Metrics } from '../../harness/case.ts'
import { createHistogram, encodeHistogram, latencyMetrics, recordMs, type Histogram } from '../../harness/stats/histogram.ts'
import type { ChunkReceipt } from '../../services/session/index.ts'

// meta is the metadata transaction inside store (store_ms includes it), reported to show its share.
const STAGES = ['compress', 'encrypt', 'hash', 'store', 'meta'] as const

/** Accumulates chunk receipts. */
export class ChunkStats {
  readonly total: Histogram = createHistogram()
  readonly #stage: Record<(typeof STAGES)[number], Histogram> = {
    compress: createHistogram(),
    encrypt: createHistogram(),
    hash: createHistogram(),
    store: createHistogram(),
    meta: createHistogram()
  }
  #plain = 0
  #compressed = 0
  #stored = 0
  #compressMs = 0
  #encryptMs = 0
  #hashMs = 0
  #totalMs = 0

  /** Adds one appended chunk. */
  add(r: ChunkReceipt): void {
    recordMs(this.total, r.total_ms)
    recordMs(this.#stage.compress, r.compress_ms)
    recordMs(this.#stage.encrypt, r.encrypt_ms)
    recordMs(this.#stage.hash, r.hash_ms)
    recordMs(this.#stage.store, r.store_ms)
    recordMs(this.#stage.meta, r.meta_ms)
    this.#plain += r.plaintext_size
    this.#compressed += r.compressed_size
    this.#stored += r.size
    this.#compressMs += r.compress_ms
    this.#encryptMs += r.encrypt_ms
    this.#hashMs += r.hash_ms
    this.#totalMs += r.total_ms
  }

  /** Chunks added. */
  get count(): number {
    return this.total.totalCount
  }

  /** Plaintext bytes added. */
  get plainBytes(): number {
    return this.#plain
  }

  /**
   * Latency percentiles of the whole pipeline (p95_ms ...) and of each stage (encrypt_p95_ms ...);
   * compression_ratio = gzip bytes / plaintext bytes; stored_ratio = envelope bytes / plaintext bytes;
   * compress_mb_per_s over plaintext bytes, encrypt_mb_per_s over the bytes encrypted (the gzip stream),
   * hash_mb_per_s over the envelope bytes, pipeline_mb_per_s over plaintext bytes and summed chunk latency.
   */
  metrics(): Metrics {
    const m: Metrics = { ...latencyMetrics(this.total) }
    for (const s of STAGES) Object.assign(m, latencyMetrics(this.#stage[s], `${s}_`))
    const mbps = (bytes: number, ms: number): number => (ms > 0 ? bytes / 1e6 / (ms / 1000) : 0)
    m.compression_ratio = this.#plain > 0 ? this.#compressed / this.#plain : 0
    m.stored_ratio = this.#plain > 0 ? this.#stored / this.#plain : 0
    m.compress_mb_per_s = mbps(this.#plain, this.#compressMs)
    m.encrypt_mb_per_s = mbps(this.#compressed, this.#encryptMs)
    m.hash_mb_per_s = mbps(this.#stored, this.#hashMs)
    m.pipeline_mb_per_s = mbps(this.#plain, this.#totalMs)
    m.chunks_count = this.count
    return m
  }

  /** The histograms, encoded for the report (total_ms and one per stage). */
  histograms(prefix = ''): EncodedHistogram[] {
    return [
      { name: `${prefix}total_ms`, encoded: encodeHistogram(this.total) },
      ...STAGES.map((s) => ({ name: `${prefix}${s}_ms`, encoded: encodeHistogram(this.#stage[s]) }))
    ]
  }
}
