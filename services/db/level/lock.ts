/**
 * One process per LevelDB directory. LevelDB already refuses a second opener (its LOCK file), but says
 * only "lock held"; beside the database we keep `lucid-db.pid` naming the holder, so the second opener
 * gets LUCID_ERR_4007 saying which process holds the directory rather than a stack trace.
 */
import { hostname } from 'node:os'
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { errors } from '../../common/errors.ts'

/** The holder file's name inside the data directory. */
export const PID_FILE = 'lucid-db.pid'

interface Holder {
  pid: number
  host: string
  since: string
  command: string
}

/** An open LevelDB and how to let go of its directory. */
export interface Exclusive {
  readonly db: ClassicLevel<string, string>
  /** Closes the database and removes the holder file (if it is still ours). */
  release(): Promise<void>
}

/** Opens the LevelDB at `path` (creating it), or throws LUCID_ERR_4007 naming the process holding it. */
export async function openExclusive(path: string): Promise<Exclusive> {
  try {
    await mkdir(path, { recursive: true })
  } catch (err) {
    throw new errors.DatabaseUnreachable(`cannot create the data directory ${path}: ${(err as Error).message}`, { cause: err })
  }
  const db = new ClassicLevel<string, string>(path, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  try {
    await db.open()
  } catch (err) {
    if (isLocked(err)) throw new errors.DatabaseLocked(`${path} is held by ${await describeHolder(path)}`)
    throw new errors.DatabaseUnreachable(`cannot open LevelDB at ${path}: ${(err as Error).message}`, { cause: err })
  }
  const pidPath = join(path, PID_FILE)
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: process.argv.slice(1, 3).join(' ') }
  await writeFile(pidPath, JSON.stringify(me) + '\n')
  return {
    db,
    async release() {
      await db.close()
      // Remove the holder file only if it still names us (never another process's).
      const current = await readHolder(path)
      if (current?.pid === me.pid && current.since === me.since) await unlink(pidPath).catch(() => {})
    }
  }
}

function isLocked(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e !== undefined && e !== null; e = e.cause as typeof e) {
    if (e.code === 'LEVEL_LOCKED') return true
  }
  return false
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const h = JSON.parse(await readFile(join(path, PID_FILE), 'utf8')) as Partial<Holder>
    return typeof h.pid === 'number' ? (h as Holder) : undefined
  } catch {
    return undefined
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function describeHolder(path: string): Promise<string> {
  const h = await readHolder(path)
  if (h === undefined) return `another process (no ${PID_FILE}: not opened through Lucid)`
  if (h.pid === process.pid && h.host === hostname()) return `this process (pid ${h.pid}): open the database once and share it`
  const state = h.host !== hostname() ? 'on another host' : alive(h.pid) ? 'running' : 'no longer running; LevelDB still reports the lock'
  return `process ${h.pid} on ${h.host} (${h.command}, since ${h.since}, ${state})`
}
