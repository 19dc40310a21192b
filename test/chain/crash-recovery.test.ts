/**
 * Crash recovery of the voting rounds (issue: "PoOT consensus that never stalls", reproduction 4): the
 * validators are killed while a height is being voted on, above the height the archive holds, and restarted
 * from the archive and their consensus records (fileConsensusStore: real files, real fsync).
 *
 * Before the voting rounds, a validator that had recorded a vote for a candidate refused every other block at
 * that height, and the candidate itself lived only in memory: after a restart, and after a second one, the
 * chain never finalised that height again. Now a prevote binds only its round, a lock is kept with the locked
 * block itself (which the record holds, so it can be proposed and voted for again), and the chain goes on
 * after one restart. Time is a ManualScheduler; the records' writes are real, so the test waits for them.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ChainNode,
  Ledger,
  ManualScheduler,
  devnetGenesis,
  ed25519Signer,
  fileConsensusStore,
  keySeeds,
  replayLedgers,
  type ConsensusRecord,
  type ConsensusStore,
  type FinalBlock,
  type Genesis,
  type Message,
  type Signer
} from '../../services/chain/index.ts'

const T0 = 1_000_000
const SLOT = 2000
const PARAMS = { slot_ms: SLOT, leader_timeout_ms: 1000 }

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lucid-crash-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Which messages a test lets through: (from, to, message) -> deliver? */
type Filter = (from: number, to: number, msg: Message) => boolean

/** Four validators on one manual clock with file consensus records in `sub` (or the stores it makes), messages passing `filter`. */
function boot(
  genesis: Genesis,
  signers: readonly Signer[],
  sched: ManualScheduler,
  sub: string | ((i: number) => ConsensusStore),
  ledgers: readonly Ledger[],
  filter: Filter
): ChainNode[] {
  const handlers = new Map<string, (from: string, data: string) => void>()
  const index = new Map(signers.map((s, i) => [s.publicKey, i]))
  const deliver = (from: string, to: string, data: string): void => {
    if (!filter(index.get(from) ?? -1, index.get(to) ?? -1, JSON.parse(data) as Message)) return
    sched.at(sched.clock.now() + 10, () => {
      handlers.get(to)?.(from, data)
    })
  }
  return signers.map(
    (signer, i) =>
      new ChainNode({
        genesis,
        signer,
        scheduler: sched,
        ledger: ledgers[i] as Ledger,
        consensus: typeof sub === 'string' ? fileConsensusStore(join(dir, sub, `${i}.json`)) : sub(i),
        connect: (id, handler) => {
          handlers.set(id, handler)
          return {
            broadcast: (data) => {
              for (const to of handlers.keys()) if (to !== id) deliver(id, to, data)
            },
            send: (to, data) => {
              deliver(id, to, data)
            }
          }
        }
      })
  )
}

/** Advances the clock in steps, letting the records' real writes complete between them. */
async function run(sched: ManualScheduler, nodes: readonly ChainNode[], ms: number, until: () => boolean = () => false): Promise<void> {
  const end = sched.clock.now() + ms
  while (sched.clock.now() < end && !until()) {
    sched.advance(5)
    await Promise.all(
      nodes.map(async (n) => {
        await n.flush()
      })
    )
    await new Promise((resolve) => setImmediate(resolve))
  }
}

function setup(): { genesis: Genesis; signers: Signer[]; sched: ManualScheduler } {
  const signers = keySeeds(11, 4).map(ed25519Signer)
  const sched = new ManualScheduler(undefined, T0 - 1)
  return { genesis: devnetGenesis(signers, T0, PARAMS), signers, sched }
}

/** The height a message is about (undefined for transactions and requests for final blocks). */
function msgHeight(m: Message): number | undefined {
  switch (m.t) {
    case 'proposal':
      return m.proposal.height
    case 'vote':
      return m.vote.height
    case 'commit':
      return m.certificate.height
    case 'block':
      return m.block.header.height
    case 'want_block':
      return m.height
    default:
      return undefined
  }
}

const isVote = (m: Message, type: 'prevote' | 'precommit', height: number): boolean => m.t === 'vote' && m.vote.type === type && m.vote.height === height

test('validators killed after locking on a block above the archive finalise it after one restart', { timeout: 120_000 }, async () => {
  const { genesis, signers, sched } = setup()
  // Height 4's precommits never arrive: every validator prevotes, sees the quorum, locks and precommits (its
  // record durable first), but no certificate forms.
  let nodes = boot(
    genesis,
    signers,
    sched,
    'locked',
    signers.map(() => new Ledger(genesis)),
    (_f, _t, m) => !isVote(m, 'precommit', 4) && !(m.t === 'commit')
  )
  for (const n of nodes) n.start()
  await run(sched, nodes, 40 * SLOT, () => nodes.every((n) => n.consensusState().locked !== undefined && n.consensusState().height === 4))
  assert.ok(
    nodes.every((n) => n.ledger.head().height === 3),
    'height 3 final everywhere, height 4 not'
  )
  const locked = nodes.map((n) => n.consensusState().locked?.block_hash)
  assert.ok(
    locked.every((h) => h !== undefined && h === locked[0]),
    'every validator is locked on the one block of height 4'
  )
  const archive: FinalBlock[] = (nodes[0] as ChainNode).ledger.range(1, 3)
  for (const n of nodes) n.stop()

  // kill -9: the nodes' memory is gone; the archive holds heights 1..3 and each record its lock and block.
  const record = JSON.parse(await readFile(join(dir, 'locked', '0.json'), 'utf8')) as ConsensusRecord
  assert.equal(record.height, 4)
  assert.equal(record.locked?.block_hash, locked[0])
  assert.ok(
    record.blocks.some((b) => b.header.height === 4),
    'the record holds the locked block itself'
  )

  const finals: string[] = []
  nodes = boot(genesis, signers, sched, 'locked', replayLedgers(genesis, archive, 4), () => true)
  for (const n of nodes) {
    n.on({
      final: (fin) => {
        if (fin.block.header.height === 4) finals.push(fin.hash)
      }
    })
    n.start()
  }
  await run(sched, nodes, 20 * SLOT, () => nodes.every((n) => n.ledger.head().height >= 6))
  for (const n of nodes) n.stop()
  assert.ok(
    nodes.every((n) => n.ledger.head().height >= 6),
    `the chain went on: heights ${nodes.map((n) => n.ledger.head().height).join(', ')}`
  )
  assert.ok(finals.length === 4 && finals.every((h) => h === locked[0]), 'height 4 became final with the block every validator was locked on')
})

test('reproduction 4: two validators killed after voting for a candidate that lived only in memory: the chain goes on after one restart', {
  timeout: 120_000
}, async () => {
  const { genesis, signers, sched } = setup()
  // At height 4 validators 2 and 3 are cut off: 0 and 1 prevote the proposals they see (and record it), no
  // quorum forms, and the candidate blocks exist only in memory.
  const prevoted = new Set<number>()
  const cut: Filter = (from, to, m) => {
    if (msgHeight(m) !== 4) return true
    if (from >= 2 || to >= 2) return false
    if (isVote(m, 'prevote', 4)) prevoted.add(from)
    return true
  }
  let nodes = boot(
    genesis,
    signers,
    sched,
    'prevoted',
    signers.map(() => new Ledger(genesis)),
    cut
  )
  for (const n of nodes) n.start()
  await run(sched, nodes, 40 * SLOT, () => prevoted.size === 2 && nodes.every((n) => n.consensusState().height === 4))
  assert.ok(
    nodes.every((n) => n.ledger.head().height === 3),
    `heights ${nodes.map((n) => n.ledger.head().height).join(', ')}`
  )
  const archive = (nodes[0] as ChainNode).ledger.range(1, 3)
  for (const n of nodes) n.stop()
  const recorded = await Promise.all(
    [0, 1, 2, 3].map(async (i) => JSON.parse(await readFile(join(dir, 'prevoted', `${i}.json`), 'utf8').catch(() => 'null')) as ConsensusRecord | null)
  )
  assert.ok(recorded.filter((r) => r?.height === 4 && r.prevote !== undefined).length >= 2, 'at least two validators recorded a prevote at height 4')

  nodes = boot(genesis, signers, sched, 'prevoted', replayLedgers(genesis, archive, 4), () => true)
  for (const n of nodes) n.start()
  await run(sched, nodes, 20 * SLOT, () => nodes.every((n) => n.ledger.head().height >= 6))
  for (const n of nodes) n.stop()
  assert.ok(
    nodes.every((n) => n.ledger.head().height >= 6),
    `the chain went on: heights ${nodes.map((n) => n.ledger.head().height).join(', ')}`
  )
})

test('a restarted validator never signs a second, different prevote in a round it voted in', { timeout: 60_000 }, async () => {
  const { genesis, signers, sched } = setup()
  const sent: Array<{ voter: number; round: number; hash: string }> = []
  const watch: Filter = (from, _to, m) => {
    if (isVote(m, 'prevote', 1) && m.t === 'vote') sent.push({ voter: from, round: m.vote.round, hash: m.vote.block_hash })
    return true
  }
  let nodes = boot(
    genesis,
    signers,
    sched,
    'again',
    signers.map(() => new Ledger(genesis)),
    watch
  )
  for (const n of nodes) n.start()
  await run(sched, nodes, 3 * SLOT, () => sent.length >= 4)
  for (const n of nodes) n.stop()
  // The restart lands in the same round; the records bring back each prevote.
  nodes = boot(
    genesis,
    signers,
    sched,
    'again',
    signers.map(() => new Ledger(genesis)),
    watch
  )
  for (const n of nodes) n.start()
  await run(sched, nodes, 6 * SLOT, () => nodes.every((n) => n.ledger.head().height >= 2))
  for (const n of nodes) n.stop()
  const byKey = new Map<string, Set<string>>()
  for (const v of sent) byKey.set(`${v.voter}/${v.round}`, (byKey.get(`${v.voter}/${v.round}`) ?? new Set()).add(v.hash))
  for (const [k, hashes] of byKey) assert.equal(hashes.size, 1, `validator/round ${k} signed ${hashes.size} different prevotes`)
  assert.ok(nodes.every((n) => n.ledger.head().height >= 2))
})

test('a consensus record that is not one is refused (LUCID_ERR_5001), never read as "never voted"', async () => {
  const file = join(dir, 'bad.json')
  assert.equal(fileConsensusStore(join(dir, 'none.json')).load(), undefined, 'no file: never voted')
  await writeFile(file, '{"height": "x"}')
  assert.throws(
    () => fileConsensusStore(file),
    (err: Error & { code?: string }) => err.code === 'LUCID_ERR_5001'
  )
  const store = fileConsensusStore(join(dir, 'ok.json'))
  await new Promise<void>((resolve, reject) => {
    store.save({ height: 7, prevote: { round: 3, block_hash: 'ab'.repeat(32) }, blocks: [] }, (err) => {
      if (err !== undefined) reject(err)
      else resolve()
    })
  })
  assert.deepEqual(fileConsensusStore(join(dir, 'ok.json')).load(), { height: 7, prevote: { round: 3, block_hash: 'ab'.repeat(32) }, blocks: [] })
})

test('no vote or proposal leaves a validator before the record it depends on is durable', { timeout: 60_000 }, async () => {
  const { genesis, signers, sched } = setup()
  const held: Array<() => void> = []
  let saves = 0
  const slowStore = (): ConsensusStore => ({
    load: () => undefined,
    save(_record, done) {
      saves++
      held.push(() => {
        done()
      })
    },
    flush: async () => {}
  })
  let consensusSent = 0
  // The filter sees every message as it leaves its sender.
  const nodes = boot(
    genesis,
    signers,
    sched,
    () => slowStore(),
    signers.map(() => new Ledger(genesis)),
    (_f, _t, m) => {
      if (m.t !== 'tx') consensusSent++
      return true
    }
  )
  for (const n of nodes) n.start()
  sched.advance(3 * SLOT)
  assert.ok(saves > 0, 'the leader recorded its proposal')
  assert.equal(consensusSent, 0, 'nothing left while the records were not durable')
  while (held.length > 0) (held.shift() as () => void)()
  sched.advance(SLOT)
  for (let i = 0; i < 20 && held.length > 0; i++) {
    while (held.length > 0) (held.shift() as () => void)()
    sched.advance(50)
  }
  assert.ok(consensusSent > 0, 'once durable, the messages left')
  for (const n of nodes) n.stop()
})
