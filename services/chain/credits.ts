/**
 * Work credits: what each kind of work proves and what it earns (docs/chain.md, "Credits"). A node never
 * earns a number it declares: consensus work is credited from what the chain itself verified (the producer of
 * each final block, the voters of the certificate each block carries: validate.ts), and service work (relay,
 * storage) only with a receipt signed by the owner of a session anchored on chain, bounded by the size that
 * anchor declared. Work the chain cannot check earns nothing: an uptime beacon proves liveness (it counts in the
 * uptime, never as credits) and a `validation_signature` claim is refused.
 *
 * Quantities are integers on chain (no floats in hashed JSON); the rules use decimal units (1 MB = 10^6 bytes,
 * 1 GB = 10^9 bytes) and round down, so that splitting one piece of work into many proofs or identities never
 * earns more than the whole (the original's "at least one credit per session" did: a thousand one-byte
 * sessions earned a thousand credits).
 */
import { errors } from '../common/errors.ts'
import { sha256 } from '../common/hash.ts'
import { signingMessage } from './encoding.ts'
import type { Json } from './types.ts'

/** The four kinds of task proof (validation_signature only to be refused by name). */
export const TASK_KINDS = ['relay_bandwidth', 'storage_availability', 'validation_signature', 'uptime_beacon'] as const

/** One of TASK_KINDS. */
export type TaskKind = (typeof TASK_KINDS)[number]

/** The kinds of service work a session owner's receipt can credit. */
export type ServiceKind = 'relay_bandwidth' | 'storage_availability'

/** A task proof's payload, checked for shape (the state checks are rules.ts's). */
export type TaskProof =
  | { readonly kind: 'uptime_beacon'; readonly slot: number }
  | {
      readonly kind: ServiceKind
      /** The slot the proof is filed in. */
      readonly slot: number
      /** The anchored session the work was for. */
      readonly session_id: string
      /** Bytes relayed or stored for it. */
      readonly bytes: number
      /** The session owner's Ed25519 signature over receiptMessage(kind, node, session_id, bytes), hex. */
      readonly receipt: string
      /** What the bytes earn. */
      readonly credits: number
    }

const HEX128 = /^[0-9a-f]{128}$/

/**
 * Reads and prices a task_proof payload:
 * - uptime_beacon `{slot}`: no credits (one per node and beacon window counts in the uptime: rules.ts)
 * - relay_bandwidth `{slot, session_id, bytes, receipt}`: floor(bytes / 5 MB)
 * - storage_availability `{slot, session_id, bytes, receipt}`: floor(10 x bytes / 1 GB)
 * Throws LUCID_ERR_5002 for anything else, validation_signature included.
 */
export function taskProof(payload: Json): TaskProof {
  const p = asObject(payload)
  const kind = p.kind
  const slot = uint(p.slot, 'slot')
  const fields = (want: readonly string[]): void => {
    const extra = Object.keys(p).filter((k) => k !== 'kind' && k !== 'slot' && !want.includes(k))
    if (extra.length > 0) throw new errors.InvalidTransaction(`task_proof ${String(kind)}: unexpected field ${extra[0]}`)
  }
  switch (kind) {
    case 'relay_bandwidth':
    case 'storage_availability': {
      fields(['session_id', 'bytes', 'receipt'])
      const sessionId = p.session_id
      const receipt = p.receipt
      if (typeof sessionId !== 'string' || sessionId.length < 1 || sessionId.length > 128)
        throw new errors.InvalidTransaction(`task_proof ${kind}: session_id must name an anchored session`)
      if (typeof receipt !== 'string' || !HEX128.test(receipt))
        throw new errors.InvalidTransaction(`task_proof ${kind}: needs the session owner's receipt (128 hex digits)`)
      const bytes = uint(p.bytes, 'bytes')
      if (bytes < 1) throw new errors.InvalidTransaction(`task_proof ${kind}: bytes must be at least 1`)
      return { kind, slot, session_id: sessionId, bytes, receipt, credits: serviceCredits(kind, bytes) }
    }
    case 'uptime_beacon':
      fields([])
      return { kind, slot }
    case 'validation_signature':
      throw new errors.InvalidTransaction(
        'task_proof validation_signature: a claim of validation the chain cannot check earns nothing (votes are credited from the certificates on chain)'
      )
    default:
      throw new errors.InvalidTransaction(`task_proof: unknown kind ${JSON.stringify(kind)}`)
  }
}

/** What `bytes` of service work earn: 1 credit per 5 MB relayed, 10 per GB stored, rounded down. */
export function serviceCredits(kind: ServiceKind, bytes: number): number {
  return kind === 'relay_bandwidth' ? Math.floor(bytes / 5_000_000) : Math.floor(bytes / 100_000_000)
}

/**
 * The 48-byte message a session owner signs to receipt `bytes` of `kind` work by `node` for `sessionId`:
 * `LUCID-RECEIPT-V1` over SHA-256 of the UTF-8 text `kind \n node \n session_id \n bytes` (bytes in decimal).
 */
export function receiptMessage(kind: ServiceKind, node: string, sessionId: string, bytes: number): Uint8Array {
  return signingMessage('LUCID-RECEIPT-V1', sha256(new TextEncoder().encode(`${kind}\n${node}\n${sessionId}\n${bytes}`)))
}

function asObject(v: Json): { [k: string]: Json } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new errors.InvalidTransaction('payload must be an object')
  return v
}

// Bounded well below 2^53 / 10 so the credit arithmetic above stays exact.
function uint(v: Json | undefined, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 1e15)
    throw new errors.InvalidTransaction(`task_proof: ${name} must be an integer in 0..1e15`)
  return v
}
