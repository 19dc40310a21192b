/**
 * `lucid chaos --suite faults`: `kill -9` of `lucid serve` (a child process on a persistent data directory)
 * at chosen moments, then a restart, many cycles. The moments, drawn per cycle from a seeded generator:
 *
 * - upload:   at a random instant of mixed traffic (chunk uploads dominate it);
 * - create:   0-10 ms after a session creation left the client;
 * - finalise: 0-15 ms after a finalisation left the client (manifest write, status update, anchor);
 * - block:    the instant a client has been told a new block is final (the slot's start is computed from
 *             genesis, /chain/info is polled tightly from just before it, and the kill follows the answer);
 * - startup:  0-2.5 s into the restart itself (replaying the archive, resuming, seeding), then a clean start;
 * - vote:     the instant a validator's consensus record holds a vote above the archived height (between a
 *             vote record and the archive write, votes.ts);
 * - prevote:  the instant a record holds a round's prevote and not yet its precommit.
 *
 * After every restart (docs/chaos.md, "faults"): every acknowledged write is present (ledger, ledger.ts),
 * no half-written chunk or batch is visible (playback of finalised sessions, counts, and beneath the API the
 * database against the chunk files, scan.ts), the chain is final at least where it was with the same
 * blocks, no (key, nonce) pair sealed two envelopes, and the chain finalises a new block within 60 s of the
 * restart (a chain killed mid-vote must not stay stalled). Recovery time runs from the spawn of the new process
 * to its first answered request.
 *
 * Then the MongoDB outage check (mongo.ts): the DB layer's mongodb backend through a fault proxy that
 * slows, blackholes and refuses its traffic, against MONGODB_URI, else the jongodb stand-in (named as such:
 * it is not MongoDB); with neither it is reported as skipped in the conditions, never as passed.
 *
 * Then the validators as processes (validators.ts): a devnet of 4 `lucid node` processes on libp2p, single
 * validators killed with SIGKILL (at most f = 1 of 4 at a time) and restarted, 8 cycles (40 with --full):
 * finality must go on while one is down, the restarted node must catch up, and no final block may revert.
 *
 * Then power cuts (power-cut.ts): the data directory on a FUSE filesystem that loses every unsynced byte
 * when the power goes, 30 cuts (100 with --full); skipped, and reported so, where FUSE is unavailable.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createRng, type Rng } from '../../services/common/rng.ts'
import { readArchive, replayLedgers } from '../../services/chain/index.ts'
import { median } from '../../harness/stats/median.ts'
import { Ledger, call, loginAll } from './ledger.ts'
import { NonceRegistry, checkStore } from './scan.ts'
import { startServe, type ServeChild } from './serve.ts'
import { startWorkload } from './workload.ts'
import { type MongoOutageOptions, runMongoOutage } from './mongo.ts'
import { type PowerCutOptions, run as runPowerCut } from './power-cut.ts'
import { untilVoteMoment } from './votes.ts'
import { runValidatorKills } from './validators.ts'
import type { ChaosOptions, ChaosResult } from '../types.ts'
import { faultsVerdict } from './verdict.ts'

/** Kinds of kill moment. */
export const KILL_MOMENTS = ['upload', 'create', 'finalise', 'block', 'startup', 'vote', 'prevote'] as const
export type KillMoment = (typeof KILL_MOMENTS)[number]

/** Options beyond ChaosOptions (tests and the CLI's defaults). */
export interface FaultsOptions {
  /** Kill cycles (quick 24, full 300; `durationS` instead runs cycles until it has passed). */
  cycles?: number
  /** Validators of the devnet (default 4, as `lucid serve`). */
  validators?: number
  seed?: number
  /** Only these moments (default all). */
  moments?: readonly KillMoment[]
  /** Options of the MongoDB outage check (tests shorten it), or false to leave it out (then reported skipped). */
  mongo?: MongoOutageOptions | false
  /**
   * Options of the power-cut check (power-cut.ts: the data directory on a filesystem that loses unsynced
   * writes; 30 cuts quick, 100 full), or false to leave it out (then reported skipped).
   */
  powerCut?: PowerCutOptions | false
  /** Kill cycles of the validator processes check (validators.ts; quick 8, full 40), or false to leave it out (then reported skipped). */
  p2pCycles?: number | false
}

const USERS = ['test_user_1', 'test_user_2', 'test_user_3', 'test_user_4']
const PASSWORD = 'test_password_123'

/** What the kill cycles counted, gathered as they run; judged by faultsVerdict (verdict.ts). */
interface Tally {
  readonly findings: string[]
  readonly recoveries: number[]
  readonly byMoment: Map<KillMoment, number>
  /** After each restart: seconds until a new block is final. */
  readonly advances: number[]
  cycle: number
  lost: number
  torn: number
  checked: number
  unexpected: number
  startupFailures: number
  /** Kills aimed at a voting moment, and those that landed in its window. */
  voteKills: number
  voteKillsInWindow: number
  /** Restarts after which no new block was final within ADVANCE_BOUND_MS. */
  stalls: number
}

/** Adds lines to the findings (at most `cap` in all), each with its prefix. */
function addFindings(t: Tally, lines: readonly string[], prefix: string, cap = 50): void {
  for (const l of lines) if (t.findings.length < cap) t.findings.push(`${prefix}: ${l}`)
}

/** What every kill cycle shares. */
interface CycleContext {
  readonly opts: ChaosOptions
  readonly dataDir: string
  readonly validators: number
  readonly moments: readonly KillMoment[]
  readonly cycles: number
  readonly rng: Rng
  readonly ledger: Ledger
  readonly nonces: NonceRegistry
}

/** Runs the suite. */
export async function run(opts: ChaosOptions, more: FaultsOptions = {}): Promise<ChaosResult> {
  const seed = more.seed ?? 20_240_612
  const validators = more.validators ?? 4
  const cycles = more.cycles ?? (opts.durationS !== undefined ? Number.POSITIVE_INFINITY : opts.full ? 300 : 24)
  const deadline = opts.durationS !== undefined ? performance.now() + opts.durationS * 1000 : Number.POSITIVE_INFINITY
  const dataDir = join(opts.tmpdir, 'faults-data')
  await mkdir(dataDir, { recursive: true })
  const ctx: CycleContext = {
    opts,
    dataDir,
    validators,
    moments: more.moments ?? KILL_MOMENTS,
    cycles,
    rng: createRng(seed),
    ledger: new Ledger(),
    nonces: new NonceRegistry()
  }
  const t: Tally = {
    findings: [],
    recoveries: [],
    byMoment: new Map(),
    advances: [],
    cycle: 0,
    lost: 0,
    torn: 0,
    checked: 0,
    unexpected: 0,
    startupFailures: 0,
    voteKills: 0,
    voteKillsInWindow: 0,
    stalls: 0
  }
  let server: ServeChild | undefined = await startServe({ dataDir, validators })
  t.recoveries.push(server.recoveryMs)
  try {
    while (server !== undefined && t.cycle < cycles && performance.now() < deadline) server = await killCycle(ctx, server, t)
    // The last check plays every chunk of every finalised session.
    if (server !== undefined) await verifyAll(ctx, server.url, await loginAll(server.url, USERS, PASSWORD), t, 'final', { playAll: true, sample: 0 })
  } finally {
    await server?.kill()
  }
  const archiveBlocks = await replayArchive(dataDir, validators, t)
  const checks = await laterChecks(opts, more, ctx.rng, t)
  const verdict = faultsVerdict({
    cycles: t.cycle,
    lostWrites: t.lost,
    tornRecords: t.torn,
    nonceCollisions: ctx.nonces.collisions.length,
    revertedBlocks: ctx.ledger.revertedCount,
    startupFailures: t.startupFailures,
    unexpectedAnswers: t.unexpected,
    chainStalls: t.stalls,
    mongoPassed: checks.mongo.passed,
    validatorProcessesPassed: checks.p2p.passed,
    powerCutPassed: checks.power.passed
  })
  return {
    metrics: faultsMetrics(ctx, t, archiveBlocks, checks),
    conditions: faultsConditions(ctx, seed, t, more, checks),
    passed: verdict.passed,
    findings: t.findings
  }
}

/** The checks after each kill (and at the end): acknowledged sessions there and whole, the chain not reverted. */
async function verifyAll(
  ctx: CycleContext,
  url: string,
  tokens: ReadonlyMap<string, string>,
  t: Tally,
  prefix: string,
  how: { playAll: boolean; sample: number }
): Promise<void> {
  const v = await ctx.ledger.verifySessions(url, tokens, { ...how, rand: () => ctx.rng.next() })
  t.checked += v.checked
  t.lost += v.lost.length
  t.torn += v.torn.length
  addFindings(t, v.lost, `${prefix} lost`)
  addFindings(t, v.torn, `${prefix} torn`)
  const c = await ctx.ledger.verifyChain(url)
  t.checked += c.checked
  addFindings(t, c.reverted, `${prefix} chain`)
  if (!how.playAll) await ctx.ledger.recordFinalBlocks(url, c.finalizedHeight)
}

/**
 * One cycle: the checks after the previous kill (on the first cycle: of a fresh server, trivially true), a
 * kill at a drawn moment under traffic, the checks beneath the API, and the restart. Resolves with the
 * restarted server, or undefined when it did not start (the cycles end there).
 */
async function killCycle(ctx: CycleContext, srv: ServeChild, t: Tally): Promise<ServeChild | undefined> {
  const { rng, ledger, nonces, dataDir } = ctx
  const tokens = await loginAll(srv.url, USERS, PASSWORD)
  await verifyAll(ctx, srv.url, tokens, t, `cycle ${t.cycle}`, { playAll: false, sample: 3 })
  const moment = ctx.moments[rng.int(0, ctx.moments.length - 1)]!
  t.byMoment.set(moment, (t.byMoment.get(moment) ?? 0) + 1)
  t.cycle++
  const cycle = t.cycle
  ctx.opts.progress(
    `faults: cycle ${cycle}${Number.isFinite(ctx.cycles) ? `/${ctx.cycles}` : ''} kill during ${moment}; acknowledged ${ledger.acknowledged}, lost ${t.lost}, torn ${t.torn}, nonce collisions ${nonces.collisions.length}, reverted blocks ${ledger.revertedCount}`
  )

  const work = startWorkload(srv.url, tokens, ledger, rng)
  if (moment === 'vote' || moment === 'prevote') {
    t.voteKills++
    if (await untilVoteMoment(dataDir, moment, 30_000)) t.voteKillsInWindow++
  }
  await killAt(moment, srv, work, ledger, rng)
  work.stop()
  await work.done
  for (const [k, n] of work.unexpected) {
    t.unexpected += n
    if (t.findings.length < 50) t.findings.push(`cycle ${cycle}: unexpected answer ${k} (x${n})`)
  }

  // Beneath the API, while nothing runs: envelopes' nonces and the database against the files.
  const collisions = await nonces.scan(join(dataDir, 'sessions'))
  addFindings(t, collisions, `cycle ${cycle} nonce`)
  const store = await checkStore(dataDir)
  t.torn += store.torn.length
  addFindings(t, store.torn, `cycle ${cycle} store`)

  if (moment === 'startup' || rng.next() < 0.1) {
    // Killed again while it recovers; then the start that counts.
    const r = await killDuringStartup(dataDir, ctx.validators, rng)
    if (r !== undefined) {
      t.startupFailures++
      addFindings(t, [r], `cycle ${cycle} startup`)
    }
  }
  let server: ServeChild
  try {
    server = await startServe({ dataDir, validators: ctx.validators })
    t.recoveries.push(server.recoveryMs)
  } catch (err) {
    t.startupFailures++
    addFindings(t, [(err as Error).message], `cycle ${cycle} restart failed`)
    return undefined
  }
  let advanced: number | undefined
  try {
    advanced = await untilChainAdvances(server.url, ADVANCE_BOUND_MS)
  } catch (err) {
    // The caller kills the server it holds: this one is not handed back.
    await server.kill()
    throw err
  }
  if (advanced === undefined) {
    t.stalls++
    addFindings(t, [`no new final block within ${ADVANCE_BOUND_MS / 1000} s of the restart`], `cycle ${cycle} chain stalled`)
  } else t.advances.push(advanced / 1000)
  return server
}

/** The whole archive replays: every block, signature and certificate verifies from genesis. Resolves with its block count. */
async function replayArchive(dataDir: string, validators: number, t: Tally): Promise<number> {
  try {
    const a = await readArchive(dataDir)
    replayLedgers(a.genesis, a.blocks, validators)
    return a.blocks.length
  } catch (err) {
    addFindings(t, [(err as Error).message], 'archive replay')
    t.startupFailures++
    return 0
  }
}

/** The checks after the kill cycles: MongoDB outages, validators as processes, power cuts (each may be left out). */
interface LaterChecks {
  readonly mongo: { ran: boolean; condition: string; metrics: Record<string, number>; findings: string[]; passed: boolean }
  readonly p2p: { metrics: Record<string, number>; findings: string[]; passed: boolean }
  readonly power: ChaosResult
}

async function laterChecks(opts: ChaosOptions, more: FaultsOptions, rng: Rng, t: Tally): Promise<LaterChecks> {
  const mongo =
    more.mongo === false
      ? { ran: false, condition: 'skipped: left out by the caller', metrics: {}, findings: [], passed: true }
      : // No progress lines from it: the suite's progress is one line per kill cycle (test/chaos/faults.test.ts
        // counts them); the check's ~30 s show as the last cycle's line.
        await runMongoOutage({ ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...more.mongo })
  for (const f of mongo.findings) if (t.findings.length < 100) t.findings.push(f)
  // Validators as processes over libp2p: kill -9 of one at a time, restart, catch-up, nothing reverted.
  const p2p =
    more.p2pCycles === false
      ? { metrics: {}, findings: [], passed: true }
      : await runValidatorKills({ cycles: more.p2pCycles ?? (opts.full ? 40 : 8), dir: join(opts.tmpdir, 'p2p'), rng, progress: opts.progress })
  for (const f of p2p.findings) if (t.findings.length < 100) t.findings.push(`validator processes: ${f}`)
  // Power cuts after the kills: its own data directory, lazyfs underneath (skipped, and said so, without FUSE).
  const power: ChaosResult =
    more.powerCut === false
      ? { metrics: {}, conditions: { skipped: 'left out by the caller' }, passed: true, findings: [] }
      : await runPowerCut({ ...opts, tmpdir: join(opts.tmpdir, 'power-cut') }, { cuts: opts.full ? 100 : 30, ...more.powerCut })
  for (const f of power.findings) if (t.findings.length < 100) t.findings.push(`power cut: ${f}`)
  return { mongo, p2p, power }
}

/** The suite's figures (names and meanings as reported since the suite began). */
function faultsMetrics(ctx: CycleContext, t: Tally, archiveBlocks: number, checks: LaterChecks): Record<string, number> {
  const recS = t.recoveries.slice(1).map((ms) => ms / 1000)
  return {
    cycles_count: t.cycle,
    acknowledged_writes_count: ctx.ledger.acknowledged + ctx.ledger.revertedCount,
    checked_writes_count: t.checked,
    lost_writes_count: t.lost,
    torn_records_count: t.torn,
    nonce_collisions_count: ctx.nonces.collisions.length,
    envelopes_scanned_count: ctx.nonces.scanned,
    recovery_p50_s: recS.length > 0 ? median(recS) : 0,
    recovery_max_s: recS.length > 0 ? Math.max(...recS) : 0,
    chain_reverted_count: ctx.ledger.revertedCount,
    chain_stalls_count: t.stalls,
    chain_advance_p50_s: t.advances.length > 0 ? median(t.advances) : 0,
    chain_advance_max_s: t.advances.length > 0 ? Math.max(...t.advances) : 0,
    vote_kills_count: t.voteKills,
    vote_kills_in_window_count: t.voteKillsInWindow,
    final_blocks_count: archiveBlocks,
    unexpected_answers_count: t.unexpected,
    startup_failures_count: t.startupFailures,
    ...checks.mongo.metrics,
    ...Object.fromEntries(Object.entries(checks.p2p.metrics).map(([k, v]) => [`p2p_${k}`, v])),
    ...Object.fromEntries(Object.entries(checks.power.metrics).map(([k, v]) => [`power_cut_${k}`, v]))
  }
}

/** Under which conditions the suite ran. */
function faultsConditions(ctx: CycleContext, seed: number, t: Tally, more: FaultsOptions, checks: LaterChecks): Record<string, string | number | boolean> {
  const { mongo, power } = checks
  return {
    server: `lucid serve --load-test --seed-demo --validators ${ctx.validators} (child process, kill -9)`,
    data: ctx.dataDir,
    seed,
    moments: [...t.byMoment].map(([m, n]) => `${m} ${n}`).join(', '),
    recovery: 'spawn of the new process to its first 200 from /health (node and tsx start-up included)',
    // "run against <server> ..." or "skipped: <why>"; a skipped check is never counted as passed, only as skipped.
    validator_processes:
      more.p2pCycles === false
        ? 'skipped: left out by the caller'
        : '4 lucid node processes on loopback over js-libp2p, 1 s slots; kill -9 of one at a time at a random instant of a slot, restart from its archive and record',
    mongodb: mongo.ran ? `run against ${mongo.condition}` : mongo.condition,
    power_cut: 'skipped' in power.conditions ? `skipped: ${String(power.conditions.skipped)}` : String(power.conditions.server)
  }
}

/** How long a restarted chain may take to finalise a new block. */
const ADVANCE_BOUND_MS = 60_000

/** Ms until /chain/info reports a final height above the one at the first answer, or undefined after `boundMs`. */
async function untilChainAdvances(base: string, boundMs: number): Promise<number | undefined> {
  const t0 = performance.now()
  const first = ((await call(base, 'GET', '/chain/info')).json as { finalized_height: number }).finalized_height
  while (performance.now() - t0 < boundMs) {
    await sleep(100)
    const h = ((await call(base, 'GET', '/chain/info')).json as { finalized_height: number }).finalized_height
    if (h > first) return performance.now() - t0
  }
  return undefined
}

/** Waits for the chosen moment, then SIGKILLs the server. */
async function killAt(moment: KillMoment, srv: ServeChild, work: ReturnType<typeof startWorkload>, ledger: Ledger, rng: Rng): Promise<void> {
  if (moment === 'vote' || moment === 'prevote') {
    // The watch already waited for the moment: kill at once.
  } else if (moment === 'upload' || moment === 'startup') {
    await sleep(rng.int(300, 3000))
  } else if (moment === 'create' || moment === 'finalise') {
    await sleep(rng.int(200, 1500))
    await new Promise<void>((resolve) => {
      work.force({ kind: moment, sent: resolve })
    })
    await sleep(rng.int(0, moment === 'create' ? 10 : 15))
  } else {
    await untilNewFinalBlock(srv.url, ledger)
  }
  await srv.kill()
}

/**
 * Waits for the next slot's start (genesis time + k slots), then polls /chain/info until the final height
 * moves, records the new final block as the server reports it, and returns at once: the kill lands at the
 * moment a client has just been told the block is final. Gives up after three slots (the block is then
 * simply killed mid-slot).
 */
async function untilNewFinalBlock(base: string, ledger: Ledger): Promise<void> {
  const info = (await call(base, 'GET', '/chain/info')).json as { finalized_height: number; slot_ms: number }
  const genesis = (await call(base, 'GET', '/chain/blocks/0')).json as { timestamp: number }
  const now = Date.now()
  const nextSlot = genesis.timestamp + Math.ceil((now - genesis.timestamp + 1) / info.slot_ms) * info.slot_ms
  await sleep(Math.max(0, nextSlot - now - 30))
  const giveUp = Date.now() + 3 * info.slot_ms
  while (Date.now() < giveUp) {
    const i = (await call(base, 'GET', '/chain/info')).json as { finalized_height: number; height: number; latest_hash: string }
    if (i.finalized_height > info.finalized_height) {
      // Kill on this very answer (no further request): the narrowest window between "final" told to a
      // client and the block's archive write. The hash is known when the final block is also the head.
      ledger.finalHeightSeen = Math.max(ledger.finalHeightSeen, i.finalized_height)
      if (i.height === i.finalized_height) ledger.finalBlocks.set(i.height, i.latest_hash)
      return
    }
    await sleep(1)
  }
}

/** Starts the server and kills it 0-2.5 s later, during its recovery; returns a problem if it exited by itself. */
async function killDuringStartup(dataDir: string, validators: number, rng: Rng): Promise<string | undefined> {
  let child: import('node:child_process').ChildProcess | undefined
  const started = startServe({
    dataDir,
    validators,
    onSpawn: (c) => {
      child = c
    }
  }).then(
    (s) => s,
    (err: unknown) => err as Error
  )
  await sleep(rng.int(0, 2500))
  const exitedEarly = child !== undefined && child.exitCode !== null
  child?.kill('SIGKILL')
  const r = await started
  if (!(r instanceof Error)) await r.kill()
  if (exitedEarly) return `the restarted server exited by itself before the kill: ${r instanceof Error ? r.message : ''}`
  return undefined
}
