/**
 * The MongoDB outage check of `lucid chaos --suite faults` (docs/chaos.md, "MongoDB outages"): the DB
 * layer's mongodb backend, opened through a TCP fault proxy (proxy.ts) with short bounds, carries a
 * steady workload while the proxy passes, slows, blackholes and refuses its traffic:
 *
 *   baseline (pass) -> slow (every chunk held `delayMs` each way: operations still succeed, slower)
 *   -> blackhole (connections kept, nothing forwarded) -> heal (pass)
 *   -> refuse (connections destroyed, connects refused) -> restored (pass)
 *
 * During an outage every operation must fail within a bound with a catalogue error (a stable
 * LUCID_ERR_* code), nothing may go unhandled, and after each outage the first successful operation
 * measures recovery. At the end every write that was acknowledged, in any phase, must be there, and no
 * write may be torn: a write that errored may be absent or wholly present (a request held by the blackhole
 * can still reach the server after the heal), never in part.
 *
 * The server: MONGODB_URI when set (one host:port; the proxy goes in front of it), else the jongodb
 * stand-in when it is installed (named as such: it is not MongoDB), else the check is skipped and says so.
 */
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { isLucidError } from '../../services/common/errors.ts'
import { createRng, type Rng } from '../../services/common/rng.ts'
import { Database } from '../../services/db/index.ts'
import { openMongoBackend } from '../../services/db/mongo/backend.ts'
import { type Standin, standinBinary, startStandin } from '../../testing/mongo-standin.ts'
import { type OpRecord, OUTAGES, type PhaseName, type PhaseWindow, judgeOps, outageVerdict, phaseLatencies } from './mongo-judge.ts'
import { percentileMs } from '../../harness/stats/histogram.ts'
import { type FaultProxy, type ProxyMode, startFaultProxy } from './proxy.ts'
import { type Advertiser, createAdvertiser } from './mongo-advertise.ts'

/** Options of the check (tests shorten the phases). */
export interface MongoOutageOptions {
  /** The server; default MONGODB_URI, else the stand-in. */
  uri?: string
  /** Use the stand-in even when MONGODB_URI is set (tests). */
  standin?: boolean
  /** Length of each phase, ms; the pass phases after an outage last at least until the first success. */
  phaseMs?: Partial<Record<PhaseName, number>>
  /** Delay per chunk and direction in the slow phase (default 200 ms). */
  delayMs?: number
  /** Bound on server selection and connecting (default 2000 ms): the backend's connectTimeoutMs. */
  connectTimeoutMs?: number
  /** Bound on waiting for an answer (default 2000 ms): the backend's operationTimeoutMs (socketTimeoutMS). */
  operationTimeoutMs?: number
  /**
   * The bound every outage error must come within, ms (default errorBoundMs(connectTimeoutMs,
   * operationTimeoutMs)); tests on a loaded machine pass a more generous one.
   */
  boundMs?: number
  /** Concurrent workers (default 4), each pausing `pauseMs` (default 20) between operations. */
  workers?: number
  pauseMs?: number
  seed?: number
  progress?: (text: string) => void
}

/** What the check found; `ran` false means skipped, with the reason in `condition`. */
export interface MongoOutageResult {
  ran: boolean
  /** One line for the suite's conditions: which server, or why it was skipped. */
  condition: string
  metrics: Record<string, number>
  findings: string[]
  passed: boolean
}

export type { PhaseName }
const PHASES: ReadonlyArray<{ name: PhaseName; mode: ProxyMode }> = [
  { name: 'baseline', mode: 'pass' },
  { name: 'slow', mode: 'slow' },
  { name: 'blackhole', mode: 'blackhole' },
  { name: 'heal', mode: 'pass' },
  { name: 'refuse', mode: 'refuse' },
  { name: 'restored', mode: 'pass' }
]
const DEFAULT_PHASE_MS: Record<PhaseName, number> = { baseline: 3000, slow: 4000, blackhole: 7000, heal: 4000, refuse: 6000, restored: 4000 }
// A pass phase after an outage waits at most this long for the first success before declaring no recovery.
const RECOVERY_CAP_MS = 20_000

/**
 * The bound every operation must fail within during an outage, from the backend's two bounds. One driver
 * operation makes at most three attempts: one retry of a retryable read or write, or two (the driver's
 * maxAdaptiveRetries) when a new connection's handshake timed out, which the driver treats as server
 * overload. Each attempt is bounded by connectTimeoutMs (selection, connecting) or operationTimeoutMs (the
 * answer), with under a second of back-off between them; the layer adds no attempt of its own for an
 * unreachable server (LUCID_ERR_4005 is not retried, a transaction's abort runs in the background). So
 * 3 x max(C, T) + 0.6 s in theory; 2 x (C + T) + 1 s leaves room for operations queueing for one of the
 * driver's two connection-establishment slots when several fail together.
 */
export function errorBoundMs(connectTimeoutMs: number, operationTimeoutMs: number): number {
  return 2 * (connectTimeoutMs + operationTimeoutMs) + 1000
}

/** Where the check's server comes from, or why there is none. */
type Target = { kind: 'env' | 'uri'; uri: string } | { kind: 'standin' } | { kind: 'skip'; why: string }

function chooseTarget(opts: MongoOutageOptions): Target {
  if (opts.uri !== undefined && opts.uri !== '') return { kind: 'uri', uri: opts.uri }
  const env = process.env.MONGODB_URI
  if (opts.standin !== true && env !== undefined && env !== '') return { kind: 'env', uri: env }
  if (standinBinary() !== undefined) return { kind: 'standin' }
  return { kind: 'skip', why: 'skipped: no MongoDB server (MONGODB_URI unset) and the jongodb stand-in is not installed; the outage checks did not run' }
}

/** A single-host MongoDB URI cut into parts, or a reason it cannot be proxied. */
interface UriParts {
  creds: string
  host: string
  port: number
  path: string
  params: URLSearchParams
}
function splitUri(uri: string): UriParts | string {
  const m = /^mongodb:\/\/(?:([^@/]*)@)?([^/?]+)(\/[^?]*)?(?:\?(.*))?$/.exec(uri)
  if (m === null) return 'the outage check needs a mongodb:// URI with one host:port to put its proxy in front of (not mongodb+srv://)'
  const hosts = (m[2] ?? '').split(',')
  if (hosts.length !== 1) return 'the outage check needs one host:port to put its proxy in front of; MONGODB_URI names several'
  const hp = /^([^:[\]]+|\[[^\]]+\])(?::(\d+))?$/.exec(hosts[0]!)
  if (hp === null) return `cannot read the host of MONGODB_URI (${hosts[0] ?? ''})`
  return { creds: m[1] !== undefined ? `${m[1]}@` : '', host: hp[1]!, port: Number(hp[2] ?? 27017), path: m[3] ?? '/', params: new URLSearchParams(m[4] ?? '') }
}

/** The URI without credentials, for conditions and findings. */
function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@')
}

/** A write, and whether the database acknowledged it. */
interface WriteRecord {
  kind: 'create' | 'append' | 'activity'
  sid: string
  /** Chunk indexes it wrote (create: 0 and 1; append: one). */
  idxs: number[]
  activityId?: string
  phase: PhaseName
  acked: boolean
}

/** The deterministic content of a chunk document, so that a torn or foreign one is recognised. */
function chunkDoc(sid: string, idx: number): { session_id: string; idx: number; ciphertext_sha256: string; size_bytes: number; created_at: number } {
  return { session_id: sid, idx, ciphertext_sha256: createHash('sha256').update(`${sid}/${idx}`).digest('hex'), size_bytes: 1024 + idx, created_at: Date.now() }
}

/** What the check opened, closed at its end whatever happened. */
interface Opened {
  standin?: Standin
  proxy?: FaultProxy
  db?: Database
}

/** The server's URI and its name for the conditions, or the result of a skip. */
async function serverOf(target: Exclude<Target, { kind: 'skip' }>, res: Opened): Promise<{ uri: string; name: string } | MongoOutageResult> {
  if (target.kind !== 'standin') return { uri: target.uri, name: `${target.kind === 'env' ? 'MONGODB_URI' : 'uri'} ${redact(target.uri)}` }
  try {
    res.standin = await startStandin()
  } catch (err) {
    return {
      ran: false,
      condition: `skipped: the jongodb stand-in is installed but did not start (${(err as Error).message}); the outage checks did not run`,
      metrics: {},
      findings: [],
      passed: true
    }
  }
  return { uri: res.standin.uri, name: 'the jongodb stand-in, not MongoDB' }
}

/**
 * Puts the fault proxy in front of the server and opens the database through it (directly connected when
 * the server advertises a name the proxy cannot translate). Resolves with how it is routed, or with the
 * result when it could not be opened (a failure of the check, not a skip).
 */
async function openThroughProxy(
  parts: UriParts,
  serverName: string,
  opts: MongoOutageOptions,
  bounds: { connectTimeoutMs: number; operationTimeoutMs: number },
  res: Opened,
  find: (s: string) => void
): Promise<{ db: Database; proxy: FaultProxy; route: string } | MongoOutageResult> {
  let advertiser: Advertiser | undefined
  const proxy = await startFaultProxy({
    targetHost: parts.host.replace(/^\[|\]$/g, ''),
    targetPort: parts.port,
    delayMs: opts.delayMs ?? 200,
    rewriteFromServer: (m) => advertiser?.rewrite(m) ?? m
  })
  res.proxy = proxy
  advertiser = createAdvertiser(`${parts.host}:${parts.port}`, `127.0.0.1:${proxy.port}`)
  const proxied = (direct: boolean): string => {
    const params = new URLSearchParams(parts.params)
    if (direct) {
      params.delete('replicaSet')
      params.set('directConnection', 'true')
    }
    const q = params.toString()
    return `mongodb://${parts.creds}127.0.0.1:${proxy.port}${parts.path}${q === '' ? '' : `?${q}`}`
  }
  const dbName = `lucid_chaos_${Date.now().toString(36)}`
  const open = async (direct: boolean): Promise<Database> => new Database(await openMongoBackend({ uri: proxied(direct), dbName, poolSize: 20, ...bounds }))
  try {
    res.db = await open(false)
  } catch (err) {
    // The proxy passes: a server that cannot be opened through it is a failure of the check, not a skip.
    find(`opening ${redact(proxied(false))} through the proxy failed: ${(err as Error).message}`)
    return { ran: true, condition: `${serverName}, through the fault proxy: could not be opened`, metrics: {}, findings: [], passed: false }
  }
  if (advertiser.foreign.size === 0) return { db: res.db, proxy, route: "the server's advertised address rewritten to the proxy's (mongo-advertise.ts)" }
  // The set advertises a name the proxy cannot translate: the driver would go around the proxy.
  await res.db.close()
  res.db = await open(true)
  return { db: res.db, proxy, route: `directConnection=true (the server advertises itself as ${[...advertiser.foreign].join(', ')})` }
}

/** Runs the check; never throws for an outage (those are its subject), only for its own setup failing. */
export async function runMongoOutage(opts: MongoOutageOptions = {}): Promise<MongoOutageResult> {
  const target = chooseTarget(opts)
  if (target.kind === 'skip') return { ran: false, condition: target.why, metrics: {}, findings: [], passed: true }
  const connectTimeoutMs = opts.connectTimeoutMs ?? 2000
  const operationTimeoutMs = opts.operationTimeoutMs ?? 2000
  const bound = opts.boundMs ?? errorBoundMs(connectTimeoutMs, operationTimeoutMs)
  const started = performance.now()
  const res: Opened = {}
  const findings: string[] = []
  const find = (s: string): void => {
    if (findings.length < 50) findings.push(`mongodb: ${s}`)
  }
  // A rejection nobody handles (in the driver, the proxy or the backend) is counted, not left to crash
  // the suite: "no unhandled rejection" is one of the things checked.
  const unhandled: string[] = []
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason))
  }
  process.on('unhandledRejection', onUnhandled)
  try {
    const server = await serverOf(target, res)
    if ('ran' in server) return server
    const parts = splitUri(server.uri)
    if (typeof parts === 'string') return { ran: false, condition: `skipped: ${parts}`, metrics: {}, findings: [], passed: true }
    const o = await openThroughProxy(parts, server.name, opts, { connectTimeoutMs, operationTimeoutMs }, res, find)
    if ('ran' in o) return { ...o, findings }
    const { db, proxy } = o
    const condition =
      `${server.name} (${db.engine.description}), through the fault proxy: ${o.route}; ` +
      `${opts.workers ?? 4} workers${db.engine.standIn ? ', one of them writing sessions and chunks (the stand-in loses concurrent transactional writes)' : ''}; ` +
      `connectTimeoutMs ${connectTimeoutMs}, operationTimeoutMs ${operationTimeoutMs}, error bound ${bound} ms, slow delay ${opts.delayMs ?? 200} ms each way`

    // The stand-in loses writes when transactions run concurrently: a commit writes back the collections
    // it touched as of its snapshot, so a concurrent write to another document of those collections can
    // vanish (measured without proxy or layer: 236 of 240 documents from 4 concurrent writers). That is the
    // stand-in, not an outage: on it one worker writes sessions and chunks, the others read and write
    // single documents of another collection. A real MongoDB gets every worker writing.
    const r = await cycle(db, proxy, {
      phaseMs: { ...DEFAULT_PHASE_MS, ...opts.phaseMs },
      bound,
      serialWrites: db.engine.standIn,
      workers: opts.workers ?? 4,
      pauseMs: opts.pauseMs ?? 20,
      rng: createRng(opts.seed ?? 12),
      progress: opts.progress ?? (() => {}),
      find
    })
    if (target.kind !== 'standin') await cleanUp(db, r.writes)
    for (const u of unhandled) find(`unhandled rejection: ${u}`)
    const metrics = { ...r.metrics, mongo_unhandled_rejections_count: unhandled.length, mongo_check_s: (performance.now() - started) / 1000 }
    const passed = findings.length === 0 && r.passed && unhandled.length === 0
    return { ran: true, condition, metrics, findings, passed }
  } finally {
    // Closing is bounded too: a client stuck on a dead server must not keep the suite (or the stand-in) alive.
    if (res.db !== undefined) await Promise.race([res.db.close().catch(() => {}), sleep(10_000)])
    await res.proxy?.close()
    await res.standin?.stop()
    // Rejections during the clean-up are absorbed too (not counted: the figures are out); then the
    // process's default behaviour returns.
    process.off('unhandledRejection', onUnhandled)
  }
}

interface CycleOptions {
  phaseMs: Record<PhaseName, number>
  /** Only worker 0 writes sessions and chunks (the stand-in loses concurrent transactional writes). */
  serialWrites: boolean
  bound: number
  workers: number
  pauseMs: number
  rng: Rng
  progress: (text: string) => void
  find: (s: string) => void
}

/** What the workers record as they run, and the phase they run in. */
interface WorkloadState {
  readonly ops: OpRecord[]
  readonly writes: WriteRecord[]
  readonly pending: Set<{ kind: OpRecord['kind']; start: number }>
  readonly ackedSessions: string[]
  phase: PhaseName
  stopped: boolean
  seq: number
}

/** Runs one operation, timing it and recording its outcome; never throws. */
async function timed(st: WorkloadState, kind: OpRecord['kind'], fn: () => Promise<void>): Promise<boolean> {
  const rec: OpRecord = { kind, phase: st.phase, start: performance.now(), end: 0, ok: false }
  const p = { kind, start: rec.start }
  st.pending.add(p)
  try {
    await fn()
    rec.ok = true
  } catch (err) {
    if (isLucidError(err) && /^LUCID_ERR_\d{4}$/.test(err.code)) rec.code = err.code
    else rec.code = `untyped: ${err instanceof Error ? err.name : typeof err}`
    rec.message = err instanceof Error ? err.message.split('\n')[0] : String(err)
  } finally {
    rec.end = performance.now()
    st.pending.delete(p)
    st.ops.push(rec)
  }
  return rec.ok
}

/** Records a write, runs it timed, and resolves with whether it was acknowledged. */
async function timedWrite(st: WorkloadState, w: Omit<WriteRecord, 'phase' | 'acked'>, fn: () => Promise<void>): Promise<boolean> {
  const rec: WriteRecord = { ...w, phase: st.phase, acked: false }
  st.writes.push(rec)
  rec.acked = await timed(st, w.kind, fn)
  return rec.acked
}

/** Reads a session and its chunks. */
async function readSession(db: Database, st: WorkloadState, s: string): Promise<void> {
  await timed(st, 'read', async () => {
    await db.sessions.get(s)
    await db.chunks.bySession(s, { limit: 1000 })
  })
}

/** Inserts one activity document of worker `w`, for session `sid`. */
async function writeActivity(db: Database, st: WorkloadState, w: number, sid: string): Promise<void> {
  const id = `mchaos-a-${w}-${st.seq++}`
  await timedWrite(st, { kind: 'activity', sid, idxs: [], activityId: id }, async () => {
    await db.activity.insert({ activity_id: id, user_id: `mchaos-${w}`, session_id: sid, status: 'active', timestamp: Date.now() })
  })
}

/** Creates a session with chunks 0 and 1 in one transaction; resolves with its id when acknowledged. */
async function createSession(db: Database, st: WorkloadState, w: number): Promise<string | undefined> {
  const s = `mchaos-${w}-${st.seq++}`
  const acked = await timedWrite(st, { kind: 'create', sid: s, idxs: [0, 1] }, async () => {
    await db.transaction(
      async (t) => {
        await t.sessions.insert({ session_id: s, user_id: `mchaos-${w}`, status: 'recording', chunk_count: 2, created_at: Date.now() })
        await t.chunks.insertMany([chunkDoc(s, 0), chunkDoc(s, 1)])
      },
      { retries: 0 }
    )
  })
  if (!acked) return undefined
  st.ackedSessions.push(s)
  return s
}

/** Appends chunk `idx` to session `s` in one transaction; resolves with whether it was acknowledged. */
async function appendChunk(db: Database, st: WorkloadState, s: string, idx: number): Promise<boolean> {
  return await timedWrite(st, { kind: 'append', sid: s, idxs: [idx] }, async () => {
    await db.transaction(
      async (t) => {
        await t.chunks.insert(chunkDoc(s, idx))
        await t.sessions.addChunks(s, 1)
      },
      { retries: 0 }
    )
  })
}

/** One worker's loop until the workload stops. */
async function worker(db: Database, st: WorkloadState, o: CycleOptions, w: number): Promise<void> {
  const writer = !o.serialWrites || w === 0
  let sid: string | undefined // the worker's session: created and acknowledged, no errored write on it
  let nextIdx = 0
  while (!st.stopped) {
    const roll = o.rng.next()
    if (!writer) {
      // Readers and single-document writers beside the one transactional writer (stand-in only).
      const s = st.ackedSessions.length > 0 && roll < 0.6 ? st.ackedSessions[o.rng.int(0, st.ackedSessions.length - 1)]! : undefined
      if (s === undefined) await writeActivity(db, st, w, `mchaos-${w}`)
      else await readSession(db, st, s)
    } else if (sid === undefined) {
      sid = await createSession(db, st, w)
      if (sid !== undefined) nextIdx = 2
    } else if (roll < 0.45) {
      // A session with a write of unknown outcome is written no more: a late commit of that write racing
      // a new one would test the server's conflict detection (which the stand-in lacks), not the layer.
      if (!(await appendChunk(db, st, sid, nextIdx++))) sid = undefined
    } else if (roll < 0.65) {
      await writeActivity(db, st, w, sid)
    } else {
      await readSession(db, st, st.ackedSessions[o.rng.int(0, st.ackedSessions.length - 1)]!)
    }
    await sleep(o.pauseMs)
  }
}

/** Sets the proxy through the phases, measuring recovery after each outage; resolves with the phases' windows. */
async function runPhases(
  proxy: FaultProxy,
  st: WorkloadState,
  o: CycleOptions
): Promise<{ windows: PhaseWindow[]; recovery: Partial<Record<PhaseName, number>> }> {
  const windows: PhaseWindow[] = []
  const recovery: Partial<Record<PhaseName, number>> = {}
  const ops = st.ops
  for (const p of PHASES) {
    st.phase = p.name
    await proxy.setMode(p.mode)
    const from = performance.now()
    o.progress(`faults: mongodb ${p.name} (${p.mode}); ${ops.length} operations, ${ops.filter((x) => !x.ok).length} failed`)
    const prev = windows.at(-1)
    if (p.mode === 'pass' && prev !== undefined && OUTAGES.has(prev.name)) {
      // Recovery: from the restore to the first operation that succeeds after it (in flight or new).
      const until = from + Math.max(o.phaseMs[p.name], RECOVERY_CAP_MS)
      while (performance.now() < until && !ops.some((x) => x.ok && x.end >= from)) await sleep(10)
      const first = ops.filter((x) => x.ok && x.end >= from).map((x) => x.end)
      if (first.length > 0) recovery[prev.name] = Math.min(...first) - from
      else o.find(`no operation succeeded within ${RECOVERY_CAP_MS} ms after the ${prev.name} ended`)
    }
    await sleep(Math.max(0, from + o.phaseMs[p.name] - performance.now()))
    windows.push({ name: p.name, from, to: performance.now() })
  }
  return { windows, recovery }
}

/** The phases with the workload running, then the verification. */
async function cycle(db: Database, proxy: FaultProxy, o: CycleOptions): Promise<{ metrics: Record<string, number>; writes: WriteRecord[]; passed: boolean }> {
  const st: WorkloadState = { ops: [], writes: [], pending: new Set(), ackedSessions: [], phase: 'baseline', stopped: false, seq: 0 }
  const workers = Array.from({ length: o.workers }, async (_x, w) => await worker(db, st, o, w))
  const { windows, recovery } = await runPhases(proxy, st, o)
  st.stopped = true
  // Every worker finishes its operation in progress; one that outlives the bound is hung.
  const settled = await Promise.race([Promise.all(workers).then(() => true), sleep(o.bound + 5000).then(() => false)])
  if (!settled)
    o.find(
      `${st.pending.size} operations still pending ${o.bound + 5000} ms after the workload stopped (hung): ${[...st.pending].map((p) => p.kind).join(', ')}`
    )
  const j = judgeOps(st.ops, windows, o.bound)
  for (const f of j.findings) o.find(f)

  o.progress(`faults: mongodb verifying ${st.writes.length} writes`)
  const v = await verify(db, st.writes, o.find)
  const recovered = recovery.blackhole !== undefined && recovery.refuse !== undefined
  const slow = phaseLatencies(st.ops, windows, o.bound, 'slow')
  const recoveries = Object.values(recovery)
  const metrics: Record<string, number> = {
    mongo_ops_count: st.ops.length,
    mongo_acked_writes_count: st.writes.filter((w) => w.acked).length,
    mongo_errored_writes_count: st.writes.filter((w) => !w.acked).length,
    mongo_outage_ops_failed_count: j.failedInOutage,
    mongo_error_latency_max_ms: j.errorLatencies.length > 0 ? Math.max(...j.errorLatencies) : 0,
    mongo_error_latency_p50_ms: percentileMs(j.errorLatencies, 50),
    mongo_errors_over_bound_count: j.overBound,
    mongo_untyped_errors_count: j.untyped,
    mongo_outage_ops_succeeded_count: j.bypass,
    mongo_slow_ops_failed_count: j.slowFailed,
    mongo_baseline_p99_ms: percentileMs(phaseLatencies(st.ops, windows, o.bound, 'baseline'), 99),
    mongo_slow_p50_ms: percentileMs(slow, 50),
    mongo_slow_p99_ms: percentileMs(slow, 99),
    mongo_slow_ops_count: slow.length,
    // Not recovered: the cap, so that the figure can never look good.
    mongo_recovery_ms: recovered ? Math.max(...recoveries) : RECOVERY_CAP_MS,
    mongo_recovery_blackhole_ms: recovery.blackhole ?? RECOVERY_CAP_MS,
    mongo_recovery_refuse_ms: recovery.refuse ?? RECOVERY_CAP_MS,
    mongo_acked_lost_count: v.lost,
    mongo_torn_count: v.torn,
    mongo_errored_applied_count: v.erroredApplied,
    mongo_hung_ops_count: settled ? 0 : st.pending.size
  }
  for (const [c, n] of j.codes) if (c.startsWith('LUCID_ERR_')) metrics[`mongo_errors_${c.slice('LUCID_ERR_'.length)}_count`] = n
  const { passed } = outageVerdict({ settled, recovered, lost: v.lost, torn: v.torn, ops: j })
  return { metrics, writes: st.writes, passed }
}

/**
 * Every acknowledged write present; no write torn (a session whose chunk count disagrees with its chunks, a
 * create with only some of its documents, a chunk nobody wrote or with other content); errored writes
 * found whole are counted (allowed). Reads are retried: the verification itself runs in `pass`.
 */
async function verify(
  db: Database,
  writes: readonly WriteRecord[],
  find: (s: string) => void
): Promise<{ lost: number; torn: number; erroredApplied: number }> {
  let lost = 0
  let torn = 0
  let erroredApplied = 0
  const retry = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn()
      } catch (err) {
        if (attempt >= 5) throw err
        await sleep(500)
      }
    }
  }
  const bySession = new Map<string, WriteRecord[]>()
  for (const w of writes) if (w.kind !== 'activity') bySession.set(w.sid, [...(bySession.get(w.sid) ?? []), w])
  for (const [sid, ws] of bySession) {
    const s = await retry(async () => await db.sessions.get(sid))
    const chunks = await retry(async () => await db.chunks.bySession(sid, { limit: 10_000 }))
    const have = new Map(chunks.map((c) => [c.idx, c]))
    const written = new Set(ws.flatMap((w) => w.idxs))
    for (const w of ws) {
      const present = w.idxs.filter((i) => have.has(i))
      const whole = present.length === w.idxs.length && (w.kind !== 'create' || s !== undefined)
      const none = present.length === 0 && (w.kind !== 'create' || s === undefined)
      if (w.acked && !whole) {
        lost++
        find(
          `acknowledged ${w.kind} of ${sid} (${w.phase}) lost: session ${s === undefined ? 'absent' : 'present'}, chunks ${present.join(',') || 'none'} of ${w.idxs.join(',')}`
        )
      }
      if (!w.acked && !whole && !none) {
        torn++
        find(
          `errored ${w.kind} of ${sid} (${w.phase}) partly applied: session ${s === undefined ? 'absent' : 'present'}, chunks ${present.join(',') || 'none'} of ${w.idxs.join(',')}`
        )
      }
      if (!w.acked && whole) erroredApplied++
    }
    if (s !== undefined && s.chunk_count !== chunks.length) {
      torn++
      find(`${sid}: chunk_count ${s.chunk_count} but ${chunks.length} chunks`)
    }
    if (s === undefined && chunks.length > 0) {
      torn++
      find(`${sid}: ${chunks.length} chunks without their session`)
    }
    for (const c of chunks) {
      const want = chunkDoc(sid, c.idx)
      if (!written.has(c.idx) || c.ciphertext_sha256 !== want.ciphertext_sha256 || c.size_bytes !== want.size_bytes) {
        torn++
        find(`${sid}: chunk ${c.idx} is not one that was written`)
      }
    }
  }
  for (const w of writes) {
    if (w.kind !== 'activity' || w.activityId === undefined) continue
    const id = w.activityId
    const a = await retry(async () => await db.activity.get(id))
    if (w.acked && a === undefined) {
      lost++
      find(`acknowledged activity ${w.activityId} (${w.phase}) lost`)
    }
    if (!w.acked && a !== undefined) erroredApplied++
  }
  return { lost, torn, erroredApplied }
}

/** Removes what the check wrote from a server that outlives it (MONGODB_URI); best effort. */
async function cleanUp(db: Database, writes: readonly WriteRecord[]): Promise<void> {
  for (const w of writes) {
    if (w.kind === 'activity') {
      if (w.activityId !== undefined) await db.activity.delete(w.activityId).catch(() => {})
    } else {
      for (const i of w.idxs) await db.chunks.delete(w.sid, i).catch(() => {})
      if (w.kind === 'create') await db.sessions.delete(w.sid).catch(() => {})
    }
  }
}
