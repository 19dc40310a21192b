/**
 * The one way the project writes a file that must appear whole or not at all (issue 20: four copies of this,
 * drifting in their fsyncs, became one). The bytes go to a temporary file beside the target, are synced, then
 * take the final name in one step; a crash leaves the old file or the new one, never a mix, and at most a
 * `.tmp` scratch file nobody reads.
 *
 * Two modes:
 * - `replace` (default): rename(2) over whatever is there: session chunks and manifests, a validator's
 *   consensus record, a played-back recording.
 * - `create`: link(2) to the final name, which fails with EEXIST exactly where O_EXCL would, so two processes
 *   racing cannot both create (and one silently overwrite) the file: key files and a chain's genesis. Opening
 *   the final name with O_EXCL and then writing would leave an empty or partial file on a kill in between,
 *   which every later start refuses until someone deletes it by hand.
 *
 * `durable` (default true) fdatasyncs the file before it takes its name and fsyncs the directory after, so the
 * name is as durable as the bytes; a store that runs without durability (a benchmark's "none" mode) turns both off.
 */
import { randomBytes } from 'node:crypto'
import { link, open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** How writeFileAtomic replaces or creates. */
export interface AtomicWriteOptions {
  /** `replace` (default) or `create` (EEXIST when the file exists). */
  readonly mode?: 'replace' | 'create'
  /** File permissions (default 0o644). */
  readonly permissions?: number
  /** Sync the file and its directory (default true). */
  readonly durable?: boolean
}

/** What can be written: text, bytes, parts back to back, or a stream of parts (written as they come). */
export type AtomicData = string | Uint8Array | readonly Uint8Array[] | AsyncIterable<Uint8Array>

/**
 * Writes `data` to `path` atomically (see the module comment); resolves to the bytes written. Rejects with the
 * file system's error (EEXIST in `create` mode when `path` exists), leaving no scratch file behind.
 */
export async function writeFileAtomic(path: string, data: AtomicData, opts: AtomicWriteOptions = {}): Promise<number> {
  const durable = opts.durable ?? true
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const fh = await open(tmp, 'wx', opts.permissions ?? 0o644)
  let bytes = 0
  try {
    for await (const part of parts(data)) {
      // At explicit positions; a short write is continued, never silently dropped.
      let done = 0
      while (done < part.length) {
        const { bytesWritten } = await fh.write(part, done, part.length - done, bytes)
        done += bytesWritten
        bytes += bytesWritten
      }
    }
    if (durable) await fh.datasync()
    await fh.close()
  } catch (err) {
    await fh.close().catch(() => {})
    await rm(tmp, { force: true })
    throw err
  }
  if (opts.mode === 'create') {
    try {
      await link(tmp, path)
    } finally {
      await rm(tmp, { force: true })
    }
  } else {
    try {
      await rename(tmp, path)
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  }
  if (durable) await syncDir(dirname(path))
  return bytes
}

async function* parts(data: AtomicData): AsyncIterable<Uint8Array> {
  if (typeof data === 'string') yield Buffer.from(data)
  else if (data instanceof Uint8Array) yield data
  else if (Array.isArray(data)) yield* data as readonly Uint8Array[]
  else yield* data as AsyncIterable<Uint8Array>
}

/** fsyncs a directory: a name created or replaced in it is durable once it is. */
export async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r')
  try {
    await d.sync()
  } finally {
    await d.close()
  }
}
