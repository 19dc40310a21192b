/**
 * Shared fixtures of the db tests: open a database of each backend in a throw-away place, and remove it
 * afterwards (temp directory, stand-in process, or test database on a real server).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import { type Database, openDatabase } from '../../services/db/index.ts'
import { startStandin } from '../../testing/mongo-standin.ts'

/** An opened test database and how to dispose of everything it used. */
export interface Fixture {
  readonly db: Database
  dispose(): Promise<void>
}

/** A fresh temp directory; remove it with `rm(dir, { recursive: true, force: true })`. */
export async function tempDir(): Promise<string> {
  return await mkdtemp(join(tmpdir(), 'lucid-db-test-'))
}

/** A LevelDB database in a fresh temp directory (`cache: false`: without its read caches). */
export async function levelFixture(opts: { readonly cache?: boolean } = {}): Promise<Fixture> {
  const dir = await tempDir()
  const db = await openDatabase({ backend: 'level', path: dir, ...opts })
  return {
    db,
    async dispose() {
      await db.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/**
 * A MongoDB database: on MONGODB_URI when set (a fresh database on it, dropped afterwards), else on a
 * jongodb stand-in started for the occasion and killed afterwards.
 */
export async function mongoFixture(): Promise<Fixture> {
  const env = process.env.MONGODB_URI
  if (env !== undefined && env !== '') {
    const dbName = `lucid_test_${process.pid}_${Date.now()}`
    const db = await openDatabase({ backend: 'mongodb', uri: env, dbName })
    return {
      db,
      async dispose() {
        await db.close()
        const c = new MongoClient(env, { serverSelectionTimeoutMS: 5000 })
        try {
          await c.db(dbName).dropDatabase()
        } finally {
          await c.close()
        }
      }
    }
  }
  const standin = await startStandin()
  try {
    const db = await openDatabase({ backend: 'mongodb', uri: standin.uri, dbName: 'lucid_test' })
    return {
      db,
      async dispose() {
        await db.close()
        await standin.stop()
      }
    }
  } catch (err) {
    await standin.stop()
    throw err
  }
}

/** The backends the conformance suite runs against. */
export const BACKENDS: ReadonlyArray<{ name: string; open: () => Promise<Fixture> }> = [
  { name: 'level', open: levelFixture },
  { name: 'mongodb', open: mongoFixture }
]

/** Awaits `p` and returns the LUCID_ERR code it rejected with (fails when it resolves). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    return String((err as { code?: unknown }).code)
  }
  throw new Error('expected a rejection')
}
