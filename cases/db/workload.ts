/**
 * The original DB performance test's workload: N activity documents (user_0..99, session_0..49, status
 * active|inactive|pending, one a minute going back from a fixed time), its five indexes (schema.ts), and
 * generators of its six queries with random parameters. Seeded, so every run asks the same questions.
 */
import { errors, isLucidError } from '../../services/common/errors.ts'
import type { Rng } from '../../services/common/rng.ts'
import { type Activity, type Database, openDatabase } from '../../services/db/index.ts'
import { type Standin, startStandin } from '../../testing/mongo-standin.ts'

/** The original test's statuses. */
export const STATUSES = ['active', 'inactive', 'pending'] as const
/** The newest document's timestamp; document i is i minutes older. */
export const T0 = Date.UTC(2026, 0, 1)
const MINUTE = 60_000

/** Document number `i` of the workload. */
export function activityDoc(i: number, rng: Rng): Activity {
  return {
    activity_id: `doc_${i}`,
    user_id: `user_${i % 100}`,
    session_id: `session_${i % 50}`,
    status: STATUSES[rng.int(0, 2)] as string,
    timestamp: T0 - i * MINUTE,
    data: { value: rng.int(0, 1_000_000) }
  }
}

/** Inserts documents [from, to) in atomic batches of 1000, reporting progress. */
export async function seed(db: Database, rng: Rng, from: number, to: number, progress?: (done: number) => void): Promise<void> {
  const BATCH = 1000
  for (let i = from; i < to; i += BATCH) {
    const docs: Activity[] = []
    for (let j = i; j < Math.min(to, i + BATCH); j++) docs.push(activityDoc(j, rng))
    await db.activity.insertMany(docs)
    progress?.(Math.min(to, i + BATCH))
  }
}

/** One query of the workload against a database of `docs` documents; resolves to the rows it returned. */
export type Query = (db: Database, rng: Rng, docs: number) => Promise<number>

const randomUser = (rng: Rng): string => `user_${rng.int(0, 99)}`

/**
 * The six queries. At the original's 1000 documents "by user", "by session" and "by status" return
 * every match as the original did (10, 20 and ~333 rows); past that they return the first `cap` rows
 * (an unbounded "by status" at 1M documents would return a third of the collection).
 */
export function queries(cap: number): Record<string, Query> {
  return {
    by_user: async (db, rng) => (await db.activity.byUser(randomUser(rng), { limit: cap })).length,
    by_session: async (db, rng) => (await db.activity.bySession(`session_${rng.int(0, 49)}`, { limit: cap })).length,
    by_status: async (db, rng) => (await db.activity.byStatus(STATUSES[rng.int(0, 2)] as string, { limit: cap })).length,
    time_range: async (db, rng, docs) => {
      // A one-hour window somewhere in the data, limit 100 as the original.
      const end = T0 - rng.int(0, Math.max(0, docs - 60)) * MINUTE
      return (await db.activity.timeRange({ since: end - 60 * MINUTE, until: end, limit: 100 })).length
    },
    group_by_status: async (db, rng) => Object.keys(await db.activity.countByStatusForUser(randomUser(rng))).length,
    complex: async (db, rng, docs) => {
      const since = T0 - rng.int(0, docs) * MINUTE
      return (await db.activity.recentForUser(randomUser(rng), ['active', 'pending'], since, { limit: 50 })).length
    }
  }
}

/** The database a case measures, and how to dispose of it. */
export interface BenchDb {
  readonly db: Database
  dispose(): Promise<void>
}

/**
 * Opens the backend named by LUCID_BENCH_DB: `level` (default, in `dir`), `mongodb` (MONGODB_URI or
 * mongodb-memory-server; undefined when neither is there, so the case can report itself skipped), or
 * `jongodb` (the wire-compatible stand-in: exercises the driver path; its figures are not MongoDB's).
 */
export async function openBenchDb(dir: string): Promise<BenchDb | { skipped: string }> {
  const which = process.env.LUCID_BENCH_DB ?? 'level'
  if (which === 'level') {
    const db = await openDatabase({ backend: 'level', path: dir })
    return {
      db,
      dispose: async () => {
        await db.close()
      }
    }
  }
  if (which !== 'mongodb' && which !== 'jongodb') throw new errors.BadValue(`LUCID_BENCH_DB=${which} (level, mongodb or jongodb)`)
  let standin: Standin | undefined
  try {
    if (which === 'jongodb') standin = await startStandin()
    const db = await openDatabase({
      backend: 'mongodb',
      poolSize: 100,
      dbName: `lucid_bench_${process.pid}`,
      ...(standin !== undefined ? { uri: standin.uri } : {})
    })
    return {
      db,
      dispose: async () => {
        await db.close()
        await standin?.stop()
      }
    }
  } catch (err) {
    await standin?.stop()
    if (isLucidError(err, 'LUCID_ERR_4008') || isLucidError(err, 'LUCID_ERR_4005')) return { skipped: err.message }
    throw err
  }
}
