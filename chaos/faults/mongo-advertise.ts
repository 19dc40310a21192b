/**
 * Address translation for a MongoDB replica set behind the fault proxy (proxy.ts). A replica-set
 * client connects to the members the server advertises in its hello reply (`me`, `primary`, `hosts`), not
 * to the address it was given, so behind a proxy it would learn the real address and go around the proxy.
 * The usual way out, a direct connection (`directConnection=true`), makes the driver send
 * `$readPreference: primaryPreferred`, which the jongodb stand-in refuses ("supports readPreference mode
 * 'primary' only"). So the proxy instead rewrites the advertised address in the server's replies to its
 * own, as a NAT-aware proxy would. Only hello replies are parsed; every other message passes byte for byte.
 *
 * A server that advertises a name other than the one it was reached by (a real replica set configured with
 * host names) cannot be translated this way: the advertiser records such names (`foreign`), and the caller
 * then falls back to a direct connection, which a real mongod accepts.
 */
import { BSON } from 'mongodb'

const OP_REPLY = 1
const OP_MSG = 2013
// Fields of a hello reply that name members of the set.
const ADDRESS_FIELDS = ['me', 'primary', 'hosts', 'passives', 'arbiters'] as const
// Keep every BSON type as it came (Int32, Double, Long, Timestamp ...): the reply must round-trip exactly
// except for the addresses (a Long topologyVersion counter turned into a double would confuse the driver).
const EXACT = { promoteLongs: false, promoteValues: false, promoteBuffers: false, bsonRegExp: true } as const
// Bytes that every hello reply contains (the current and the legacy field name); cheap to look for.
const HELLO_MARKERS = [Buffer.from('isWritablePrimary'), Buffer.from('ismaster')]

/** A rewriter for `startFaultProxy({ rewriteFromServer })`, with what it saw. */
export interface Advertiser {
  /** Rewrites one wire message from the server (unchanged when it is not a hello reply naming `from`). */
  rewrite(message: Buffer): Buffer
  /** Hello replies rewritten so far. */
  readonly rewritten: number
  /** Addresses the server advertised as itself (`me`) other than `from`: the proxy cannot translate them. */
  readonly foreign: ReadonlySet<string>
}

/**
 * Replaces the advertised address `from` (e.g. `127.0.0.1:37393`, the server's own `host:port`) by `to`
 * (the proxy's) in hello replies: OP_MSG, and the legacy OP_REPLY of a first handshake. Compressed
 * messages and anything it cannot parse pass unchanged.
 */
export function createAdvertiser(from: string, to: string): Advertiser {
  let rewritten = 0
  const foreign = new Set<string>()
  const swap = (doc: Record<string, unknown>): boolean => {
    if (typeof doc.me === 'string' && doc.me !== from && doc.me !== to) foreign.add(doc.me)
    let changed = false
    for (const f of ADDRESS_FIELDS) {
      const v = doc[f]
      if (v === from) {
        doc[f] = to
        changed = true
      } else if (Array.isArray(v) && v.includes(from)) {
        doc[f] = v.map((x) => (x === from ? to : x))
        changed = true
      }
    }
    if (changed) rewritten++
    return changed
  }
  const rewrite = (message: Buffer): Buffer => {
    if (!HELLO_MARKERS.some((m) => message.includes(m))) return message
    try {
      const opCode = message.readInt32LE(12)
      if (opCode === OP_MSG) {
        const flags = message.readUInt32LE(16)
        // One body section (kind 0) right after the flags: the shape of every reply to a command.
        if (message[20] !== 0) return message
        const size = message.readInt32LE(21)
        const doc = BSON.deserialize(message.subarray(21, 21 + size), EXACT) as Record<string, unknown>
        if (!swap(doc)) return message
        // Dropping a checksum (flag bit 0) is allowed and necessary: the old one no longer matches.
        const rest = message.subarray(21 + size, (flags & 1) !== 0 ? message.length - 4 : message.length)
        return frame(message, Buffer.concat([u32(flags & ~1), Buffer.from([0]), BSON.serialize(doc), rest]))
      }
      if (opCode === OP_REPLY) {
        const parts: Uint8Array[] = [message.subarray(16, 36)]
        let changed = false
        for (let at = 36; at < message.length; ) {
          const size = message.readInt32LE(at)
          const doc = BSON.deserialize(message.subarray(at, at + size), EXACT) as Record<string, unknown>
          if (swap(doc)) {
            changed = true
            parts.push(BSON.serialize(doc))
          } else parts.push(message.subarray(at, at + size))
          at += size
        }
        return changed ? frame(message, Buffer.concat(parts)) : message
      }
    } catch {
      // Not a message we understand: forward it as it is (the driver will judge it).
    }
    return message
  }
  return {
    rewrite,
    get rewritten() {
      return rewritten
    },
    foreign
  }
}

/** The message's header (request and response ids, opcode) with a new length, then the new body. */
function frame(original: Buffer, body: Buffer): Buffer {
  const header = Buffer.from(original.subarray(0, 16))
  header.writeInt32LE(16 + body.length, 0)
  return Buffer.concat([header, body])
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0, 0)
  return b
}
