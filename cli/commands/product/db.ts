/**
 * `lucid db seed --docs N [--data DIR]` and `lucid db stats [--data DIR]` on the LevelDB backend, in DIR/db as
 * `lucid serve --data DIR` keeps it (one data layout for every command).
 * Seeding writes the original DB test's activity documents (cases/db/workload.ts), continuing
 * after what the directory already holds, so running it twice adds documents rather than clashing.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseFlags } from '../../args.ts'
import { errors } from '../../../services/common/errors.ts'
import { createRng } from '../../../services/common/rng.ts'
import { openDatabase } from '../../../services/db/index.ts'
import { seed } from '../../../cases/db/workload.ts'

const USAGE = `lucid db seed --docs N [--data DIR] | lucid db stats [--data DIR]

The LevelDB database of a data directory: the one 'lucid serve --data DIR' uses, DIR/db (default .lucid-data).
  seed --docs N   add N activity documents of the original DB test's workload (continuing after those held)
  stats           documents per collection and size on disk; never creates a database (exit 2 when none)
A directory held by a running 'lucid serve' is refused (exit 2, LUCID_ERR_4007, naming the holder's pid):
stop it first, LevelDB has one writer.`
const DEFAULT_DATA = '.lucid-data'
/** The database inside a data directory, as `lucid serve --data DIR` lays it out (services/gateway/server.ts). */
const DB_DIR = 'db'

interface Flags {
  docs?: number
  data: string
}

function parseDbFlags(args: readonly string[], sub: 'seed' | 'stats'): Flags {
  const { values } = parseFlags(args, `db ${sub}`, {
    options: { data: { type: 'string' }, ...(sub === 'seed' ? { docs: { type: 'string' } } : {}) }
  })
  const flags: Flags = { data: DEFAULT_DATA }
  const data = values.data
  if (data !== undefined) {
    if (typeof data !== 'string' || data === '') throw new errors.BadValue('--data: a directory')
    flags.data = data
  }
  const docs = (values as { docs?: string | boolean }).docs
  if (docs !== undefined) {
    const n = Number(docs)
    if (typeof docs !== 'string' || !Number.isSafeInteger(n) || n < 1) throw new errors.BadValue(`--docs: a positive integer, not ${String(docs)}`)
    flags.docs = n
  }
  return flags
}

/** Human form of a byte count. */
function bytes(n: number): string {
  return n < 1024
    ? `${n} B`
    : n < 1024 ** 2
      ? `${(n / 1024).toFixed(1)} KiB`
      : n < 1024 ** 3
        ? `${(n / 1024 ** 2).toFixed(1)} MiB`
        : `${(n / 1024 ** 3).toFixed(2)} GiB`
}

/**
 * Runs `lucid db ...` with the arguments after `db`; returns the exit code. Bad usage throws
 * LUCID_ERR_9001 / LUCID_ERR_9003 (the CLI prints one line and exits 2); database errors (for example
 * LUCID_ERR_4007 when another process holds the directory) propagate the same way.
 */
export async function dbCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === '--help' || sub === '-h' || sub === 'help' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  if (sub !== 'seed' && sub !== 'stats') throw new errors.Usage(`lucid db seed|stats (got '${sub ?? ''}'; lucid db --help)`)
  const flags = parseDbFlags(rest, sub)
  const path = resolve(flags.data, DB_DIR)
  // stats reads: it must not leave an empty database behind where none was (LevelDB's CURRENT file marks one).
  if (sub === 'stats' && !existsSync(join(path, 'CURRENT')))
    throw new errors.BadValue(`--data ${flags.data}: no database in ${path} (lucid serve --data ${flags.data} or lucid db seed creates it)`)
  if (sub === 'seed' && flags.docs === undefined) throw new errors.Usage('lucid db seed needs --docs N (lucid db --help)')
  const db = await openDatabase({ backend: 'level', path })
  try {
    if (sub === 'seed') {
      if (flags.docs === undefined) throw new errors.Usage('lucid db seed needs --docs N')
      const have = (await db.stats()).documents.activity ?? 0
      const started = performance.now()
      let last = started
      await seed(db, createRng(have + 1), have, have + flags.docs, (done) => {
        const now = performance.now()
        if (now - last > 2000) {
          process.stderr.write(`seeded ${done - have} of ${flags.docs}\n`)
          last = now
        }
      })
      const s = (performance.now() - started) / 1000
      process.stdout.write(
        `seeded ${flags.docs} documents into ${path} in ${s.toFixed(1)} s (${Math.round(flags.docs / s)} docs/s); activity now holds ${have + flags.docs}\n`
      )
    } else {
      const s = await db.stats()
      process.stdout.write(`${path} (${db.engine.description})\n`)
      for (const [name, n] of Object.entries(s.documents)) process.stdout.write(`  ${name.padEnd(14)} ${n}\n`)
      process.stdout.write(`  size on disk   ${s.sizeBytes !== undefined ? bytes(s.sizeBytes) : 'unknown'}\n`)
    }
    return 0
  } finally {
    await db.close()
  }
}
