/**
 * `lucid db seed --docs N [--data DIR]` and `lucid db stats [--data DIR]` on the LevelDB backend.
 * Seeding writes the original DB test's activity documents (cases/db/workload.ts), continuing
 * after what the directory already holds, so running it twice adds documents rather than clashing.
 */
import { resolve } from 'node:path'
import { errors } from '../../../services/common/errors.ts'
import { createRng } from '../../../services/common/rng.ts'
import { openDatabase } from '../../../services/db/index.ts'
import { seed } from '../../../cases/db/workload.ts'

const USAGE = 'lucid db seed --docs N [--data DIR] | lucid db stats [--data DIR]'
const DEFAULT_DATA = '.lucid-data'

interface Flags {
  docs?: number
  data: string
}

function parseFlags(args: readonly string[], allowDocs: boolean): Flags {
  const flags: Flags = { data: DEFAULT_DATA }
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    const value = inline ?? args[++i]
    if (name === '--data') {
      if (value === undefined || value === '') throw new errors.BadValue('--data: a directory')
      flags.data = value
    } else if (name === '--docs' && allowDocs) {
      const n = Number(value)
      if (value === undefined || !Number.isSafeInteger(n) || n < 1) throw new errors.BadValue(`--docs: a positive integer, not ${value ?? 'nothing'}`)
      flags.docs = n
    } else {
      throw new errors.Usage(`unknown option ${a}: ${USAGE}`)
    }
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
  if (sub !== 'seed' && sub !== 'stats') throw new errors.Usage(USAGE)
  const flags = parseFlags(rest, sub === 'seed')
  const path = resolve(flags.data)
  const db = await openDatabase({ backend: 'level', path })
  try {
    if (sub === 'seed') {
      if (flags.docs === undefined) throw new errors.Usage(`seed needs --docs N: ${USAGE}`)
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
