/**
 * Creating a file that must appear whole or not at all, and never replace an existing one: key files and
 * a chain's genesis. Opening the final name with O_EXCL and then writing leaves an empty or partial file
 * when the process is killed in between, and every later start refuses it (a key file of no key, a genesis
 * that does not parse) until someone deletes it by hand. Here the bytes go to a temporary file first,
 * fsync'ed, then link(2) gives them the final name: atomic, and failing with EEXIST exactly where O_EXCL
 * did, so two processes racing still cannot both create (and one silently overwrite) the file.
 */
import { randomBytes } from 'node:crypto'
import { link, open, rm } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Writes `data` to `path` (mode `mode`) unless it exists (EEXIST then, as O_EXCL); a crash leaves no partial `path`. */
export async function createFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const fh = await open(tmp, 'wx', mode)
  try {
    await fh.writeFile(data)
    await fh.datasync()
  } catch (err) {
    await fh.close().catch(() => {})
    await rm(tmp, { force: true })
    throw err
  }
  await fh.close()
  try {
    await link(tmp, path)
  } finally {
    await rm(tmp, { force: true })
  }
  // The new name itself is durable once the directory is.
  const d = await open(dirname(path), 'r')
  try {
    await d.sync()
  } finally {
    await d.close()
  }
}
