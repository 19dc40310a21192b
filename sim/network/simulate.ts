/**
 * The simulation: N ChainNodes (the real chain code: validation, voting, finality, the pool, sync) on one
 * virtual clock, connected by a SimNetwork, with crashes, partitions, byzantine producers and a transaction
 * load, run as a deterministic discrete-event simulation. Same options and seed, same run, event for event.
 *
 * What the chain itself does not do and the simulator stands in for (docs/sim.md, "The model"):
 * - Catching up. A ChainNode that missed a block (lost, cut off, crashed) cannot fetch it: the chain's answer
 *   is a sync. At mid-slot each live honest node compares its final height with the best reachable peer's and,
 *   two or more behind, leaves the live protocol, syncs with the chain's syncLedger (every block validated,
 *   every signature charged), and starts a new ChainNode on the synced ledger.
 * - A crash stops the node's process; its final ledger (the archive on disk) and its record of its last vote
 *   (the chain's ConsensusStore: its votes, lock and valid block, synced before any vote leaves a real node) survive; everything else (pool,
 *   pending blocks) is lost, as for a real restart.
 */
import { createRng, type Rng } from '../../services/common/rng.ts'
import {
  ChainNode,
  DEFAULT_PARAMS,
  Ledger,
  devnetGenesis,
  ed25519Signer,
  ed25519Verifier,
  epochInfo,
  keySeeds,
  memoryConsensusStore,
  syncLedger,
  type ChainParams,
  type Genesis,
  type Signer,
  type ConsensusStore,
  type Transport,
  type Verifier
} from '../../services/chain/index.ts'
import { isLucidError } from '../../services/common/errors.ts'
import { FinalArchive } from './archive.ts'
import { Adversary, type AdversaryStats, type Behaviour } from './byzantine.ts'
import { NewcomerWork, creditFigures, type NewcomerOptions } from './credits.ts'
import { DEFAULT_COSTS, type SignatureCosts } from './costs.ts'
import { NodeCpu } from './cpu.ts'
import { computeFigures, type SimFigures } from './figures.ts'
import { meanLatency, type Latency } from './links.ts'
import { Load } from './load.ts'
import { Observer } from './observer.ts'
import { EventQueue } from './queue.ts'
import { SignatureOracle, CostTally, chargedSigner, chargedVerifier, virtualSigner, virtualVerifier, type CostSink } from './signatures.ts'
import { SimNetwork } from './network.ts'
import type { CrashWindow, PartitionWindow } from './spec.ts'

/** What to simulate. */
export interface SimOptions {
  /** Number of validators (>= 1). */
  readonly nodes: number
  /** Virtual duration after genesis, ms. */
  readonly durationMs: number
  /** One-way delay of every link (default 50 ms constant). */
  readonly latency?: Latency
  /** Per-link distributions by node index, overriding `latency`. */
  readonly link?: (from: number, to: number) => Latency
  /** Probability that a message is lost (default 0). */
  readonly loss?: number
  readonly partitions?: readonly PartitionWindow[]
  readonly crashes?: readonly CrashWindow[]
  /** The first `byzantine` nodes by rank (the heaviest committee members) are byzantine (default 0). */
  readonly byzantine?: number
  /** What they do (default equivocate). */
  readonly behaviour?: Behaviour
  /** Seeds keys, delays, losses and the load (default 1). */
  readonly seed?: number
  /** Offered session anchors per second of virtual time (default 0.2). */
  readonly txPerS?: number
  /** Signature costs charged in virtual time (default DEFAULT_COSTS). */
  readonly costs?: SignatureCosts
  /** `virtual` (default) or `real`: real Ed25519 signing and verification, charged the same virtual costs. */
  readonly signatures?: 'virtual' | 'real'
  /** Chain parameters over the defaults. */
  readonly params?: Partial<ChainParams>
  /** Sync a fresh node from the best ledger at the end (default true). */
  readonly freshSync?: boolean
  /** Final blocks each node keeps in memory (default 256; older ones are in the run's archive). */
  readonly retainBlocks?: number
  /**
   * Nodes that join after genesis (after the `nodes` validators, by index): honest newcomers and one operator's
   * identities, registering in the first slots and doing receipted service work (sim/network/credits.ts).
   */
  readonly newcomers?: NewcomerOptions
  /** Validators send their uptime beacons (default true; false to measure what the beacons cost). */
  readonly uptimeBeacons?: boolean
  /** Called every simulated hour with the virtual ms after genesis and the best final height (an event of the run). */
  readonly progress?: (simMs: number, height: number) => void
  /**
   * Called every TICK_EVENTS events (queue.ts) with the virtual ms after genesis and the events run so far: for
   * a wall-clock progress report. Not an event: the run is the same with or without it.
   */
  readonly tick?: (simMs: number, events: number) => void
}

/** A finished run. */
export interface SimResult {
  readonly figures: SimFigures
  readonly genesis: Genesis
  /** Node ids (public keys) by index. */
  readonly ids: readonly string[]
  /** Each node's final ledger at the end (byzantine ones included; each holds its latest `retainBlocks`). */
  readonly ledgers: readonly Ledger[]
  /** Indices of the byzantine nodes. */
  readonly byzantine: readonly number[]
  /**
   * CPU seconds this process spent in the run (figures.wallS's span: the fresh node's sync excluded), every
   * thread of it counted: beside the wall time, what a busy machine changes least.
   */
  readonly runCpuS: number
}

/** One simulated validator: what survives its restarts. */
interface SimNode {
  readonly index: number
  readonly signer: Signer
  readonly verifier: Verifier
  readonly cpu: NodeCpu
  readonly ledger: Ledger
  /** Its consensus record (votes, lock, valid block), kept across its restarts as a real node's synced file is. */
  readonly consensus: ConsensusStore
  readonly adversary: Adversary | undefined
  node: ChainNode | undefined
  crashed: boolean
  syncing: boolean
}

/** Genesis of every simulation: fixed, so a seed fixes every hash. */
export const SIM_GENESIS_TIME = 1_700_000_000_000
/** Blocks per sync batch (syncLedger's default), for the round trips of the sync model. */
const SYNC_BATCH = 256
const HOUR_MS = 3_600_000
const VERIFIED_CACHE = 1024
const FINAL_INDEX_BLOCKS = 16

/** Runs a simulation to its end. */
export async function simulate(opts: SimOptions): Promise<SimResult> {
  return await new Simulation(opts).run()
}

/** The simulation of one run (simulate() is the usual entry). */
export class Simulation {
  readonly queue: EventQueue
  readonly network: SimNetwork
  readonly observer: Observer
  readonly genesis: Genesis
  readonly nodes: readonly SimNode[]
  readonly adversaryStats: AdversaryStats = { equivocations: 0, invalidBlocks: 0, extraVotes: 0, withheldVotes: 0 }
  readonly #o: SimOptions
  readonly #rng: Rng
  readonly #oracle = new SignatureOracle()
  readonly #costs: SignatureCosts
  readonly #jobs: Array<() => Promise<void>> = []
  readonly #load: Load | undefined
  readonly #sync = { rounds: 0, failures: 0, rejoinMs: [] as number[], pending: new Map<number, number>() }
  readonly #latency: (from: number, to: number) => Latency
  readonly #fixedLatency: Latency
  /** Refusals counted by node processes that have since stopped. */
  readonly #refusedBefore = new Map<string, number>()
  readonly #archive = new FinalArchive()
  readonly #work: NewcomerWork | undefined = undefined

  constructor(opts: SimOptions) {
    if (!Number.isSafeInteger(opts.nodes) || opts.nodes < 1) throw new RangeError('a simulation needs at least one node')
    if (!(opts.durationMs > 0)) throw new RangeError('a simulation needs a positive duration')
    this.#o = opts
    this.#costs = opts.costs ?? DEFAULT_COSTS
    const seed = opts.seed ?? 1
    this.#rng = createRng(seed)
    const params = { ...DEFAULT_PARAMS, ...opts.params }
    this.queue = new EventQueue(SIM_GENESIS_TIME)
    this.observer = new Observer(SIM_GENESIS_TIME)
    const fixed: Latency = opts.latency ?? { kind: 'constant', ms: 50 }
    this.#fixedLatency = fixed
    this.#latency = opts.link ?? (() => fixed)

    // Keys, then the genesis, then the nodes renumbered by their rank in epoch 0, so that specs can name the
    // committee (0..K-1) and the byzantine nodes are its heaviest members.
    const real = opts.signatures === 'real'
    const cpus = new Map<string, NodeCpu>()
    const makeSigner = (s: Uint8Array): Signer => {
      const cpu = new NodeCpu(this.queue)
      const signer = real ? chargedSigner(ed25519Signer(s), this.#costs, cpu) : virtualSigner(this.#oracle, s, this.#costs, cpu)
      cpus.set(signer.publicKey, cpu)
      return signer
    }
    const signers = keySeeds(seed, opts.nodes).map(makeSigner)
    this.genesis = devnetGenesis(signers, SIM_GENESIS_TIME, params, 'lucid-sim')
    const rank = new Map(epochInfo(new Ledger(this.genesis).state, 0).ranking.map((r, i) => [r.node, i]))
    signers.sort((a, b) => (rank.get(a.publicKey) ?? Infinity) - (rank.get(b.publicKey) ?? Infinity))
    // Newcomers after the validators, keys of their own streams (the validators' keys, and so every figure of a
    // run without newcomers, stay as they were).
    const honestNew = opts.newcomers?.honest ?? (opts.newcomers === undefined ? 0 : 1)
    const sybils = opts.newcomers?.sybils ?? 0
    const extra = keySeeds(seed ^ 0x5eed, honestNew + sybils).map(makeSigner)
    if (extra.length > 0) {
      const owners = keySeeds(seed ^ 0x0a1e, honestNew + 1).map((s) => (real ? ed25519Signer(s) : virtualSigner(this.#oracle, s, this.#costs)))
      const ids = extra.map((x) => x.publicKey)
      // One owner per honest newcomer; the operator's identities share its one owner key.
      const ownerOf = new Map(ids.map((id, i) => [id, owners[Math.min(i, honestNew)] as Signer]))
      this.#work = new NewcomerWork(
        ids.slice(0, honestNew),
        ids.slice(honestNew),
        ownerOf,
        this.genesis.params,
        opts.newcomers?.typicalBytes ?? 100_000_000_000
      )
      signers.push(...extra)
    }
    const byzantine = Math.min(opts.byzantine ?? 0, opts.nodes)

    this.network = new SimNetwork({
      queue: this.queue,
      rng: this.#rng,
      latency: this.#latency,
      loss: opts.loss ?? 0,
      partitions: opts.partitions ?? [],
      genesisTime: SIM_GENESIS_TIME,
      nodes: signers.length
    })
    const ids = signers.map((s) => s.publicKey)
    const rankOf = new Map(ids.map((id, i) => [id, i]))
    this.nodes = signers.map((signer, index) => {
      const cpu = cpus.get(signer.publicKey) as NodeCpu
      const verifier = this.#verifier(cpu)
      this.network.register(index, signer.publicKey)
      const adversary =
        index < byzantine
          ? new Adversary(
              opts.behaviour ?? 'equivocate',
              signer,
              verifier,
              () => ids,
              (id) => (rankOf.get(id) ?? Infinity) < byzantine,
              this.adversaryStats
            )
          : undefined
      const ledger = new Ledger(this.genesis, { retainBlocks: opts.retainBlocks ?? 256 })
      const n: SimNode = { index, signer, verifier, cpu, ledger, consensus: memoryConsensusStore(), adversary, node: undefined, crashed: false, syncing: false }
      // One listener per ledger (it outlives the node processes that append to it). Adversaries' views do not
      // count: safety and finality are about honest nodes.
      if (adversary === undefined)
        n.ledger.onFinal((fin) => {
          this.observer.final(index, fin, cpu.clock.now(), !n.syncing)
          this.#archive.record(fin)
        })
      return n
    })

    const rate = opts.txPerS ?? 0.2
    if (rate > 0) {
      const accounts = keySeeds(seed ^ 0x10ad, 64).map((s) => (real ? ed25519Signer(s) : virtualSigner(this.#oracle, s, this.#costs)))
      this.#load = new Load(accounts, this.#rng, rate)
    }
  }

  /** A verifier for a node (or a sync), paying `payer`. */
  #verifier(payer: CostSink): Verifier {
    return this.#o.signatures === 'real' ? chargedVerifier(ed25519Verifier(), this.#costs, payer) : virtualVerifier(this.#oracle, this.#costs, payer)
  }

  /** Runs to the end and computes the figures. */
  async run(): Promise<SimResult> {
    const wall0 = performance.now()
    const cpu0 = process.cpuUsage()
    const g = SIM_GENESIS_TIME
    const end = g + this.#o.durationMs
    const slotMs = this.genesis.params.slot_ms
    for (const n of this.nodes) this.#spawn(n)
    for (let t = g + slotMs / 2; t < end; t += slotMs)
      this.queue.at(t, () => {
        this.#catchUp()
      })
    for (const c of this.#o.crashes ?? []) {
      this.queue.at(g + c.fromMs, () => {
        for (const i of c.nodes) this.#crash(i)
      })
      this.queue.at(g + c.toMs, () => {
        for (const i of c.nodes) this.#restart(i)
      })
    }
    if (this.#load !== undefined) this.#arrival(this.#load)
    if (this.#work !== undefined) this.#newcomers(this.#work)
    const tick = this.#o.tick
    if (tick !== undefined)
      this.queue.onTick = () => {
        tick(this.queue.now() - g, this.queue.executed)
      }
    if (this.#o.progress !== undefined) {
      const progress = this.#o.progress
      for (let t = g + HOUR_MS; t <= end; t += HOUR_MS)
        this.queue.at(t, () => {
          progress(t - g, this.#best()?.ledger.head().height ?? 0)
        })
    }
    for (;;) {
      const reached = this.queue.runUntil(end)
      for (const job of this.#jobs.splice(0)) await job()
      if (reached) break
    }
    for (const n of this.nodes) n.node?.stop()
    const runWallS = (performance.now() - wall0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const fresh = this.#o.freshSync === false ? undefined : await this.#freshSync()
    const best = this.#best()
    const figures = computeFigures({
      genesis: this.genesis,
      durationMs: this.#o.durationMs,
      chain: this.#archive.blocks(1, best?.ledger.head().height ?? 0),
      honest: this.nodes.filter((n) => n.adversary === undefined).map((n) => ({ ledger: n.ledger, live: !n.crashed })),
      observer: this.observer,
      network: this.network.stats,
      adversary: this.adversaryStats,
      load: this.#load?.stats,
      offeredTxPerS: this.#load?.ratePerS ?? 0,
      sync: { rounds: this.#sync.rounds, failures: this.#sync.failures, rejoinMs: this.#sync.rejoinMs },
      fresh,
      rejected: this.#rejected(),
      runWallS,
      events: this.queue.executed,
      signatures: this.#oracle.issued,
      credits:
        this.#work === undefined || best === undefined ? undefined : creditFigures(best.ledger.state, this.#work.honest, this.#work.sybils, 0, this.#o.nodes),
      faultEndMs: Math.min(this.#o.durationMs, Math.max(0, ...(this.#o.partitions ?? []).map((p) => p.toMs), ...(this.#o.crashes ?? []).map((c) => c.toMs)))
    })
    return {
      figures,
      genesis: this.genesis,
      ids: this.nodes.map((n) => n.signer.publicKey),
      ledgers: this.nodes.map((n) => n.ledger),
      byzantine: this.nodes.filter((n) => n.adversary !== undefined).map((n) => n.index),
      runCpuS: (cpu.user + cpu.system) / 1e6
    }
  }

  /** Starts a node process on the node's ledger. */
  #spawn(n: SimNode): void {
    const adversary = n.adversary
    const node = new ChainNode({
      genesis: this.genesis,
      signer: n.signer,
      verifier: n.verifier,
      scheduler: n.cpu.scheduler,
      ledger: n.ledger,
      consensus: n.consensus,
      uptimeBeacons: this.#o.uptimeBeacons !== false,
      // Enough to cover a few slots of votes and transactions; the default (200k per node) would hold ~5 GB
      // across a hundred nodes over a day.
      verifiedCache: VERIFIED_CACHE,
      // Only txStatus reads the index of final transactions, and nothing here asks it: the default (a day of
      // blocks per node) would only hold a hundred copies of every transaction id.
      finalIndexBlocks: FINAL_INDEX_BLOCKS,
      connect: (_id, handler): Transport => {
        const raw = this.network.join(n.index, n.cpu, adversary === undefined ? handler : adversary.handler(handler))
        return adversary === undefined ? raw : adversary.transport(raw)
      }
    })
    if (adversary !== undefined) adversary.node = node
    else
      node.on({
        candidate: (block, hash) => {
          this.observer.candidate(block, hash)
        }
      })
    n.node = node
    this.network.setDown(n.index, false)
    node.start()
  }

  /** Takes a node's process away (crash, or leaving the live protocol to sync). */
  #halt(n: SimNode): void {
    if (n.node !== undefined && n.adversary === undefined)
      for (const [code, c] of n.node.rejected) this.#refusedBefore.set(code, (this.#refusedBefore.get(code) ?? 0) + c)
    n.node?.stop()
    n.node = undefined
    this.network.setDown(n.index, true)
  }

  #crash(index: number): void {
    const n = this.nodes[index] as SimNode
    n.crashed = true
    this.#halt(n)
  }

  #restart(index: number): void {
    const n = this.nodes[index] as SimNode
    if (!n.crashed) return
    n.crashed = false
    this.#sync.pending.set(index, this.queue.now())
    // A sync in flight at the crash finishes into #rejoin, which starts the node then.
    if (!n.syncing) this.#rejoin(n)
  }

  /** The honest node with the highest final height (lowest index on ties). */
  #best(): SimNode | undefined {
    let best: SimNode | undefined
    for (const n of this.nodes) if (n.adversary === undefined && (best === undefined || n.ledger.head().height > best.ledger.head().height)) best = n
    return best
  }

  /** The live honest peer reachable from `n` with the highest final height, if any is 2 or more ahead. */
  #aheadOf(n: SimNode, now: number): SimNode | undefined {
    let best: SimNode | undefined
    const own = n.ledger.head().height
    for (const p of this.nodes) {
      if (p === n || p.adversary !== undefined || p.node === undefined || !this.network.reachable(n.index, p.index, now)) continue
      if (p.ledger.head().height >= own + 2 && (best === undefined || p.ledger.head().height > best.ledger.head().height)) best = p
    }
    return best
  }

  /** Mid-slot: every live honest node far enough behind a reachable peer leaves to sync. */
  #catchUp(): void {
    const now = this.queue.now()
    let top = 0
    for (const n of this.nodes) if (n.adversary === undefined) top = Math.max(top, n.ledger.head().height)
    for (const n of this.nodes) {
      if (n.node === undefined || n.adversary !== undefined || n.ledger.head().height + 2 > top) continue
      const peer = this.#aheadOf(n, now)
      if (peer === undefined) continue
      this.#sync.pending.set(n.index, now)
      this.#halt(n)
      this.#startSync(n, peer)
    }
  }

  /**
   * Syncs `n` from `peer` with the chain's syncLedger; the virtual time it takes is one round trip per batch
   * of 256 blocks plus the charged cost of every signature verified (one core), after which the node rejoins.
   */
  #startSync(n: SimNode, peer: SimNode): void {
    n.syncing = true
    this.#sync.rounds++
    const startedAt = this.queue.now()
    const rtt = meanLatency(this.#latency(n.index, peer.index)) + meanLatency(this.#latency(peer.index, n.index))
    this.#jobs.push(async () => {
      const tally = new CostTally()
      const from = n.ledger.head().height
      try {
        await syncLedger(n.ledger, this.#archive.source(peer.ledger), { verifier: this.#verifier(tally) })
      } catch (err) {
        // A peer on another fork (only after a safety violation) or serving what fails validation.
        if (!isLucidError(err)) throw err
        this.#sync.failures++
      }
      const blocks = n.ledger.head().height - from
      this.queue.at(startedAt + Math.ceil(Math.max(1, blocks) / SYNC_BATCH) * rtt + tally.ms, () => {
        n.syncing = false
        this.#rejoin(n)
      })
    })
    this.queue.interrupt()
  }

  /** After a sync or a restart: sync (again) while a reachable peer is 2 or more ahead, else go live. */
  #rejoin(n: SimNode): void {
    if (n.crashed) return
    const peer = this.#aheadOf(n, this.queue.now())
    if (peer !== undefined) {
      this.#startSync(n, peer)
      return
    }
    const since = this.#sync.pending.get(n.index)
    if (since !== undefined) {
      this.#sync.rejoinMs.push(this.queue.now() - since)
      this.#sync.pending.delete(n.index)
    }
    this.#spawn(n)
  }

  /**
   * The newcomers register in slot 1 and work from slot 2 on, each through its own node, a second into each slot
   * (after the block of the slot: the proof's slot is the slot it is filed in).
   */
  #newcomers(work: NewcomerWork): void {
    const g = SIM_GENESIS_TIME
    const slotMs = this.genesis.params.slot_ms
    const workers = this.nodes.slice(this.#o.nodes)
    for (let slot = 1; g + slot * slotMs < g + this.#o.durationMs; slot++) {
      const s = slot
      this.queue.at(g + s * slotMs + 1000, () => {
        for (const n of workers) {
          const node = n.node
          if (node === undefined) continue
          n.cpu.run(() => {
            if (s === 1) work.register(node, n.signer, n.cpu.clock.now())
            else work.slot(node, n.signer, s, n.cpu.clock.now())
          })
        }
      })
    }
  }

  /** The next transaction of the load, to a random live honest node. */
  #arrival(load: Load): void {
    this.queue.at(this.queue.now() + load.gapMs(), () => {
      const live = this.nodes.filter((n) => n.node !== undefined && n.adversary === undefined)
      const target = live[this.#rng.int(0, live.length - 1)]
      if (target?.node !== undefined) {
        const node = target.node
        target.cpu.run(() => {
          const { tx, accepted, refused } = load.next(target.cpu.clock.now())
          try {
            node.submit(tx)
            accepted()
          } catch (err) {
            if (!isLucidError(err)) throw err
            refused()
          }
        })
      }
      this.#arrival(load)
    })
  }

  /** Messages refused by the honest nodes, by error code. */
  #rejected(): Record<string, number> {
    const out: Record<string, number> = Object.fromEntries(this.#refusedBefore)
    for (const n of this.nodes) {
      if (n.adversary !== undefined || n.node === undefined) continue
      for (const [code, count] of n.node.rejected) out[code] = (out[code] ?? 0) + count
    }
    return out
  }

  /** A fresh node syncs the best ledger: virtual time by the sync model, and the real time the code took. */
  async #freshSync(): Promise<{ blocks: number; signatures: number; virtualMs: number; wallMs: number } | undefined> {
    const best = this.#best()
    if (best === undefined || best.ledger.head().height === 0) return undefined
    const tally = new CostTally()
    const ledger = new Ledger(this.genesis)
    const t0 = performance.now()
    const r = await syncLedger(ledger, this.#archive.source(best.ledger), { verifier: this.#verifier(tally) })
    const wallMs = performance.now() - t0
    // The fresh node is not one of the N: its link to the peer is the network's default distribution.
    const rtt = 2 * meanLatency(this.#fixedLatency)
    return { blocks: r.blocks, signatures: r.signatures, virtualMs: Math.ceil(r.blocks / SYNC_BATCH) * rtt + tally.ms, wallMs }
  }
}
