/**
 * The base tree of `lucid compare --base REF`: the ref's commit checked out into a cache directory, with its
 * dependencies installed, ready for `node <tree>/bin/lucid.js bench ...`.
 *
 * The checkout is `git archive` of the commit unpacked into `<cache>/<commit>`: a plain copy of the tree that
 * leaves the repository untouched (no worktree registered in a `.git` other checkouts share, nothing to prune
 * when the cache is wiped). It is built under a temporary name and renamed when complete, so an interrupted
 * checkout is never reused, and kept for the next comparison against the same commit.
 *
 * Dependencies: when the commit's package-lock.json is byte-identical to the current tree's, its
 * node_modules is a symlink to the current tree's (same lockfile, same install); otherwise `npm ci` runs in the
 * base tree once, and the install is reused while that lockfile stays the same.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { errors } from '../services/common/errors.ts'

/** The root of the tree this code runs from (the head side of a comparison). */
export const HEAD_DIR = fileURLToPath(new URL('..', import.meta.url))

/** Where base trees are cached: `$LUCID_COMPARE_CACHE`, else `<tmpdir>/lucid-compare`. */
export function defaultCacheDir(): string {
  return process.env.LUCID_COMPARE_CACHE ?? join(tmpdir(), 'lucid-compare')
}

/** How the base tree's dependencies were provided. */
export type InstallKind = 'linked' | 'cached' | 'npm ci'

/** A prepared base tree. */
export interface BaseTree {
  ref: string
  commit: string
  dir: string
  /** Whether the checkout was reused from the cache. */
  reused: boolean
  install: InstallKind
}

/** The commit and state of a tree's git checkout (empty commit outside git). */
export interface HeadState {
  commit: string
  /** True when the working tree has uncommitted changes or untracked files (they are part of what is measured). */
  dirty: boolean
}

function git(repoDir: string, args: string[]): string {
  return execFileSync('git', args, { cwd: repoDir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 })
    .toString()
    .trim()
}

/** The head side's commit and whether it has uncommitted changes. */
export function headState(repoDir: string = HEAD_DIR): HeadState {
  try {
    return { commit: git(repoDir, ['rev-parse', 'HEAD']), dirty: git(repoDir, ['status', '--porcelain']) !== '' }
  } catch {
    return { commit: '', dirty: false }
  }
}

/** Resolves a ref to its commit; LUCID_ERR_9013 when git does not know it. */
export function resolveCommit(repoDir: string, ref: string): string {
  if (ref.startsWith('-')) throw new errors.BaseTreeUnavailable(`--base: '${ref}' is not a git ref`)
  try {
    return git(repoDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])
  } catch {
    throw new errors.BaseTreeUnavailable(`--base: '${ref}' is not a commit of the repository at ${repoDir}`)
  }
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')
const MARK = '.lucid-base-tree'
const INSTALL_MARK = '.lucid-install'

function checkout(repoDir: string, commit: string, dir: string): void {
  const tmp = `${dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  const archive = spawnSync('git', ['archive', '--format=tar', commit], { cwd: repoDir, maxBuffer: 1 << 30, timeout: 120_000 })
  if (archive.status !== 0) throw new errors.BaseTreeUnavailable(`git archive ${commit}: ${archive.stderr?.toString().trim() ?? archive.error?.message ?? ''}`)
  const untar = spawnSync('tar', ['-x', '-C', tmp], { input: archive.stdout, timeout: 120_000 })
  if (untar.status !== 0) throw new errors.BaseTreeUnavailable(`unpacking ${commit}: ${untar.stderr?.toString().trim() ?? untar.error?.message ?? ''}`)
  writeFileSync(join(tmp, MARK), `${commit}\n`)
  rmSync(dir, { recursive: true, force: true })
  renameSync(tmp, dir)
}

function install(dir: string, headDir: string, log: (line: string) => void): InstallKind {
  const lock = join(dir, 'package-lock.json')
  const headLock = join(headDir, 'package-lock.json')
  const modules = join(dir, 'node_modules')
  const isLink = lstatExists(modules) && lstatSync(modules).isSymbolicLink()
  if (existsSync(lock) && existsSync(headLock) && existsSync(join(headDir, 'node_modules')) && readFileSync(lock).equals(readFileSync(headLock))) {
    if (isLink || !existsSync(modules)) {
      rmSync(modules, { force: true })
      symlinkSync(join(headDir, 'node_modules'), modules, 'dir')
      return 'linked'
    }
    return 'cached' // an earlier npm ci of the same lockfile
  }
  if (!existsSync(lock)) throw new errors.BaseTreeUnavailable(`${dir} has no package-lock.json to install from`)
  const want = sha256(lock)
  const markFile = join(dir, INSTALL_MARK)
  if (!isLink && existsSync(modules) && existsSync(markFile) && readFileSync(markFile, 'utf8').trim() === want) return 'cached'
  if (isLink) rmSync(modules, { force: true })
  log('base tree: its package-lock.json differs from this tree`s; running npm ci there (once per lockfile)')
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_800_000 })
  if (r.status !== 0) {
    const tail = (r.stderr?.toString() ?? r.error?.message ?? '').trim().split('\n').slice(-3).join(' | ')
    throw new errors.BaseTreeUnavailable(`npm ci in ${dir} failed: ${tail}`)
  }
  writeFileSync(markFile, `${want}\n`)
  return 'npm ci'
}

function lstatExists(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

/**
 * Checks `ref` out into `<cacheDir>/<commit>` (reusing a complete earlier checkout) and provides its
 * dependencies. Throws LUCID_ERR_9013 when the ref is unknown or the checkout or install fails.
 */
export function prepareBaseTree(opts: { ref: string; repoDir?: string; cacheDir?: string; log?: (line: string) => void }): BaseTree {
  const repoDir = opts.repoDir ?? HEAD_DIR
  const log = opts.log ?? (() => {})
  const commit = resolveCommit(repoDir, opts.ref)
  const dir = join(opts.cacheDir ?? defaultCacheDir(), commit)
  const markFile = join(dir, MARK)
  const reused = existsSync(markFile) && readFileSync(markFile, 'utf8').trim() === commit
  if (!reused) {
    log(`base tree: checking out ${opts.ref} (${commit.slice(0, 12)}) into ${dir}`)
    mkdirSync(opts.cacheDir ?? defaultCacheDir(), { recursive: true })
    checkout(repoDir, commit, dir)
  }
  if (!existsSync(join(dir, 'bin', 'lucid.js'))) throw new errors.BaseTreeUnavailable(`${opts.ref} (${commit.slice(0, 12)}) has no bin/lucid.js`)
  const kind = install(dir, repoDir, log)
  return { ref: opts.ref, commit, dir, reused, install: kind }
}
