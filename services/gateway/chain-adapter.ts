/**
 * The seam between the gateway and the PoOT chain (services/chain, issue 6).
 *
 * `lucid serve --validators N` asks this module for a ChainPort. No adapter is wired yet: `openChainPort`
 * is undefined, the chain routes answer 503 LUCID_ERR_5004, GET /config and the start-up banner say why,
 * and nothing pretends to be a chain. The chain's entry (services/chain/index.ts) landed as the gateway
 * was finished; adapting it needs three decisions that belong with the chain, not guesses made here:
 *
 * 1. a kind of item for public data anchors (POST /chain/anchor): the chain's only anchor is
 *    `session_anchor {session_id, manifest_hash, merkle_root}`, and a public anchor must never be
 *    mistakable for a session's own;
 * 2. the account the gateway signs with (a key in the data directory) and how its nonce recovers when a
 *    submission is refused (the rules accept each sender's nonces only in sequence, without gaps);
 * 3. whose signature a NodeOperator's POST /transactions carries (the operator's, or the gateway's).
 *
 * Then wiring is this one change: set `openChainPort` to a function that starts createDevnet with
 * `validators` nodes on realScheduler() and maps node 0's ledger, txStatus, head and epoch ranking onto
 * ChainPort (chain-port.ts documents every field). Tests drive the chain routes through a test double
 * (test/gateway/chain-double.ts), never through this module.
 */
import type { ChainPort } from './chain-port.ts'

/** What the adapter is given. */
export interface ChainPortOptions {
  /** Validators run in-process (`--validators N`). */
  readonly validators: number
  /** The gateway's data directory (for the chain's own state, if it keeps any). */
  readonly dataDir: string
}

/** Starts a chain and adapts it to the port. */
export type ChainPortFactory = (opts: ChainPortOptions) => Promise<ChainPort>

/** The adapter, once the chain's entry exists; undefined until then. */
export const openChainPort: ChainPortFactory | undefined = undefined

/** Why there is no chain (printed by `lucid serve`, reported by GET /config). */
export const CHAIN_ABSENT_REASON = 'the PoOT chain (services/chain, issue 6) is not adapted to the gateway yet; chain routes answer 503 LUCID_ERR_5004 and --validators has no effect'
