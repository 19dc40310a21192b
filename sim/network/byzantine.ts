/**
 * Byzantine committee members. A byzantine node runs the honest ChainNode (so it follows the chain, knows
 * when it proposes and what is valid) behind an adversary that rewrites what it sends:
 *
 * - `equivocate` (equivocating proposer): when it proposes a new block it also builds a twin (same slot and
 *   height, one millisecond later, so another hash) and sends the proposal of one to the even-numbered nodes
 *   and of the other to the odd ones, which splits the committee (nodes are numbered by rank, 0..K-1 being
 *   the committee), and both to the other byzantine nodes; and it votes as a double voter does.
 * - `double` (double voter): replaces its inner node's votes with a prevote and a precommit for every block
 *   proposed in a round, the first block's to the even-numbered nodes and the second's to the odd ones (an
 *   honest node counts the first vote of a voter in a round, so each side counts the vote that helps it).
 *   All byzantine nodes do this alike, so their whole weight lands on both sides of a split.
 * - `silent` (silent voter): proposes honestly and never sends a vote.
 * - `invalid`: its blocks go out with a corrupted signature (every honest node must refuse them with
 *   LUCID_ERR_5008 and let a fallback or a later round take the height); it votes honestly.
 *
 * Nothing here is trusted by the honest nodes: they see only messages, and validate them with the chain's
 * own rules.
 */
import {
  blockHash,
  buildBlock,
  epochInfo,
  epochOf,
  immediateSink,
  signProposal,
  signVote,
  type Block,
  type ChainNode,
  type Message,
  type MessageHandler,
  type Proposal,
  type Signer,
  type Transport,
  type Verifier
} from '../../services/chain/index.ts'

/** How a byzantine node misbehaves. */
export type Behaviour = 'equivocate' | 'double' | 'silent' | 'invalid'

/** The behaviours, for flag checking. */
export const BEHAVIOURS: readonly Behaviour[] = ['equivocate', 'double', 'silent', 'invalid']

/** What the adversaries did. */
export interface AdversaryStats {
  /** Proposals sent with a twin. */
  equivocations: number
  /** Blocks sent with a corrupted signature. */
  invalidBlocks: number
  /** Votes cast by the adversaries beside their inner nodes' own (for every block seen proposed). */
  extraVotes: number
  /** Votes the silent adversaries did not send. */
  withheldVotes: number
}

/** The adversary around one byzantine node. */
export class Adversary {
  /** The honest node inside (set once it is built; replaced when it restarts). */
  node: ChainNode | undefined
  readonly #voted = new Set<string>()
  /** Blocks seen proposed per (height, round): the first goes to the even side, the second to the odd. */
  readonly #seen = new Map<string, string[]>()
  #raw: Transport | undefined

  /**
   * @param behaviour what it does
   * @param signer its own key (the node's)
   * @param verifier for building its twin blocks (applies no transaction: the twin is empty)
   * @param peers the ids of every node by index, to split the network
   * @param coalition true for the ids of the byzantine nodes, which get both twins (and so vote for both)
   * @param stats shared by the simulation's adversaries
   */
  constructor(
    readonly behaviour: Behaviour,
    readonly signer: Signer,
    readonly verifier: Verifier,
    readonly peers: () => readonly string[],
    readonly coalition: (id: string) => boolean,
    readonly stats: AdversaryStats
  ) {}

  /** The transport the inner node sends through. */
  transport(raw: Transport): Transport {
    this.#raw = raw
    return {
      broadcast: (data) => {
        this.#outgoing(data, () => {
          raw.broadcast(data)
        })
      },
      send: (to, data) => {
        this.#outgoing(data, () => {
          raw.send(to, data)
        })
      }
    }
  }

  /** The handler the network delivers to: the inner node's, plus votes for every proposal seen. */
  handler(inner: MessageHandler): MessageHandler {
    return (from, data) => {
      inner(from, data)
      if ((this.behaviour !== 'equivocate' && this.behaviour !== 'double') || !data.startsWith('{"t":"proposal"')) return
      const msg = JSON.parse(data) as Message
      if (msg.t === 'proposal') this.#voteFor(msg.proposal)
    }
  }

  #outgoing(data: string, pass: () => void): void {
    const raw = this.#raw
    if (raw === undefined) return
    if (data.startsWith('{"t":"vote"') && this.behaviour !== 'invalid') {
      // Silent: withheld. Double voters and equivocators vote on their own terms (#voteFor).
      if (this.behaviour === 'silent') this.stats.withheldVotes++
      return
    }
    if (!data.startsWith('{"t":"proposal"') || (this.behaviour !== 'invalid' && this.behaviour !== 'equivocate')) {
      pass()
      return
    }
    const p = (JSON.parse(data) as Extract<Message, { t: 'proposal' }>).proposal
    if (this.behaviour === 'invalid') {
      const s = p.block.signature
      const corrupted: Proposal = { ...p, block: { ...p.block, signature: s.slice(0, -1) + (s.endsWith('f') ? 'e' : 'f') } }
      // Counted once per proposal, not per re-send.
      const key = `invalid/${p.height}/${p.round}`
      if (!this.#voted.has(key)) {
        this.#voted.add(key)
        this.stats.invalidBlocks++
      }
      raw.broadcast(JSON.stringify({ t: 'proposal', proposal: corrupted }))
      return
    }
    const b = p.pol_round === -1 ? this.#twin(p.block) : undefined
    if (b === undefined) {
      pass()
      return
    }
    const key = `twin/${p.height}/${p.round}`
    if (!this.#voted.has(key)) {
      this.#voted.add(key)
      this.stats.equivocations++
    }
    const twin = signProposal(this.signer, p.height, p.round, b, blockHash(b.header), -1, [])
    const twinData = JSON.stringify({ t: 'proposal', proposal: twin })
    this.peers().forEach((id, i) => {
      if (id === this.signer.publicKey) return
      if (this.coalition(id)) {
        raw.send(id, data)
        raw.send(id, twinData)
      } else raw.send(id, i % 2 === 0 ? data : twinData)
    })
    this.#voteFor(p)
    this.#voteFor(twin)
  }

  /** The same slot and height, one millisecond later and empty: a second valid block from the same proposer. */
  #twin(a: Block): Block | undefined {
    const node = this.node
    if (node === undefined || a.header.producer !== this.signer.publicKey) return undefined
    const h = a.header
    const ctx = { height: h.height, slot: h.slot, epoch: h.epoch, timestamp: h.timestamp + 1 }
    return buildBlock(node.ledger.state, this.signer, ctx, a.parent_certificate, [], immediateSink(this.verifier))
  }

  /** Prevotes and precommits the proposal's block in its round to one side, if this node sits on the height's committee. */
  #voteFor(p: Proposal): void {
    const node = this.node
    const raw = this.#raw
    if (node === undefined || raw === undefined) return
    const head = node.ledger.head()
    if (p.height !== head.height + 1) return
    const state = node.ledger.state
    if (!epochInfo(state, epochOf(state.genesis.params, head.slot + 1)).committee.members.has(this.signer.publicKey)) return
    const hash = blockHash(p.block.header)
    const key = `${p.height}/${p.round}/${hash}`
    if (this.#voted.has(key)) return
    this.#voted.add(key)
    if (this.#voted.size > 4096) {
      this.#voted.clear()
      this.#seen.clear()
    }
    const roundKey = `${p.height}/${p.round}`
    const seen = this.#seen.get(roundKey) ?? []
    seen.push(hash)
    this.#seen.set(roundKey, seen)
    const side = (seen.length - 1) % 2
    const votes = (['prevote', 'precommit'] as const).map((type) => JSON.stringify({ t: 'vote', vote: signVote(this.signer, type, p.height, p.round, hash) }))
    this.peers().forEach((id, i) => {
      if (id === this.signer.publicKey || (i % 2 !== side && !this.coalition(id))) return
      for (const v of votes) raw.send(id, v)
    })
    this.stats.extraVotes += 2
  }
}
