/**
 * Shared fixtures of the session tests: a small real recording on disk.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { CodecName } from '../../services/session/codec.ts'
import { createCodec } from '../../services/session/codecs.ts'
import { FsChunkStore } from '../../services/session/fs-store.ts'
import type { Manifest } from '../../services/session/manifest.ts'
import { SessionRecorder } from '../../services/session/recorder.ts'
import { desktopBytes } from '../../sim/frames/desktop.ts'

/** A fresh temporary directory; remove it with `cleanup`. */
export async function tempDir (prefix = 'lucid-session-'): Promise<string> {
  return await mkdtemp(join(tmpdir(), prefix))
}

/** Removes a temporary directory. */
export async function cleanup (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

/** A finished recording of `chunks` chunks of `chunkSize` bytes of desktop capture (the last one odd-sized). */
export interface Fixture {
  readonly dir: string
  readonly key: Uint8Array
  readonly manifest: Manifest
  /** The plaintext of each chunk. */
  readonly chunks: Uint8Array[]
}

/** Records a fixture into `dir`. */
export async function recordFixture (dir: string, opts: { chunks?: number, chunkSize?: number, codec?: CodecName, sessionId?: string, key?: Uint8Array } = {}): Promise<Fixture> {
  const n = opts.chunks ?? 4
  const size = opts.chunkSize ?? 48 * 1024
  const key = opts.key ?? new Uint8Array(randomBytes(32))
  const data = desktopBytes(n * size, { seed: 3 })
  const chunks = Array.from({ length: n }, (_, i) => data.subarray(i * size, i === n - 1 ? i * size + size - 13 : (i + 1) * size))
  const codec = createCodec(opts.codec ?? 'zlib')
  const rec = await SessionRecorder.start({ store: new FsChunkStore(dir), masterKey: key, codec, ...(opts.sessionId !== undefined ? { sessionId: opts.sessionId } : {}), ownerAddress: '0xowner' })
  for (const c of chunks) await rec.append(c)
  const manifest = await rec.finish()
  await codec.close()
  return { dir, key, manifest, chunks }
}
