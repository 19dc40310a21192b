/**
 * The chain component's cases (docs/interfaces.md section 2). Validation and sync verification rates are set
 * beside baseline.ed25519's raw one-core verification rate of the same run.
 */
import type { CaseDef } from '../../harness/registry.ts'

const mod = (f: string): string => new URL(f, import.meta.url).href
const CASES = mod('./cases.ts')
const SIM = 'simulated: 100 nodes of the real chain code on a virtual clock, virtual signatures charged their measured cost'
const DEVNET = 'real-time devnet: 4 nodes in one process, real timers and Ed25519 signatures, 10 s slots (smoke: 2 s)'
const P2P =
  'over real sockets: 4 validator processes (lucid node) on loopback through js-libp2p and gossipsub, 10 s slots (smoke: 2 s), load and observation from a following node; bytes on the wire per block'

/** The chain cases. */
export const chainCases: readonly CaseDef[] = [
  {
    id: 'chain.block_interval',
    component: 'chain',
    description: `${DEVNET}; intervals between consecutive final blocks at 10 anchors/s`,
    module: CASES,
    export: 'blockInterval',
    timeoutS: { smoke: 60, quick: 240 }
  },
  {
    id: 'chain.consensus',
    component: 'chain',
    description: `${DEVNET}; block proposal to finality certificate at 50 anchors/s`,
    module: CASES,
    export: 'consensus',
    timeoutS: { smoke: 60, quick: 180 }
  },
  {
    id: 'chain.tx_throughput',
    component: 'chain',
    description: `${DEVNET}; anchors offered at 300/s, final transactions per second; block validation on one core`,
    module: CASES,
    export: 'txThroughput',
    timeoutS: { smoke: 60, quick: 180 },
    baselines: [{ id: 'baseline.ed25519', metrics: { validate_signatures_per_s: 'verify_per_s', validate_tx_per_s: 'verify_per_s' } }]
  },
  {
    id: 'chain.block_interval_p2p',
    component: 'chain',
    description: `${P2P}; intervals between consecutive final blocks at 10 anchors/s`,
    module: CASES,
    export: 'blockIntervalP2p',
    timeoutS: { smoke: 120, quick: 300 }
  },
  {
    id: 'chain.consensus_p2p',
    component: 'chain',
    description: `${P2P}; block proposal to finality certificate at 50 anchors/s`,
    module: CASES,
    export: 'consensusP2p',
    timeoutS: { smoke: 120, quick: 240 }
  },
  {
    id: 'chain.tx_throughput_p2p',
    component: 'chain',
    description: `${P2P}; anchors offered at 300/s, final transactions per second`,
    module: CASES,
    export: 'txThroughputP2p',
    timeoutS: { smoke: 120, quick: 240 },
    baselines: [{ id: 'baseline.ed25519', metrics: { validate_signatures_per_s: 'verify_per_s', validate_tx_per_s: 'verify_per_s' } }]
  },
  {
    id: 'chain.anchoring',
    component: 'chain',
    description: `${DEVNET}; session anchors at 20/s: receipt, inclusion and finality latencies`,
    module: CASES,
    export: 'anchoring',
    timeoutS: { smoke: 60, quick: 180 }
  },
  {
    id: 'chain.sync',
    component: 'chain',
    description: 'a fresh node syncs one day of chain (8640 blocks, 1 anchor/s, committee of 16) from a peer, verifying everything on all cores',
    module: mod('./sync.ts'),
    export: 'run',
    timeoutS: { smoke: 120, quick: 300 },
    baselines: [{ id: 'baseline.ed25519', metrics: { sync_verify_per_core_per_s: 'verify_per_s' } }]
  },
  {
    id: 'chain.sync_p2p',
    component: 'chain',
    description:
      'the chain.sync day synced over real sockets: a lucid node process serves its archive through js-libp2p request/response; a fresh host syncs and verifies it on all cores',
    module: mod('./sync.ts'),
    export: 'runP2p',
    timeoutS: { smoke: 180, quick: 600 }
  },
  {
    id: 'chain.sim_wan',
    component: 'chain',
    description: `${SIM}; 50 ms one-way latency, 1 % message loss (smoke 30 min, quick 4 h, full 24 h simulated)`,
    module: mod('./sim.ts'),
    export: 'simWan',
    timeoutS: { smoke: 60, quick: 300, full: 1200 }
  },
  {
    id: 'chain.battery',
    component: 'chain',
    description:
      'the consensus battery (docs/sim.md): loss, healing partitions, f byzantine members (equivocate, silent, double), crashes; every run judged on safety and stalls (smoke: 4 nodes, 20 min, 2 seeds; quick and full: the quick battery, 4 and 20 nodes, 30 min, 20 seeds)',
    module: mod('./battery.ts'),
    export: 'run',
    timeoutS: { smoke: 180, quick: 2400, full: 2400 }
  },
  {
    id: 'chain.sim_partition',
    component: 'chain',
    description: `${SIM}; 50 ms, a partition leaving 11 of 16 committee members on one side for a third of the run, then healed`,
    module: mod('./sim.ts'),
    export: 'simPartition',
    timeoutS: { smoke: 60, quick: 300, full: 900 }
  }
]
