/**
 * Run-level fixtures: built once per `lucid bench` run in the shared directory, reused by every case that
 * needs the same thing. Built under a temporary name and renamed when complete, so a crash mid-build leaves
 * no half-made fixture for the next case to trust.
 */
import { cp, mkdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Returns the path of fixture `name` in `sharedDir`, building it with `build(dir)` first if no case of this
 * run has yet. `name` should carry a version of what the builder makes.
 */
export async function sharedFixture(sharedDir: string, name: string, build: (dir: string) => Promise<void>): Promise<string> {
  const final = join(sharedDir, name)
  if (await exists(final)) return final
  const partial = join(sharedDir, `${name}.partial-${process.pid}`)
  await rm(partial, { recursive: true, force: true })
  await mkdir(partial, { recursive: true })
  await build(partial)
  await rename(partial, final)
  return final
}

/** Copies a fixture directory to `dest` (a case that writes must not change the shared copy). */
export async function copyFixture(src: string, dest: string): Promise<string> {
  await cp(src, dest, { recursive: true })
  return dest
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch {
    return false
  }
}
