/**
 * Default consensus parameters and their sanity check. The defaults follow the original where it is
 * explicit (10 s slots, 5 s leader timeout, 5 ranked fallbacks, 3 attempts, 16-slot cooldown, 1 MB blocks,
 * uptime >= 0.2) and are chosen here where it is silent or self-defeating (docs/chain.md, "Parameters").
 */
import { errors } from '../common/errors.ts'
import { BEACONS_PER_EPOCH } from './schedule.ts'
import type { ChainParams } from './types.ts'

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
  max_clock_skew_ms: 500
}

/** Throws LUCID_ERR_5001 unless every parameter is a sensible integer. */
export function checkParams(p: ChainParams): ChainParams {
  const ints = Object.entries(p) as Array<[string, unknown]>
  for (const [k, v] of ints) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new errors.LUCID_ERR_5001(`parameter ${k} must be a non-negative integer`)
  }
  if (p.slot_ms < 1 || p.leader_timeout_ms >= p.slot_ms) throw new errors.LUCID_ERR_5001('leader_timeout_ms must be shorter than slot_ms')
  if (p.fallback_attempts > p.fallbacks) throw new errors.LUCID_ERR_5001('fallback_attempts cannot exceed fallbacks')
  if (p.committee_size < 1 || p.slots_per_epoch < 1 || p.max_block_txs < 1)
    throw new errors.LUCID_ERR_5001('committee_size, slots_per_epoch and max_block_txs must be positive')
  // Fewer slots than beacon windows would leave windows without a slot, capping every uptime below 1.
  if (p.slots_per_epoch < BEACONS_PER_EPOCH)
    throw new errors.LUCID_ERR_5001(`slots_per_epoch must be at least ${BEACONS_PER_EPOCH} (a slot in every uptime beacon window)`)
  if (p.min_uptime_bp > 10_000) throw new errors.LUCID_ERR_5001('min_uptime_bp is at most 10000')
  return p
}
