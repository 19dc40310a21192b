/**
 * Byzantine producers. A byzantine node runs the honest ChainNode (so it follows the chain, knows when it
 * leads and what is valid) behind an adversary that rewrites what it sends:
 *
 * - `equivocate`: when it produces a block it also builds a twin (same slot and height, one millisecond
 *   later, so another hash) and sends one to the even-numbered nodes and the other to the odd ones, which
 *   splits the committee (nodes are numbered by rank, 0..K-1 being the committee), and both to the other
 *   byzantine nodes; and it votes for every block it sees at the next height, its twin included (double
 *   voting). All byzantine nodes do this, so their whole weight lands on both sides of every split.
 * - `invalid`: its blocks go out with a corrupted signature (every honest node must refuse them with
 *   LUCID_ERR_5008 and let a fallback take the slot); it votes honestly.
 *
 * Nothing here is trusted by the honest nodes: they see only messages, and validate them with the chain's
 * own rules.
 */
import { blockHash, buildBlock, epochInfo, immediateSink, signVote, type Block, type ChainNode, type MessageHandler, type Signer, type Transport, type Verifier, type Vote } from '../../services/chain/index.ts'

/** How a byzantine node misbehaves. */
export type Behaviour = 'equivocate' | 'invalid'

/** The behaviours, for flag checking. */
export const BEHAVIOURS: readonly Behaviour[] = ['equivocate', 'invalid']

/** What the adversaries did. */
export interface AdversaryStats {
  /** Blocks sent with a twin. */
  equivocations: number
  /** Blocks sent with a corrupted signature. */
  invalidBlocks: number
  /** Votes cast by the adversaries beside their inner nodes' own (for every block seen at a height). */
  extraVotes: number
}

type Message = { t: 'block', block: Block } | { t: 'vote', vote: Vote } | { t: 'tx' }

/** The adversary around one byzantine node. */
export class Adversary {
  /** The honest node inside (set once it is built; replaced when it restarts). */
  node: ChainNode | undefined
  readonly #voted = new Set<string>()
  #raw: Transport | undefined

  /**
   * @param behaviour what it does
   * @param signer its own key (the node's)
   * @param verifier for building its twin blocks (applies no transaction: the twin is empty)
   * @param peers the ids of every node by index, to split the network
   * @param coalition true for the ids of the byzantine nodes, which get both twins (and so vote for both)
   * @param stats shared by the simulation's adversaries
   */
  constructor (readonly behaviour: Behaviour, readonly signer: Signer, readonly verifier: Verifier, readonly peers: () => readonly string[], readonly coalition: (id: string) => boolean, readonly stats: AdversaryStats) {}

  /** The transport the inner node sends through. */
  transport (raw: Transport): Transport {
    this.#raw = raw
    return {
      broadcast: (data) => { this.#outgoing(raw, data) },
      send: (to, data) => { raw.send(to, data) }
    }
  }

  /** The handler the network delivers to: the inner node's, plus double votes. */
  handler (inner: MessageHandler): MessageHandler {
    return (from, data) => {
      inner(from, data)
      if (this.behaviour !== 'equivocate' || !data.startsWith('{"t":"block"')) return
      const msg = JSON.parse(data) as Message
      if (msg.t === 'block') this.#voteFor(msg.block)
    }
  }

  #outgoing (raw: Transport, data: string): void {
    if (!data.startsWith('{"t":"block"')) { raw.broadcast(data); return }
    const msg = JSON.parse(data) as Extract<Message, { t: 'block' }>
    const a = msg.block
    if (this.behaviour === 'invalid') {
      const s = a.signature
      const corrupted = { ...a, signature: s.slice(0, -1) + (s.endsWith('f') ? 'e' : 'f') }
      this.stats.invalidBlocks++
      raw.broadcast(JSON.stringify({ t: 'block', block: corrupted }))
      return
    }
    const b = this.#twin(a)
    if (b === undefined) { raw.broadcast(data); return }
    this.stats.equivocations++
    const twin = JSON.stringify({ t: 'block', block: b })
    this.peers().forEach((id, i) => {
      if (id === this.signer.publicKey) return
      if (this.coalition(id)) { raw.send(id, data); raw.send(id, twin) } else raw.send(id, i % 2 === 0 ? data : twin)
    })
    this.#voteFor(b)
  }

  /** The same slot and height, one millisecond later and empty: a second valid block from the same leader. */
  #twin (a: Block): Block | undefined {
    const node = this.node
    if (node === undefined) return undefined
    const h = a.header
    const ctx = { height: h.height, slot: h.slot, epoch: h.epoch, timestamp: h.timestamp + 1 }
    return buildBlock(node.ledger.state, this.signer, ctx, a.parent_certificate, [], immediateSink(this.verifier))
  }

  /** Votes for `block` if this node sits on its committee and has not voted for it yet. */
  #voteFor (block: Block): void {
    const node = this.node
    const raw = this.#raw
    if (node === undefined || raw === undefined) return
    const h = block.header
    if (h.height !== node.ledger.head().height + 1) return
    const hash = blockHash(h)
    const key = `${h.height}/${hash}`
    if (this.#voted.has(key) || !epochInfo(node.ledger.state, h.epoch).committee.members.has(this.signer.publicKey)) return
    this.#voted.add(key)
    if (this.#voted.size > 4096) this.#voted.clear()
    this.stats.extraVotes++
    raw.broadcast(JSON.stringify({ t: 'vote', vote: signVote(this.signer, h.height, hash) }))
  }
}
