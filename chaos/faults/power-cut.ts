/**
 * Power cuts, not only kill -9 (issue 16): `lucid serve` runs with its data directory on a FUSE
 * passthrough that keeps every unsynced byte in memory (chaos/faults/lazyfs.py, after Jepsen's LazyFS).
 * A cut kills the server and the filesystem process together, so whatever was not fsync'ed is gone, as
 * from a machine's page cache when it loses power; the filesystem is then mounted again over what reached
 * the disk and the server restarted on it.
 *
 * Traffic between cuts: the faults suite's workload (session creations, chunk uploads, finalisations with
 * their chain anchors, public data anchors, anchor look-ups: faults-workload.ts) plus account changes
 * (password registrations, and refresh-token exchanges whose spent tokens must stay spent) and public data
 * anchors whose receipts are recorded. After every
 * restart: every acknowledged session, chunk, finalisation and final anchor is there and whole
 * (faults-ledger.ts, playback checked against the SHA-256 sent), every final block the server reported is
 * still final with the same hash, every acknowledged account logs in, no spent refresh token works again,
 * every acknowledged data anchor's status URL still answers,
 * and beneath the API the database agrees with the chunk files (faults-scan.ts).
 *
 * Needs /dev/fuse, fusermount (Debian fuse3 or fuse) and /usr/bin/python3 with fusepy (Debian
 * python3-fusepy); `fuseUnavailable()` says what is missing, and callers report the run as skipped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { access, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { constants } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { createRng, type Rng } from '../../services/common/rng.ts'
import { Ledger, call, loginAll } from './ledger.ts'
import { errorCodeOf } from '../../services/gateway/client.ts'
import { checkStore } from './scan.ts'
import { startServe, type ServeChild } from './serve.ts'
import { startWorkload } from './workload.ts'
import { powerCutVerdict } from './verdict.ts'
import type { ChaosOptions, ChaosResult } from '../types.ts'

const LAZYFS = fileURLToPath(new URL('./lazyfs.py', import.meta.url))
const PYTHON = '/usr/bin/python3'
const USERS = ['test_user_1', 'test_user_2', 'test_user_3', 'test_user_4']
const PASSWORD = 'test_password_123'

/** Options of a run. */
export interface PowerCutOptions {
  /** Cuts (default: 20 quick, 100 full). */
  cuts?: number
  seed?: number
  /** Validators of the devnet (default 4, as `lucid serve`). */
  validators?: number
  /** Longest stretch of traffic before a cut, ms (default 2500). */
  maxTrafficMs?: number
}

/** Why a power-cut run cannot happen here, or undefined when it can. */
export async function fuseUnavailable(): Promise<string | undefined> {
  try {
    await access('/dev/fuse', constants.R_OK | constants.W_OK)
  } catch {
    return '/dev/fuse is missing or not accessible'
  }
  if (fusermount() === undefined) return 'no fusermount (Debian: apt-get install fuse3)'
  const py = spawnSync(PYTHON, ['-c', 'import fusepy'], { encoding: 'utf8' })
  if (py.status !== 0) {
    const alt = spawnSync(PYTHON, ['-c', 'import fuse'], { encoding: 'utf8' })
    if (alt.status !== 0) return `${PYTHON} cannot import fusepy (Debian: apt-get install python3-fusepy)`
  }
  // Everything is installed; whether this user, in this container, may mount is only known by trying.
  const dir = await mkdtemp(join(tmpdir(), 'lucid-fuse-probe-'))
  try {
    const m = await mount(join(dir, 'b'), join(dir, 'm'))
    await m.cut()
  } catch (err) {
    return `mounting a FUSE filesystem failed: ${(err as Error).message.slice(0, 300)}`
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => {})
  }
  return undefined
}

function fusermount(): string | undefined {
  for (const b of ['fusermount3', 'fusermount']) if (spawnSync('sh', ['-c', `command -v ${b}`]).status === 0) return b
  return undefined
}

/** A mounted lazyfs. */
interface Mount {
  readonly proc: ChildProcess
  readonly point: string
  /** The power cut: the filesystem process is killed (its unsynced pages die with it), then unmounted. */
  cut(): Promise<void>
}

async function mount(backing: string, point: string): Promise<Mount> {
  await mkdir(backing, { recursive: true })
  await mkdir(point, { recursive: true })
  const proc = spawn(PYTHON, [LAZYFS, backing, point], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => {
    if (err.length < 4000) err += s
  })
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  // Mounted when the kernel lists it.
  for (let i = 0; ; i++) {
    const mounts = await readFile('/proc/self/mounts', 'utf8')
    if (mounts.split('\n').some((l) => l.split(' ')[1] === point)) break
    if (proc.exitCode !== null || i > 200) {
      proc.kill('SIGKILL')
      throw new Error(`lazyfs did not mount ${point}: ${err}`)
    }
    await sleep(25)
  }
  return {
    proc,
    point,
    async cut() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
      await exited
      unmount(point)
    }
  }
}

function unmount(point: string): void {
  const bin = fusermount()
  if (bin !== undefined) spawnSync(bin, ['-u', '-z', point], { stdio: 'ignore' })
}

/** An account registered through the API, with the refresh tokens it has spent. */
interface AccountRecord {
  readonly username: string
  readonly password: string
  /** A refresh token exchanged with an acknowledged answer: it must never work again. */
  spent: string[]
}

/** What the cuts counted, gathered as they run; judged by powerCutVerdict (verdict.ts). */
interface CutTally {
  readonly findings: string[]
  readonly ledger: Ledger
  readonly accounts: AccountRecord[]
  /** Data anchor receipts acknowledged (201), by transaction id. */
  readonly dataAnchors: string[]
  anchorsChecked: number
  accountsChecked: number
  lost: number
  torn: number
  checked: number
  unexpected: number
  accountAcks: number
  startupFailures: number
}

function addFindings(t: CutTally, lines: readonly string[], prefix: string): void {
  for (const l of lines) if (t.findings.length < 50) t.findings.push(`${prefix}: ${l}`)
}

/** After a restart: acknowledged sessions, chain, accounts and data anchors are there (all of them after the last cut). */
async function verifyAfterCut(url: string, t: CutTally, cycle: number, last: boolean, rng: Rng): Promise<Map<string, string>> {
  const tokens = await loginAll(url, USERS, PASSWORD)
  const v = await t.ledger.verifySessions(url, tokens, { playAll: last, sample: 2, rand: () => rng.next() })
  const c = await t.ledger.verifyChain(url)
  const a = await verifyAccounts(url, t.accounts, last ? 0 : t.accountsChecked, 2, rng)
  t.accountsChecked = t.accounts.length
  const d = await verifyReceipts(url, t.dataAnchors.slice(last ? 0 : t.anchorsChecked))
  t.anchorsChecked = t.dataAnchors.length
  t.checked += d.checked
  t.lost += d.lost.length
  addFindings(t, d.lost, `cut ${cycle} data anchors`)
  t.checked += v.checked + c.checked + a.checked
  t.lost += v.lost.length + a.lost.length
  t.torn += v.torn.length
  addFindings(t, v.lost, `cut ${cycle} lost`)
  addFindings(t, v.torn, `cut ${cycle} torn`)
  addFindings(t, c.reverted, `cut ${cycle} chain`)
  addFindings(t, a.lost, `cut ${cycle} accounts`)
  await t.ledger.recordFinalBlocks(url, c.finalizedHeight)
  return tokens
}

/** Traffic until a drawn moment, then the cut: the server and the filesystem (with its unsynced pages) die together. */
async function cutUnderTraffic(
  server: ServeChild,
  fs: Mount,
  tokens: Map<string, string>,
  t: CutTally,
  cycle: number,
  rng: Rng,
  maxTrafficMs: number
): Promise<void> {
  const work = startWorkload(server.url, tokens, t.ledger, rng)
  const acct = accountWorker(server.url, t.accounts, t.dataAnchors, rng)
  const moment = rng.next()
  if (moment < 0.2) {
    // Right after a creation or finalisation left the client: the narrowest windows of the workload.
    await sleep(rng.int(200, 1000))
    await new Promise<void>((resolve) => {
      work.force({ kind: moment < 0.1 ? 'create' : 'finalise', sent: resolve })
    })
    await sleep(rng.int(0, 10))
  } else {
    await sleep(rng.int(300, maxTrafficMs))
  }
  await Promise.all([server.kill(), fs.cut()])
  work.stop()
  acct.stop()
  await work.done
  t.accountAcks += await acct.done
  for (const [k, n] of work.unexpected) {
    t.unexpected += n
    if (t.findings.length < 50) t.findings.push(`cut ${cycle}: unexpected answer ${k} (x${n})`)
  }
}

/** Runs the power-cut cycles. */
export async function run(opts: ChaosOptions, more: PowerCutOptions = {}): Promise<ChaosResult> {
  const why = await fuseUnavailable()
  if (why !== undefined) return { metrics: { cuts_count: 0 }, conditions: { skipped: why }, passed: true, findings: [] }
  const seed = more.seed ?? opts.seed ?? 20_261_203
  const rng = createRng(seed)
  const cuts = more.cuts ?? (opts.full ? 100 : 20)
  const validators = more.validators ?? 4
  const backing = join(opts.tmpdir, 'power-backing')
  const point = join(opts.tmpdir, 'power-mnt')
  const dataDir = join(point, 'data')
  const t: CutTally = {
    findings: [],
    ledger: new Ledger(),
    accounts: [],
    dataAnchors: [],
    anchorsChecked: 0,
    accountsChecked: 0,
    lost: 0,
    torn: 0,
    checked: 0,
    unexpected: 0,
    accountAcks: 0,
    startupFailures: 0
  }
  let cycle = 0
  let fs: Mount | undefined
  let server: ServeChild | undefined
  try {
    while (cycle <= cuts) {
      fs = await mount(backing, point)
      await mkdir(dataDir, { recursive: true })
      // Beneath the API, before the server touches it: the database agrees with the chunk files.
      if (cycle > 0) {
        const store = await checkStore(dataDir)
        t.torn += store.torn.length
        addFindings(t, store.torn, `cut ${cycle} store`)
      }
      try {
        server = await startServe({ dataDir, validators, timeoutMs: 180_000 })
      } catch (err) {
        t.startupFailures++
        addFindings(t, [(err as Error).message.slice(0, 600)], `cut ${cycle} restart failed`)
        break
      }
      const tokens = await verifyAfterCut(server.url, t, cycle, cycle === cuts, rng)
      if (cycle === cuts) break
      cycle++
      opts.progress(
        `power-cut: cut ${cycle}/${cuts}; acknowledged ${t.ledger.acknowledged + t.accountAcks}, lost ${t.lost}, torn ${t.torn}, reverted blocks ${t.ledger.revertedCount}`
      )
      // Both stay held until the cut has happened, so that a failure before it still kills them (below).
      await cutUnderTraffic(server, fs, tokens, t, cycle, rng, more.maxTrafficMs ?? 2500)
      server = undefined
      fs = undefined
    }
  } finally {
    await server?.kill()
    await fs?.cut()
  }
  const metrics: Record<string, number> = {
    cuts_count: cycle,
    acknowledged_writes_count: t.ledger.acknowledged + t.ledger.revertedCount + t.accountAcks,
    acknowledged_accounts_count: t.accounts.length,
    acknowledged_data_anchors_count: t.dataAnchors.length,
    checked_writes_count: t.checked,
    lost_writes_count: t.lost,
    torn_records_count: t.torn,
    chain_reverted_count: t.ledger.revertedCount,
    unexpected_answers_count: t.unexpected,
    startup_failures_count: t.startupFailures
  }
  const conditions = {
    server: `lucid serve --load-test --seed-demo --validators ${validators}, data directory on lazyfs (chaos/faults/lazyfs.py)`,
    cut: 'SIGKILL of the server and of the filesystem process together: every byte not fsynced is lost',
    seed
  }
  const { passed } = powerCutVerdict({
    cuts: cycle,
    lostWrites: t.lost,
    tornRecords: t.torn,
    revertedBlocks: t.ledger.revertedCount,
    startupFailures: t.startupFailures,
    unexpectedAnswers: t.unexpected
  })
  return { metrics, conditions, passed, findings: t.findings }
}

/**
 * Account changes until stopped: registrations, and for a registered account a login and a refresh whose
 * spent token is recorded once the exchange was answered. Resolves with the writes acknowledged.
 */
function accountWorker(base: string, accounts: AccountRecord[], anchors: string[], rng: Rng): { stop: () => void; done: Promise<number> } {
  let stopped = false
  const done = (async () => {
    let acks = 0
    while (!stopped) {
      await sleep(rng.int(20, 80))
      try {
        if (rng.next() < 0.25) {
          // A public data anchor: its receipt (201) must answer at its status URL after the cut.
          const r = await call(base, 'POST', '/chain/anchor', { json: { session_id: 'power-cut', data_hash: String(rng.next()) } })
          if (r.status === 201) {
            anchors.push(r.json.tx_id as string)
            acks++
          }
        } else if (accounts.length === 0 || rng.next() < 0.6) {
          const a: AccountRecord = { username: `pc_${rng.int(0, 2 ** 30).toString(36)}_${accounts.length}`, password: `pw-${rng.int(0, 2 ** 30)}`, spent: [] }
          const r = await call(base, 'POST', '/auth/register', { json: { username: a.username, password: a.password } })
          if (r.status === 201) {
            accounts.push(a)
            acks++
          }
        } else {
          const a = accounts[rng.int(0, accounts.length - 1)]!
          const l = await call(base, 'POST', '/auth/login', { json: { username: a.username, password: a.password } })
          if (l.status !== 200) continue
          const r = await call(base, 'POST', '/auth/refresh', { json: { refresh_token: l.json.refresh_token } })
          if (r.status === 200) {
            a.spent.push(l.json.refresh_token as string)
            acks++
          }
        }
      } catch {
        return acks // the cut
      }
    }
    return acks
  })()
  return {
    stop: () => {
      stopped = true
    },
    done
  }
}

/** Every acknowledged data anchor's receipt still answers at its status URL (pending, final, or rejected). */
async function verifyReceipts(base: string, ids: readonly string[]): Promise<{ checked: number; lost: string[] }> {
  const lost: string[] = []
  for (const id of ids) {
    const r = await call(base, 'GET', `/chain/anchor/${id}`)
    if (r.status !== 200) lost.push(`data anchor ${id}: acknowledged with 201, its status URL now answers ${r.status}`)
  }
  return { checked: ids.length, lost }
}

/**
 * Accounts acknowledged since the last check, and `sample` older ones, log in; none of their spent refresh
 * tokens is accepted again. (Every account every time would cost a password hash each, growing per cut.)
 */
async function verifyAccounts(
  base: string,
  accounts: readonly AccountRecord[],
  from: number,
  sample: number,
  rng: Rng
): Promise<{ checked: number; lost: string[] }> {
  const lost: string[] = []
  let checked = 0
  const picked = new Set(accounts.slice(from))
  for (let i = 0; i < sample && from > 0; i++) picked.add(accounts[rng.int(0, from - 1)]!)
  for (const a of picked) {
    checked++
    const l = await call(base, 'POST', '/auth/login', { json: { username: a.username, password: a.password } })
    if (l.status !== 200) lost.push(`account ${a.username}: registration acknowledged, login now ${l.status} ${String(errorCodeOf(l.parsed) ?? '')}`)
    for (const t of a.spent.slice(-2)) {
      checked++
      const r = await call(base, 'POST', '/auth/refresh', { json: { refresh_token: t } })
      if (r.status === 200) lost.push(`account ${a.username}: a refresh token spent with an acknowledged exchange worked again`)
    }
  }
  return { checked, lost }
}
