/**
 * The traffic the faults suite kills the server under: one worker per demo user, each with at most one
 * request in flight per session (so "in flight at the kill" names exactly one write), mixing session
 * creation, chunk uploads (1-48 KiB, half compressible, sent with their SHA-256 and expected index),
 * finalisations (which submit the session's chain anchor), public data anchors and anchor look-ups.
 * Every acknowledgement goes into the ledger as it arrives; a write whose answer never came is in doubt.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Rng } from '../../services/common/rng.ts'
import { call, sha256, type Ledger, type SessionRecord } from './ledger.ts'
import { errorCodeOf } from '../../services/gateway/client.ts'

/** Something the orchestrator wants done next, and told when it has been sent. */
export interface Forced {
  readonly kind: 'create' | 'finalise'
  readonly sent: () => void
}

/** A worker pool running until stopped. */
export interface Workload {
  /** Asks a worker to send this write next; `sent` is called as the request leaves. */
  force(f: Forced): void
  /** Stops starting requests; resolves when every worker's loop ended (requests in flight fail at the kill). */
  stop(): void
  readonly done: Promise<void>
  /** Answers no kill explains: status codes and error codes, counted. */
  readonly unexpected: Map<string, number>
  /** Writes acknowledged during this workload. */
  acks: number
}

const OPEN_PER_USER = 2

function chunkBytes(rng: Rng): Buffer {
  const size = rng.int(1024, 48 * 1024)
  const b = Buffer.alloc(size)
  rng.fill(b.subarray(0, size >> 1))
  // The other half repeats a short pattern: gzip has something to do, as with a real screen.
  for (let i = size >> 1; i < size; i++) b[i] = (i * 7) & 0x3f
  return b
}

/** The workers' shared state and their requests; one `loop` per user. */
class Workers {
  stopped = false
  readonly forced: Forced[] = []
  readonly unexpected = new Map<string, number>()
  acks = 0

  constructor(
    private readonly base: string,
    private readonly ledger: Ledger,
    private readonly rng: Rng
  ) {}

  /** Counts an answer no kill explains. */
  note(what: string, a: { status: number; parsed: unknown }): void {
    const key = `${what} ${a.status} ${String(errorCodeOf(a.parsed) ?? '')}`.trim()
    this.unexpected.set(key, (this.unexpected.get(key) ?? 0) + 1)
  }

  /** The user's sessions still open for chunks. */
  open(user: string): SessionRecord[] {
    return [...this.ledger.sessions.values()].filter((s) => s.user === user && s.finalised === undefined && !s.lostCounted)
  }

  async create(user: string, token: string, onSent?: () => void): Promise<void> {
    const p = call(this.base, 'POST', '/sessions', { token, json: { session_type: 'rdp', duration_minutes: 30 } })
    onSent?.()
    const a = await p
    if (a.status !== 201) {
      this.note('POST /sessions', a)
      return
    }
    this.ledger.addSession(a.json.session_id as string, user)
    this.acks++
  }

  async upload(s: SessionRecord, token: string): Promise<void> {
    const data = chunkBytes(this.rng)
    const rec = { sha256: sha256(data), size: data.length }
    const index = s.chunks.length
    s.inDoubt = rec
    const a = await call(this.base, 'POST', `/sessions/${s.id}/chunks?chunk_index=${index}&sha256=${rec.sha256}`, { token, body: data })
    s.inDoubt = undefined
    if (a.status !== 201) {
      this.note('POST chunks', a)
      return
    }
    if (a.json.chunk_index !== index) {
      this.note(`POST chunks index ${String(a.json.chunk_index)} for ${index}`, a)
      return
    }
    s.chunks.push(rec)
    this.acks++
  }

  async finalise(s: SessionRecord, token: string, onSent?: () => void): Promise<void> {
    s.finaliseInDoubt = true
    const p = call(this.base, 'POST', `/sessions/${s.id}/finalize`, { token })
    onSent?.()
    const a = await p
    s.finaliseInDoubt = false
    if (a.status !== 200) {
      this.note('POST finalize', a)
      return
    }
    s.finalised = { merkle_root: a.json.merkle_root as string, chunk_count: a.json.chunk_count as number }
    this.acks++
  }

  /** Follows a finalised session's anchor; records its block once final. */
  async followAnchor(s: SessionRecord, token: string): Promise<void> {
    const a = await call(this.base, 'GET', `/sessions/${s.id}/anchor`, { token })
    if (a.status !== 200) {
      if (a.status !== 404) this.note('GET anchor', a)
      return
    }
    if (a.json.status === 'final' && s.anchor === undefined) {
      s.anchor = { block_height: a.json.block_height as number, hash: a.json.block_hash as string }
      this.acks++
    }
    // Pending transactions do not survive a restart (docs/gateway.md): submit such an anchor again.
    if (a.json.status === 'rejected') {
      const r = await call(this.base, 'POST', '/anchoring/session', { token, json: { session_id: s.id, merkle_root: s.finalised!.merkle_root } })
      if (r.status !== 202) this.note('POST /anchoring/session', r)
    }
  }

  /** One request of the user's choosing (or the one forced on it). */
  async step(user: string, token: string): Promise<void> {
    const { rng } = this
    const f = this.forced.shift()
    const mine = this.open(user)
    if (f?.kind === 'create') {
      await this.create(user, token, f.sent)
      return
    }
    const withChunks = mine.filter((s) => s.chunks.length > 0)
    if (f?.kind === 'finalise') {
      if (withChunks.length > 0) {
        await this.finalise(withChunks[0]!, token, f.sent)
        return
      }
      this.forced.unshift(f) // nothing to finalise yet: upload first, finalise on a later turn
    }
    const r = rng.next()
    if (mine.length < OPEN_PER_USER) await this.create(user, token)
    else if (r < 0.1 && withChunks.length > 0) await this.finalise(withChunks[rng.int(0, withChunks.length - 1)]!, token)
    else if (r < 0.16) {
      const a = await call(this.base, 'POST', '/chain/anchor', { json: { session_id: `chaos-${user}`, data_hash: String(rng.next()) } })
      if (a.status !== 201) this.note('POST /chain/anchor', a)
    } else if (r < 0.24) {
      const done = [...this.ledger.sessions.values()].filter((s) => s.user === user && s.finalised !== undefined && s.anchor === undefined)
      if (done.length > 0) await this.followAnchor(done[rng.int(0, done.length - 1)]!, token)
    } else await this.upload(mine[rng.int(0, mine.length - 1)]!, token)
  }

  async loop(user: string, token: string): Promise<void> {
    while (!this.stopped) {
      // A short pause between requests: writes are in flight at any instant, while the ledger (and the
      // playback that checks it) stays a size a quick run can verify in seconds.
      await sleep(this.rng.int(0, 25))
      if (this.stopped) break
      try {
        await this.step(user, token)
      } catch {
        // A connection error: the server was killed under this request. The write stays in doubt.
        return
      }
    }
  }
}

/** Starts the workers against `base`. */
export function startWorkload(base: string, tokens: ReadonlyMap<string, string>, ledger: Ledger, rng: Rng): Workload {
  const workers = new Workers(base, ledger, rng)
  const done = Promise.all(
    [...tokens].map(async ([user, token]) => {
      await workers.loop(user, token)
    })
  ).then(() => undefined)
  return {
    force: (f) => {
      workers.forced.push(f)
    },
    stop: () => {
      workers.stopped = true
    },
    done,
    unexpected: workers.unexpected,
    get acks() {
      return workers.acks
    }
  }
}
