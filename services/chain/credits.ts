/**
 * Work credits of a task proof, by the original's rules (docs/reference.md section 4). Quantities are
 * integers on chain (no floats in hashed JSON), so megabytes and gigabytes are given in bytes and the
 * rules are applied with decimal units (1 MB = 10^6 bytes, 1 GB = 10^9 bytes) and integer rounding.
 */
import { errors } from '../common/errors.ts'
import type { Json } from './types.ts'

/** The four kinds of task proof. */
export const TASK_KINDS = ['relay_bandwidth', 'storage_availability', 'validation_signature', 'uptime_beacon'] as const

/** One of TASK_KINDS. */
export type TaskKind = (typeof TASK_KINDS)[number]

/** A task proof's payload, checked. */
export interface TaskProof {
  readonly kind: TaskKind
  /** The slot the work was done in. */
  readonly slot: number
  readonly credits: number
}

/**
 * Reads and prices a task_proof payload:
 * - relay_bandwidth `{sessions, bytes}`: max(sessions, ceil(MB / 5))
 * - storage_availability `{bytes, chunks}`: 10 per GB (floored) + 2 per chunk
 * - validation_signature `{sessions}`: 5 per session
 * - uptime_beacon `{}`: 1 (at most one per node and beacon window, 1/24 of an epoch: see rules.ts)
 * Throws LUCID_ERR_5002 for anything else.
 */
export function taskProof(payload: Json): TaskProof {
  const p = asObject(payload)
  const kind = p.kind
  const slot = uint(p.slot, 'slot')
  const fields = (want: readonly string[]): void => {
    const extra = Object.keys(p).filter((k) => k !== 'kind' && k !== 'slot' && !want.includes(k))
    if (extra.length > 0) throw new errors.LUCID_ERR_5002(`task_proof ${String(kind)}: unexpected field ${extra[0]}`)
  }
  switch (kind) {
    case 'relay_bandwidth': {
      fields(['sessions', 'bytes'])
      const sessions = uint(p.sessions, 'sessions')
      const bytes = uint(p.bytes, 'bytes')
      return { kind, slot, credits: Math.max(sessions, Math.ceil(bytes / 5_000_000)) }
    }
    case 'storage_availability': {
      fields(['bytes', 'chunks'])
      const bytes = uint(p.bytes, 'bytes')
      const chunks = uint(p.chunks, 'chunks')
      return { kind, slot, credits: Math.floor((bytes * 10) / 1e9) + 2 * chunks }
    }
    case 'validation_signature': {
      fields(['sessions'])
      return { kind, slot, credits: 5 * uint(p.sessions, 'sessions') }
    }
    case 'uptime_beacon':
      fields([])
      return { kind, slot, credits: 1 }
    default:
      throw new errors.LUCID_ERR_5002(`task_proof: unknown kind ${JSON.stringify(kind)}`)
  }
}

function asObject(v: Json): { [k: string]: Json } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new errors.LUCID_ERR_5002('payload must be an object')
  return v
}

// Bounded well below 2^53 / 10 so the credit arithmetic above stays exact.
function uint(v: Json | undefined, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 1e14)
    throw new errors.LUCID_ERR_5002(`task_proof: ${name} must be an integer in 0..1e14`)
  return v
}
