/**
 * The faults suite's ledger: what the server acknowledged (sessions created, chunks stored with the
 * SHA-256 of their bytes, finalisations with their Merkle root, final blocks and final anchors), what was
 * in flight when it was killed (in doubt: may or may not have happened, but if it did, it must be whole),
 * and the checks that every acknowledged write is still there after a restart.
 *
 * Why "in doubt" is kept: a chunk whose answer never came may have been committed an instant before the
 * kill. The server then holds one chunk more than was acknowledged; that is correct, and the extra chunk
 * must be exactly the bytes that were sent (a different or damaged chunk would be a torn record).
 */
import { createHash } from 'node:crypto'
import { errorCodeOf, gatewayCall, type GatewayAnswer } from '../../services/gateway/client.ts'

/** A chunk as the client sent it. */
export interface ChunkRecord {
  readonly sha256: string
  readonly size: number
}

/** One session of the ledger. */
export interface SessionRecord {
  readonly id: string
  readonly user: string
  /** Acknowledged chunks, by index. */
  readonly chunks: ChunkRecord[]
  /** Sent as chunk `chunks.length`, never answered. */
  inDoubt: ChunkRecord | undefined
  /** The acknowledged finalisation. */
  finalised: { merkle_root: string; chunk_count: number } | undefined
  /** A finalisation sent and never answered. */
  finaliseInDoubt: boolean
  /** The anchor's block once the server reported it final. */
  anchor: { block_height: number; hash: string } | undefined
  /** Chunks already verified by playback (a finalised session is immutable). */
  played: number
  /** Lost writes already counted, so that one loss is counted once. */
  lostCounted: boolean
}

/** One HTTP answer (services/gateway/client.ts). */
export type Answer = GatewayAnswer

/** A request against the server under test; throws on a connection error (the server is gone). */
export async function call(base: string, method: string, path: string, o: { token?: string; json?: unknown; body?: Buffer } = {}): Promise<Answer> {
  return await gatewayCall(base, method, path, {
    ...o,
    ...(o.body !== undefined ? { headers: { 'content-type': 'application/octet-stream' } } : {}),
    timeoutMs: 30_000
  })
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Logs `users` in with `password`; their access tokens by name (throws unless every login answers 200). */
export async function loginAll(base: string, users: readonly string[], password: string): Promise<Map<string, string>> {
  const tokens = new Map<string, string>()
  for (const u of users) {
    const a = await call(base, 'POST', '/auth/login', { json: { username: u, password } })
    if (a.status !== 200) throw new Error(`login ${u}: ${a.status}`)
    tokens.set(u, a.json.token as string)
  }
  return tokens
}

/** What one verification pass found. */
export interface VerifyReport {
  /** Acknowledged writes checked in this pass. */
  checked: number
  /** Acknowledged writes missing or changed (each counted once over the run). */
  lost: string[]
  /** Records present but not whole: playback refused, bytes or counts differing. */
  torn: string[]
}

/** The ledger of a run. */
export class Ledger {
  readonly sessions = new Map<string, SessionRecord>()
  /** Final blocks the server reported, height -> hash. */
  readonly finalBlocks = new Map<number, string>()
  /** Final blocks reported and later gone or changed (each dropped from finalBlocks once counted). */
  revertedCount = 0
  /** The highest final height a client was told (the chain may not be final below it after a restart). */
  finalHeightSeen = 0

  /** Acknowledged writes so far: sessions, chunks, finalisations, final anchors and final blocks. */
  get acknowledged(): number {
    let n = this.finalBlocks.size
    for (const s of this.sessions.values()) n += 1 + s.chunks.length + (s.finalised !== undefined ? 1 : 0) + (s.anchor !== undefined ? 1 : 0)
    return n
  }

  addSession(id: string, user: string): SessionRecord {
    const s: SessionRecord = {
      id,
      user,
      chunks: [],
      inDoubt: undefined,
      finalised: undefined,
      finaliseInDoubt: false,
      anchor: undefined,
      played: 0,
      lostCounted: false
    }
    this.sessions.set(id, s)
    return s
  }

  /**
   * After a restart: every acknowledged session, chunk count and finalisation is there; in-doubt writes are
   * resolved (kept when the server has them). Finalised sessions are played back chunk by chunk and each
   * plaintext's SHA-256 compared with the ledger's (`playAll`: every chunk of every session, otherwise the
   * chunks not yet verified plus those of `sample` random older sessions, so a long run stays linear).
   */
  async verifySessions(
    base: string,
    tokens: ReadonlyMap<string, string>,
    opts: { playAll: boolean; sample: number; rand: () => number }
  ): Promise<VerifyReport> {
    const rep: VerifyReport = { checked: 0, lost: [], torn: [] }
    const lose = (s: SessionRecord, why: string): void => {
      if (s.lostCounted) return
      s.lostCounted = true
      rep.lost.push(`session ${s.id}: ${why}`)
    }
    const finalised = [...this.sessions.values()].filter((s) => s.finalised !== undefined && s.played >= s.chunks.length)
    const resample = new Set<SessionRecord>()
    for (let i = 0; i < opts.sample && finalised.length > 0; i++) resample.add(finalised[Math.floor(opts.rand() * finalised.length)]!)
    for (const s of this.sessions.values()) {
      const token = tokens.get(s.user)!
      const st = await call(base, 'GET', `/sessions/${s.id}/status`, { token })
      rep.checked++
      if (st.status !== 200) {
        lose(s, `GET status answered ${st.status} for an acknowledged session`)
        continue
      }
      const count = st.json.chunk_count as number
      const status = st.json.status as string
      // Chunks: the acknowledged prefix must be there; one more only if that one was in flight.
      rep.checked += s.chunks.length
      if (count < s.chunks.length) lose(s, `${s.chunks.length} chunks acknowledged, ${count} present`)
      else if (count === s.chunks.length + 1 && s.inDoubt !== undefined) s.chunks.push(s.inDoubt)
      else if (count > s.chunks.length)
        rep.torn.push(`session ${s.id}: ${count} chunks present, ${s.chunks.length} acknowledged and ${s.inDoubt === undefined ? 'none' : 'one'} in flight`)
      s.inDoubt = undefined
      if (s.finalised !== undefined) {
        rep.checked++
        if (status !== 'finalised') lose(s, `finalisation acknowledged, status ${status}`)
        else if (st.json.merkle_root !== s.finalised.merkle_root)
          rep.torn.push(`session ${s.id}: merkle_root ${String(st.json.merkle_root)} after restart, ${s.finalised.merkle_root} acknowledged`)
      } else if (status === 'finalised') {
        if (!s.finaliseInDoubt) rep.torn.push(`session ${s.id}: finalised without a finalisation sent`)
        // The finalisation in flight happened: the session is immutable from here on, keep it as such.
        s.finalised = { merkle_root: st.json.merkle_root as string, chunk_count: count }
      }
      s.finaliseInDoubt = false
      if (s.finalised !== undefined && s.finalised.chunk_count !== s.chunks.length && !s.lostCounted) {
        rep.torn.push(`session ${s.id}: finalised with ${s.finalised.chunk_count} chunks, ledger holds ${s.chunks.length}`)
      }
      if (s.anchor !== undefined) {
        rep.checked++
        const a = st.json.blockchain_anchor as { block_height: number; hash: string } | null
        if (a === null || a.block_height !== s.anchor.block_height || a.hash !== s.anchor.hash)
          lose(s, `final anchor at ${s.anchor.block_height} ${s.anchor.hash.slice(0, 12)} reported, now ${JSON.stringify(a)}`)
      }
      if (s.finalised === undefined || status !== 'finalised') continue
      const from = opts.playAll || resample.has(s) ? 0 : s.played
      for (let i = from; i < s.chunks.length; i++) {
        const p = await call(base, 'GET', `/sessions/${s.id}/chunks/${i}`, { token })
        if (p.status !== 200) {
          rep.torn.push(`session ${s.id}: chunk ${i} does not play (${p.status} ${String(errorCodeOf(p.parsed))})`)
          continue
        }
        if (sha256(p.bytes) !== s.chunks[i]!.sha256) rep.torn.push(`session ${s.id}: chunk ${i} plays other bytes than were acknowledged`)
      }
      s.played = Math.max(s.played, s.chunks.length)
    }
    return rep
  }

  /**
   * After a restart: every block reported final is still there with the same hash. A final block the
   * restarted chain lacks or holds with another hash is a reverted block (each height counted once).
   * The chain's state is a function of its final blocks (replayed from the archive), so equal block hashes
   * mean equal state.
   */
  async verifyChain(base: string): Promise<{ checked: number; reverted: string[]; finalizedHeight: number }> {
    const info = await call(base, 'GET', '/chain/info')
    const finalized = info.json.finalized_height as number
    const reverted: string[] = []
    let checked = 1
    if (finalized < this.finalHeightSeen)
      reverted.push(`final height ${this.finalHeightSeen} was reported before the kill; the restarted chain is final only up to ${finalized}`)
    this.finalHeightSeen = finalized
    for (const [h, hash] of [...this.finalBlocks].sort((a, b) => a[0] - b[0])) {
      checked++
      // A block above the final height is counted once, by the final height check above.
      if (h > finalized) {
        if (reverted.length === 0)
          reverted.push(`final block ${h} (${hash.slice(0, 12)}) was reported before the kill; the restarted chain is final only up to ${finalized}`)
      } else {
        const b = await call(base, 'GET', `/chain/blocks/${h}`)
        if (b.status === 200 && b.json.hash === hash) continue
        reverted.push(`final block ${h} was ${hash.slice(0, 12)}, after the restart ${String(b.json.hash).slice(0, 12)}`)
      }
      // Counted once, then forgotten, so that the block the chain makes at that height is recorded anew.
      this.finalBlocks.delete(h)
    }
    this.revertedCount += reverted.length
    return { checked, reverted, finalizedHeight: finalized }
  }

  /** Records the final blocks the server reports up to its final height (new heights only). */
  async recordFinalBlocks(base: string, upTo?: number): Promise<number> {
    const top = upTo ?? ((await call(base, 'GET', '/chain/info')).json.finalized_height as number)
    this.finalHeightSeen = Math.max(this.finalHeightSeen, top)
    let from = 1
    for (const h of this.finalBlocks.keys()) from = Math.max(from, h + 1)
    for (let h = from; h <= top; h++) {
      const b = await call(base, 'GET', `/chain/blocks/${h}`)
      if (b.status === 200 && b.json.final === true) this.finalBlocks.set(h, b.json.hash as string)
    }
    return top
  }
}
