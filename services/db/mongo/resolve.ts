/**
 * Which MongoDB server to use, in order: an explicit URI (option, else the MONGODB_URI environment
 * variable: an existing server, replica set or sharded cluster, which is how a deployment grows past one
 * machine); else a throw-away replica set from mongodb-memory-server when it can obtain a `mongod` binary
 * (already cached, MONGOMS_SYSTEM_BINARY, or downloaded within a bounded time); else LUCID_ERR_4008
 * naming both ways out.
 */
import { errors } from '../../common/errors.ts'

/** A server to connect to, and how to stop it when we started it. */
export interface ResolvedServer {
  readonly uri: string
  /** `uri` (the option), `env` (MONGODB_URI) or `memory-server`. */
  readonly source: 'uri' | 'env' | 'memory-server'
  stop?(): Promise<void>
}

/** Options of the resolution. */
export interface ResolveOptions {
  readonly uri?: string
  /** How long mongodb-memory-server may take to find or download a binary and start (default 10 s). */
  readonly memoryServerTimeoutMs?: number
}

/** Resolves the server; see the module comment for the order. */
export async function resolveServer(opts: ResolveOptions): Promise<ResolvedServer> {
  if (opts.uri !== undefined && opts.uri !== '') return { uri: opts.uri, source: 'uri' }
  const env = process.env.MONGODB_URI
  if (env !== undefined && env !== '') return { uri: env, source: 'env' }
  const limit = opts.memoryServerTimeoutMs ?? 10_000
  let why: string
  try {
    return await startMemoryServer(limit)
  } catch (err) {
    why = (err as Error).message.split('\n')[0] ?? String(err)
  }
  throw new errors.NoDatabaseServer(
    'set MONGODB_URI to a running MongoDB (a replica set, for transactions), or run where mongodb-memory-server can ' +
      `obtain a mongod binary (internet access, or MONGOMS_SYSTEM_BINARY=/path/to/mongod); mongodb-memory-server: ${why}`
  )
}

async function startMemoryServer(limitMs: number): Promise<ResolvedServer> {
  const { MongoMemoryReplSet } = await import('mongodb-memory-server-core')
  const starting = MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger' } })
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no mongod binary could be obtained and started within ${limitMs} ms`)), limitMs)
  })
  try {
    const rs = await Promise.race([starting, timeout])
    return {
      uri: rs.getUri(),
      source: 'memory-server',
      stop: async () => {
        await rs.stop()
      }
    }
  } catch (err) {
    // If it does start after we gave up, do not leave a mongod behind.
    starting.then(
      async (rs) => {
        await rs.stop()
      },
      () => {}
    )
    throw err
  } finally {
    clearTimeout(timer)
  }
}
