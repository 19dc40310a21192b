/**
 * `lucid chain export`: the whole chain as one JSON document an independent program can check
 * (docs/chain.md, "Export"; test/chain/recompute.py recomputes every hash and root from it).
 */
import { genesisHash } from './encoding.ts'
import type { FinalBlock } from './ledger.ts'
import type { Genesis } from './types.ts'

/**
 * The export schema. Version 2 came with the voting rounds: a certificate carries the `round` its precommits
 * were cast in (docs/chain.md, "Voting rounds"). A version-2 document may still hold round-less certificates
 * of the first format, for blocks finalised before the rounds (an old archive is still read).
 */
export const CHAIN_EXPORT_SCHEMA = 'lucid-chain-export/2'

/** The export document. */
export interface ChainExport {
  readonly schema: typeof CHAIN_EXPORT_SCHEMA
  readonly genesis: Genesis
  readonly genesis_hash: string
  /** Final blocks from height 1, each with its hash and certificate. */
  readonly blocks: readonly FinalBlock[]
}

/** The export document of a chain. */
export function chainExport(genesis: Genesis, blocks: readonly FinalBlock[]): ChainExport {
  return {
    schema: CHAIN_EXPORT_SCHEMA,
    genesis,
    genesis_hash: genesisHash(genesis),
    blocks: blocks.map((f) => ({ block: f.block, hash: f.hash, certificate: f.certificate }))
  }
}
