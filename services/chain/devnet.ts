/**
 * A devnet: N PoOT nodes in one process on one LocalNetwork, keys derived from a seed so a run is
 * reproducible. On real timers it is the `lucid serve --validators N` chain and the benchmarks' subject; on
 * a ManualScheduler it is what the tests (and the simulator) drive.
 */
import { errors } from '../common/errors.ts'
import { createRng } from '../common/rng.ts'
import { checkCertificate, headCommittee } from './certificate.ts'
import { Ledger, type FinalBlock } from './ledger.ts'
import { ChainNode } from './node.ts'
import { DEFAULT_PARAMS } from './params.ts'
import type { Scheduler } from './scheduler.ts'
import { ed25519Signer, ed25519Verifier, type Signer, type Verifier } from './signer.ts'
import { immediateSink, type SignatureSink } from './sink.ts'
import { LocalNetwork, type LinkModel } from './transport.ts'
import { validateBlock } from './validate.ts'
import type { ConsensusStore } from './consensus-store.ts'
import type { ChainParams, Genesis } from './types.ts'

/** Options of createDevnet. */
export interface DevnetOptions {
  /** Number of validators (default 4). */
  readonly nodes?: number
  readonly scheduler: Scheduler
  /** Key seed (default 1). */
  readonly seed?: number
  /** Overrides of the default parameters (e.g. a shorter slot for a smoke run). */
  readonly params?: Partial<ChainParams>
  /** Start of slot 0 (default: the next whole second on the scheduler's clock). */
  readonly genesisTime?: number
  /** Link delays (default 0 ms). */
  readonly link?: LinkModel
  /** Signer factory from a 32-byte seed (default Ed25519; the simulator injects a cost-charging one). */
  readonly signer?: (seed: Uint8Array) => Signer
  /** Verifier shared by the nodes' factories (default: one real Ed25519 verifier per node). */
  readonly verifier?: () => Verifier
  /** One ledger per node to start from (e.g. from replayLedgers after a restart) instead of genesis. */
  readonly ledgers?: readonly Ledger[]
  /**
   * The consensus store of validator `index` (key `id`) on the chain of `genesis`: where it records its votes
   * and lock before they leave it (default: in memory; the gateway gives each validator a file so that a
   * restarted devnet never signs two different votes in a round and keeps its locks).
   */
  readonly consensus?: (index: number, id: string, genesis: Genesis) => ConsensusStore
  /** Which validators send uptime beacons (default all; a test makes one stop). */
  readonly uptimeBeacons?: (index: number) => boolean
  /**
   * Final blocks each node keeps in memory (default all). A devnet whose blocks are archived (the
   * gateway's) keeps a few and reads older ones from the archive; give `ledgers` the same bound
   * (replayLedgers' `retainBlocks`).
   */
  readonly retainBlocks?: number
  /** Final blocks each node's txStatus indexes (NodeOptions.finalIndexBlocks; default a day). */
  readonly finalIndexBlocks?: number
}

/** A running devnet. */
export interface Devnet {
  readonly genesis: Genesis
  readonly nodes: readonly ChainNode[]
  readonly network: LocalNetwork
  start(): void
  stop(): void
}

/**
 * Deterministic 32-byte key seeds: `count` of them from `seed`. From the seeded (non-cryptographic) RNG, so
 * that devnets and fixtures are reproducible: these keys are public knowledge, never for a real deployment.
 */
export function keySeeds(seed: number, count: number): Uint8Array[] {
  const rng = createRng(seed)
  return Array.from({ length: count }, () => rng.fill(new Uint8Array(32)))
}

/** A genesis for `validators`, each with equal bootstrap credits and full uptime. */
export function devnetGenesis(validators: readonly Signer[], genesisTime: number, params: Partial<ChainParams> = {}, chainId = 'lucid-devnet'): Genesis {
  return {
    chain_id: chainId,
    genesis_time: genesisTime,
    // A parameter given as undefined is left out, as in a genesis written before it (e.g. anchor_rules: rules 1).
    params: Object.fromEntries(Object.entries({ ...DEFAULT_PARAMS, ...params }).filter(([, v]) => v !== undefined)) as unknown as ChainParams,
    validators: validators.map((v) => ({ node_id: v.publicKey, credits: 1000, uptime_bp: 10_000 })).sort((a, b) => (a.node_id < b.node_id ? -1 : 1))
  }
}

/** Builds a devnet (not started). */
export function createDevnet(opts: DevnetOptions): Devnet {
  const n = opts.nodes ?? 4
  const makeSigner = opts.signer ?? ed25519Signer
  const signers = keySeeds(opts.seed ?? 1, n).map(makeSigner)
  const now = opts.scheduler.clock.now()
  const genesis = devnetGenesis(signers, opts.genesisTime ?? Math.ceil((now + 1) / 1000) * 1000, opts.params)
  const network = new LocalNetwork(opts.scheduler, opts.link)
  if (opts.ledgers !== undefined && (opts.ledgers.length !== n || opts.ledgers.some((l) => JSON.stringify(l.genesis) !== JSON.stringify(genesis)))) {
    throw new errors.InvalidBlock(`the ${opts.ledgers.length} ledgers given are not ${n} ledgers of this devnet's genesis`)
  }
  const nodes = signers.map(
    (signer, i) =>
      new ChainNode({
        genesis,
        signer,
        verifier: opts.verifier?.() ?? ed25519Verifier(),
        scheduler: opts.scheduler,
        connect: (id, handler) => network.join(id, handler),
        uptimeBeacons: opts.uptimeBeacons?.(i) ?? true,
        ...(opts.retainBlocks !== undefined ? { retainBlocks: opts.retainBlocks } : {}),
        ...(opts.finalIndexBlocks !== undefined ? { finalIndexBlocks: opts.finalIndexBlocks } : {}),
        ...(opts.consensus !== undefined ? { consensus: opts.consensus(i, signer.publicKey, genesis) } : {}),
        ...(opts.ledgers?.[i] !== undefined ? { ledger: opts.ledgers[i] } : {})
      })
  )
  return {
    genesis,
    nodes,
    network,
    start: () => {
      for (const node of nodes) node.start()
    },
    stop: () => {
      for (const node of nodes) node.stop()
    }
  }
}

const TRUST_VERIFIED: SignatureSink = { check() {} }

/**
 * Rebuilds `count` ledgers from archived final blocks (readArchive), e.g. when `lucid serve` restarts on its
 * data directory. The first ledger validates every block as a live node would and verifies every signature,
 * each block's own certificate included, so that it keeps the archived certificates (an export after the
 * restart is the export before it); the others replay the blocks it accepted without verifying the same
 * signatures again. Each ledger gets its own copy of the blocks: nodes share no object. Throws the
 * LUCID_ERR_5xxx of the first block that fails. `opts.retainBlocks` bounds the blocks each ledger keeps in
 * memory (Ledger), the state being complete either way.
 */
export function replayLedgers(genesis: Genesis, blocks: readonly FinalBlock[], count: number, opts: { readonly retainBlocks?: number } = {}): Ledger[] {
  const ledgers: Ledger[] = []
  for (let i = 0; i < count; i++) {
    const ledger = new Ledger(genesis, opts)
    const sigs = i === 0 ? immediateSink(ed25519Verifier()) : TRUST_VERIFIED
    for (const archived of blocks) {
      const f = JSON.parse(JSON.stringify(archived)) as FinalBlock
      const valid = validateBlock(ledger.state, f.block, { sigs })
      if (i === 0) checkCertificate(f.certificate, f.block.header.height, valid.hash, headCommittee(valid.delta, f.certificate), sigs)
      ledger.append(valid, f.certificate)
    }
    ledgers.push(ledger)
  }
  return ledgers
}
