/**
 * `lucid chain export`: the whole chain as one JSON document an independent program can check
 * (docs/chain.md, "Export"; test/chain/recompute.py recomputes every hash and root from it).
 */
import { genesisHash } from './encoding.ts'
import type { FinalBlock } from './ledger.ts'
import type { Genesis } from './types.ts'

/** The export document. */
export interface ChainExport {
  readonly schema: 'lucid-chain-export/1'
  readonly genesis: Genesis
  readonly genesis_hash: string
  /** Final blocks from height 1, each with its hash and certificate. */
  readonly blocks: readonly FinalBlock[]
}

/** The export document of a chain. */
export function chainExport (genesis: Genesis, blocks: readonly FinalBlock[]): ChainExport {
  return { schema: 'lucid-chain-export/1', genesis, genesis_hash: genesisHash(genesis), blocks: blocks.map((f) => ({ block: f.block, hash: f.hash, certificate: f.certificate })) }
}
