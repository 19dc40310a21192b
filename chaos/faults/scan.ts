/**
 * What the faults suite checks in the data directory itself while the server is down (between a kill and
 * the next start), beneath the HTTP API:
 *
 * - every stored chunk envelope's (key, nonce): the key of a chunk is HKDF(master, salt, session id)
 *   (docs/envelope.md), so (session id, salt) names the key; a (key, nonce) pair seen with two different
 *   envelopes, in this scan or any earlier one of the run, is a GCM nonce reuse;
 * - the database against the chunk store: per session, the chunk documents are exactly the prefix
 *   0..chunk_count-1 (one atomic batch writes a chunk document with its count), each one's file exists
 *   with the recorded size and SHA-256, a finalised session has its manifest with the same Merkle root,
 *   and the maintained counts by status equal the documents (a half-applied batch would break one of these).
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { openDatabase, type Session } from '../../services/db/index.ts'

/** Envelope layout (docs/envelope.md): salt at 24..56, nonce at 56..68, sid_len at 68, session id after. */
const SALT = [24, 56] as const
const NONCE = [56, 68] as const
const SID_LEN = 68
const HEADER_FIXED = 70
const MAGIC = 'LUCS'

/** Remembers every (key, nonce) seen over a run, with the envelope it sealed. */
export class NonceRegistry {
  readonly #seen = new Map<string, string>()
  /** Envelopes scanned, in total over the run (the same file scanned twice counts twice). */
  scanned = 0
  /** Pairs that sealed two different envelopes. */
  readonly collisions: string[] = []

  /** Scans every chunk file under `sessionsRoot`; returns the new collisions. */
  async scan(sessionsRoot: string): Promise<string[]> {
    const found: string[] = []
    for (const sid of await listDir(sessionsRoot)) {
      const dir = join(sessionsRoot, sid, 'chunks')
      for (const name of await listDir(dir)) {
        if (!name.endsWith('.lsc')) continue
        const bytes = await readFile(join(dir, name)).catch(() => undefined)
        if (bytes === undefined) continue
        this.scanned++
        const e = parseEnvelopeKeyNonce(bytes)
        if (e === undefined) {
          found.push(`malformed envelope ${sid}/chunks/${name}`)
          continue
        }
        const pair = `${e.sessionId}:${e.salt}:${e.nonce}`
        const digest = createHash('sha256').update(bytes).digest('hex')
        const before = this.#seen.get(pair)
        if (before === undefined) this.#seen.set(pair, digest)
        else if (before !== digest)
          found.push(`nonce ${e.nonce} reused under key (session ${e.sessionId}, salt ${e.salt.slice(0, 16)}…) by ${sid}/chunks/${name}`)
      }
    }
    this.collisions.push(...found)
    return found
  }

  /** Distinct (key, nonce) pairs seen. */
  get pairs(): number {
    return this.#seen.size
  }
}

/** The key-naming fields of an envelope, or undefined when it is not one. */
export function parseEnvelopeKeyNonce(b: Uint8Array): { sessionId: string; salt: string; nonce: string } | undefined {
  if (b.length < HEADER_FIXED + 16 || Buffer.from(b.subarray(0, 4)).toString('latin1') !== MAGIC) return undefined
  const len = (b[SID_LEN]! << 8) | b[SID_LEN + 1]!
  if (len < 1 || b.length < HEADER_FIXED + len + 16) return undefined
  return {
    sessionId: Buffer.from(b.subarray(HEADER_FIXED, HEADER_FIXED + len)).toString('utf8'),
    salt: Buffer.from(b.subarray(SALT[0], SALT[1])).toString('hex'),
    nonce: Buffer.from(b.subarray(NONCE[0], NONCE[1])).toString('hex')
  }
}

/** What the offline consistency check found. */
export interface StoreCheck {
  sessions: number
  chunkDocuments: number
  /** One line per inconsistency (a torn or half-applied record). */
  torn: string[]
  /** Temporary files of interrupted writes (resume removes them; not an inconsistency). */
  strayTemps: number
  /** Chunk files without a document (written, never acknowledged; resume deletes them). */
  orphanChunks: number
}

/** Checks the database at `dataDir/db` against the recordings in `dataDir/sessions` (server stopped). */
export async function checkStore(dataDir: string): Promise<StoreCheck> {
  const out: StoreCheck = { sessions: 0, chunkDocuments: 0, torn: [], strayTemps: 0, orphanChunks: 0 }
  const db = await openDatabase({ backend: 'level', path: join(dataDir, 'db') })
  try {
    const byStatus = new Map<string, Session[]>()
    for (const status of ['recording', 'finalised']) byStatus.set(status, await db.sessions.byStatus(status, { limit: 10_000 }))
    const counts = await db.sessions.countByStatus()
    for (const [status, docs] of byStatus) {
      if ((counts[status] ?? 0) !== docs.length) out.torn.push(`sessions counted ${status}: ${counts[status] ?? 0}, documents: ${docs.length}`)
    }
    for (const status of Object.keys(counts)) if (!byStatus.has(status)) out.torn.push(`sessions counted under unknown status ${status}`)
    for (const s of [...byStatus.values()].flat()) {
      out.sessions++
      const dir = join(dataDir, 'sessions', s.session_id)
      const docs = await db.chunks.bySession(s.session_id, { limit: 10_000 })
      out.chunkDocuments += docs.length
      if (docs.length !== s.chunk_count) out.torn.push(`session ${s.session_id}: chunk_count ${s.chunk_count}, chunk documents ${docs.length}`)
      const files = new Set((await listDir(join(dir, 'chunks'))).filter((n) => n.endsWith('.lsc')))
      out.strayTemps +=
        (await listDir(join(dir, 'chunks'))).filter((n) => n.endsWith('.tmp')).length + (await listDir(dir)).filter((n) => n.endsWith('.tmp')).length
      docs.forEach((d, i) => {
        if (d.idx !== i) out.torn.push(`session ${s.session_id}: chunk document ${i} has idx ${d.idx}`)
      })
      for (const d of docs) {
        const name = `${String(d.idx).padStart(12, '0')}.lsc`
        files.delete(name)
        const bytes = await readFile(join(dir, 'chunks', name)).catch(() => undefined)
        if (bytes === undefined) {
          out.torn.push(`session ${s.session_id}: chunk ${d.idx} has a document but no file`)
          continue
        }
        const sha = createHash('sha256').update(bytes).digest('hex')
        if (bytes.length !== d.size_bytes || sha !== d.ciphertext_sha256)
          out.torn.push(
            `session ${s.session_id}: chunk ${d.idx} file differs from its document (${bytes.length} B ${sha.slice(0, 12)} vs ${d.size_bytes} B ${d.ciphertext_sha256.slice(0, 12)})`
          )
      }
      out.orphanChunks += files.size
      if (s.status === 'finalised') {
        const raw = await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => undefined)
        const m = raw === undefined ? undefined : (JSON.parse(raw) as { merkle_root?: string; chunk_count?: number })
        if (m === undefined) out.torn.push(`session ${s.session_id}: finalised without manifest.json`)
        else if (m.merkle_root !== s.merkle_root || m.chunk_count !== s.chunk_count)
          out.torn.push(
            `session ${s.session_id}: manifest (${m.chunk_count} chunks, root ${String(m.merkle_root).slice(0, 12)}) differs from its document (${s.chunk_count}, ${String(s.merkle_root).slice(0, 12)})`
          )
      }
    }
  } finally {
    await db.close()
  }
  return out
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}
