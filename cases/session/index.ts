/**
 * The session pipeline cases (docs/interfaces.md section 2): chunk latency per size, the 500-chunk session,
 * concurrent sessions, pako beside zlib. Each chunk case's compress_mb_per_s is divided by baseline.zlib's
 * one-core gzip-6 figure on the same data.
 */
import type { CaseDef } from '../../harness/registry.ts'

const mod = (f: string): string => new URL(f, import.meta.url).href
const PIPELINE =
  "gzip-6, AES-256-GCM (WebCrypto), SHA-256 and storage (fsync'ed chunk file, then its metadata in an fsync'ed LevelDB transaction), one chunk at a time after a warm-up"

const chunkCase = (id: string, exportName: string, description: string): CaseDef => ({
  id,
  component: 'session',
  description,
  module: mod('./chunk.ts'),
  export: exportName,
  baselines: [{ id: 'baseline.zlib', metrics: { compress_mb_per_s: 'one_core_mb_per_s' } }]
})

const small = (suffix: string, exportName: string, size: string): CaseDef =>
  chunkCase(`session.chunk_${suffix}`, exportName, `${size} chunks of desktop-like capture through node:zlib ${PIPELINE}`)

/** The session cases, in the order they run. */
export const sessionCases: readonly CaseDef[] = [
  small('1k', 'chunk1k', '1 KiB'),
  small('5k', 'chunk5k', '5 KiB'),
  small('10k', 'chunk10k', '10 KiB'),
  small('20k', 'chunk20k', '20 KiB'),
  small('50k', 'chunk50k', '50 KiB'),
  small('100k', 'chunk100k', '100 KiB'),
  chunkCase(
    'session.chunk_10m',
    'chunk10m',
    `10 MiB chunks (the real size) as 1 MiB gzip members in parallel on the libuv pool (node:zlib), ${PIPELINE}; raw parallel gzip of the same chunks interleaved`
  ),
  {
    id: 'session.sustained',
    component: 'session',
    description: 'one session of up to 500 chunks of 10 MiB back to back, then its manifest (time-capped outside full)',
    module: mod('./sustained.ts'),
    export: 'run'
  },
  {
    id: 'session.concurrent',
    component: 'session',
    description: '10 sessions recording 10 MiB chunks at once, each with its own key and directory',
    module: mod('./concurrent.ts'),
    export: 'run'
  },
  chunkCase('session.codec_pako', 'codecPako', `10 MiB chunks as session.chunk_10m but compressed by pako (pure JS) on worker threads, ${PIPELINE}`)
]
