/**
 * Default consensus parameters and their sanity check. The defaults follow the original where it is
 * explicit (10 s slots, 5 s leader timeout, 5 ranked fallbacks, 3 attempts, 16-slot cooldown, 1 MB blocks,
 * uptime >= 0.2) and are chosen here where it is silent or self-defeating (docs/chain.md, "Parameters").
 */
import { errors } from '../common/errors.ts'
import { CURRENT_ANCHOR_RULES } from './label.ts'
import { BEACONS_PER_EPOCH } from './schedule.ts'
import type { ChainParams } from './types.ts'

/** The credit parameters of a chain, its genesis's or (for a genesis written before them) the defaults. */
export interface CreditParams {
  readonly produce_credits: number
  readonly vote_credits: number
  readonly service_share_bp: number
  readonly max_session_bytes: number
}

/**
 * The default credit parameters (docs/chain.md, "Credits"): a block gives 100 consensus credits to its parent's
 * voters by weight, 864k a day of 10 s slots; service credits count up to a tenth of that (the share that sets
 * how fast an operator flooding receipted claims can gain weight: the E2 bound); a session declares at most 100
 * GB. Producing earns nothing by default: leader slots go round the eligible nodes per identity (cooldown), so
 * crediting them would pay an operator for splitting into many identities.
 */
export const DEFAULT_CREDITS: CreditParams = { produce_credits: 0, vote_credits: 100, service_share_bp: 1_000, max_session_bytes: 100_000_000_000 }

/**
 * The default parameters.
 *
 * - `max_block_txs` 5000: the original's 1000 would pin throughput at exactly 100 tx/s with 10 s slots,
 *   so the seed's "> 100 tx/s" could never be met; 5000 allows 500 tx/s, and the 1 MB size limit binds
 *   first for session anchors (~670 bytes each with their anchor entry: ~1490 fill a block, ~149 tx/s).
 * - `committee_size` 16: finality costs every node K signature verifications per block, and a syncing
 *   node as many again; 16 keeps a day of certificates (8640 x 16 = 138k verifications) to ~7 s on one
 *   core, while 2/3 of 16 tolerates 5 byzantine members.
 */
export const DEFAULT_PARAMS: ChainParams = {
  slot_ms: 10_000,
  leader_timeout_ms: 5_000,
  fallbacks: 5,
  fallback_attempts: 3,
  cooldown_slots: 16,
  max_block_bytes: 1_000_000,
  max_block_txs: 5_000,
  max_tx_bytes: 8_192,
  committee_size: 16,
  slots_per_epoch: 8_640,
  min_uptime_bp: 2_000,
  max_clock_skew_ms: 500,
  ...DEFAULT_CREDITS,
  anchor_rules: CURRENT_ANCHOR_RULES
}

/** The anchor rules of a chain: its genesis's, or 1 for a genesis written before the parameter (label.ts). */
export function anchorRules(p: ChainParams): number {
  return p.anchor_rules ?? 1
}

/** The credit parameters of `p`, defaults filled in (docs/chain.md, "Credits"). */
export function creditParams(p: ChainParams): CreditParams {
  return {
    produce_credits: p.produce_credits ?? DEFAULT_CREDITS.produce_credits,
    vote_credits: p.vote_credits ?? DEFAULT_CREDITS.vote_credits,
    service_share_bp: p.service_share_bp ?? DEFAULT_CREDITS.service_share_bp,
    max_session_bytes: p.max_session_bytes ?? DEFAULT_CREDITS.max_session_bytes
  }
}

/** Throws LUCID_ERR_5001 unless every parameter is a sensible integer. */
export function checkParams(p: ChainParams): ChainParams {
  const ints = Object.entries(p) as Array<[string, unknown]>
  for (const [k, v] of ints) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new errors.InvalidBlock(`parameter ${k} must be a non-negative integer`)
  }
  if (p.slot_ms < 1 || p.leader_timeout_ms >= p.slot_ms) throw new errors.InvalidBlock('leader_timeout_ms must be shorter than slot_ms')
  if (p.fallback_attempts > p.fallbacks) throw new errors.InvalidBlock('fallback_attempts cannot exceed fallbacks')
  if (p.committee_size < 1 || p.slots_per_epoch < 1 || p.max_block_txs < 1)
    throw new errors.InvalidBlock('committee_size, slots_per_epoch and max_block_txs must be positive')
  // Fewer slots than beacon windows would leave windows without a slot, capping every uptime below 1.
  if (p.slots_per_epoch < BEACONS_PER_EPOCH)
    throw new errors.InvalidBlock(`slots_per_epoch must be at least ${BEACONS_PER_EPOCH} (a slot in every uptime beacon window)`)
  if (p.min_uptime_bp > 10_000) throw new errors.InvalidBlock('min_uptime_bp is at most 10000')
  if (p.anchor_rules !== undefined && (p.anchor_rules < 1 || p.anchor_rules > CURRENT_ANCHOR_RULES))
    throw new errors.InvalidBlock(`anchor_rules must be 1..${CURRENT_ANCHOR_RULES}`)
  const c = creditParams(p)
  if (c.service_share_bp > 10_000) throw new errors.InvalidBlock('service_share_bp is at most 10000')
  // Bounded so that credit sums (at most vote_credits per block, max_session_bytes / 5e6 per proof) stay exact.
  if (c.vote_credits > 1_000_000 || c.produce_credits > 1_000_000 || c.max_session_bytes > 1e15)
    throw new errors.InvalidBlock('vote_credits and produce_credits are at most 10^6, max_session_bytes at most 10^15')
  return p
}
