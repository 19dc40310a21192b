/**
 * The chain's Transport over libp2p (services/chain/transport.ts): what a ChainNode sends, routed by kind.
 *
 * - **Gossiped** (gossipsub, one topic per chain and kind, signed by the author's peer key): proposals, votes
 *   and certificates on `/lucid/<genesis>/consensus/1`, transactions on `/lucid/<genesis>/tx/2` in batches
 *   (tx-batch.ts: the texts sent within 20 ms, joined by newlines; version 2 of the topic for that format).
 *   Consensus messages are handled on arrival; transactions wait in a bounded lane drained a slice per turn,
 *   which sheds what overflows (tx-lane.ts): on a busy machine votes no longer queue behind admissions. A node sends
 *   a vote to each committee member in turn (`send` once per member, synchronously); here those calls are one
 *   publish: the same text sent again within one turn of the event loop is not published again. A vote
 *   re-sent later (the node's re-sends of an undecided round) is a new publish, so gossipsub's duplicate
 *   filter (by author and sequence number) never swallows a deliberate re-send. Nodes outside the committee
 *   hear the votes too and form the certificate themselves, one hop after the committee, as Lodestar's
 *   attestations reach every subscriber.
 * - **Direct** (request/response between two peers, `/lucid/chain/direct/1`, one length-prefixed message per
 *   stream): catch-up, `want_block`/`block` and `want_final`/`final`. A request to a node this host has no
 *   connection to (a gateway's observer connected to one validator only) goes to a connected peer instead:
 *   any honest node holding the block or the final chain answers it, and the answer comes back over the
 *   connection the request came in on.
 *
 * The sender handed to the node is the peer the message came from, authenticated by the connection's Noise
 * handshake, hence a chain node id (identity.ts): for a direct message its author, for gossip the peer that
 * delivered it first (with floodPublish on a small network, almost always the author; a relay that forwarded
 * it holds it too, so asking it for the block a vote names is as good). Gossip carries no gossipsub signature
 * (host.ts): the chain's own signatures authenticate what counts. Each publish is prefixed with this host's
 * start time and a counter (`<start>.<n>\n`), stripped on arrival: message ids hash the bytes, and without it
 * a vote re-sent word for word would be dropped as a duplicate by the very gossip that should carry it to a
 * peer that missed it. Messages over 8 KiB (proposals with their blocks) get a constant prefix instead: their
 * re-sends are duplicates, and a peer that missed one fetches the block (want_block) or pulls it (IHAVE/IWANT). Sends never block
 * the node: a direct send runs in the background with a deadline and at most MAX_DIRECT_IN_FLIGHT at once;
 * what cannot be sent is dropped and counted, and the node's own re-sends and catch-up take it from there, as
 * with a lost packet.
 */
import type { GossipsubMessage } from '@chainsafe/libp2p-gossipsub'
import type { Stream } from '@libp2p/interface'
import { lpStream } from 'it-length-prefixed-stream'
import type { MessageHandler, Transport } from '../transport.ts'
import { MAX_MESSAGE_BYTES, type Host } from './host.ts'
import { nodeIdOf, peerIdOf } from './identity.ts'
import { TxBatcher, splitBatch } from './tx-batch.ts'
import { TxLane } from './tx-lane.ts'

/** The protocol of direct (catch-up) messages. */
export const DIRECT_PROTOCOL = '/lucid/chain/direct/1'
const MAX_DIRECT_IN_FLIGHT = 64
/** Messages up to this size are made unique per publish (votes, transactions, certificates, empty proposals). */
const UNIQUE_BELOW_BYTES = 8 * 1024
const DIRECT_TIMEOUT_MS = 10_000

/** What a transport sent and received, by route (application messages, not bytes: Host.wire counts bytes). */
export interface TransportCounters {
  gossipOut: number
  gossipIn: number
  /** Of gossipIn, transactions (the rest is consensus). */
  txIn: number
  directOut: number
  directIn: number
  /** Sends dropped: no route, too many in flight, or the peer failed mid-message. */
  dropped: number
  /** Received transactions shed because the admission lane was full (tx-lane.ts). */
  txShed: number
}

const GOSSIP_KINDS = ['{"t":"proposal"', '{"t":"vote"', '{"t":"commit"']
const REQUEST_KINDS = ['{"t":"want_block"', '{"t":"want_final"']

/** The gossip topics of the chain of `genesisHash`. */
export function topics(genesisHash: string): { consensus: string; tx: string } {
  return { consensus: `/lucid/${genesisHash}/consensus/1`, tx: `/lucid/${genesisHash}/tx/2` }
}

/** A chain node's endpoint on a libp2p host. */
export class P2pTransport implements Transport {
  readonly counters: TransportCounters = { gossipOut: 0, gossipIn: 0, txIn: 0, directOut: 0, directIn: 0, dropped: 0, txShed: 0 }
  readonly #host: Host
  readonly #lane: TxLane
  readonly #batcher: TxBatcher
  readonly #topics: { consensus: string; tx: string }
  readonly #burst = new Set<string>()
  #inFlight = 0
  #closed = false
  /** Publishes so far, and this transport's start: together unique per publish, across restarts. */
  #published = 0
  readonly #epoch = Date.now()

  /**
   * Joins the chain of `genesisHash` on `host` as node `id` (whose key must be the host's): subscribes to the
   * chain's topics and delivers every message to `handler` with its author's node id.
   */
  constructor(host: Host, genesisHash: string, handler: MessageHandler) {
    this.#host = host
    this.#topics = topics(genesisHash)
    const libp2p = host.libp2p
    const pubsub = libp2p.services.pubsub
    const decoder = new TextDecoder()
    this.#lane = new TxLane(handler)
    this.#batcher = new TxBatcher((batch) => this.#publish(this.#topics.tx, batch))
    pubsub.subscribe(this.#topics.consensus)
    pubsub.subscribe(this.#topics.tx)
    ;(pubsub as unknown as EventTarget).addEventListener('gossipsub:message', (ev) => {
      const { msg: m, propagationSource } = (ev as CustomEvent<GossipsubMessage>).detail
      if (this.#closed || (m.topic !== this.#topics.consensus && m.topic !== this.#topics.tx)) return
      const from = nodeIdOf(propagationSource)
      const text = decoder.decode(m.data)
      const nl = text.indexOf('\n')
      if (from === undefined || nl < 0) return
      if (m.topic === this.#topics.consensus) {
        this.counters.gossipIn++
        handler(from, text.slice(nl + 1))
        return
      }
      for (const tx of splitBatch(text.slice(nl + 1))) {
        this.counters.gossipIn++
        this.counters.txIn++
        if (!this.#lane.push(from, tx)) this.counters.txShed++
      }
    })
    void libp2p.handle(
      DIRECT_PROTOCOL,
      ({ stream, connection }) => {
        const from = nodeIdOf(connection.remotePeer)
        if (from === undefined || this.#closed) {
          stream.abort(new Error('not a chain node'))
          return
        }
        void readOne(stream).then(
          (data) => {
            this.counters.directIn++
            handler(from, data)
          },
          () => {
            // A peer that died mid-message: nothing was delivered, nothing to answer.
          }
        )
      },
      { maxInboundStreams: MAX_DIRECT_IN_FLIGHT }
    )
  }

  broadcast(data: string): void {
    this.#route(undefined, data)
  }

  send(to: string, data: string): void {
    this.#route(to, data)
  }

  /** Stops delivering and sending (the host is stopped by its owner). */
  close(): void {
    this.#closed = true
    this.#lane.close()
    this.#batcher.close()
  }

  #route(to: string | undefined, data: string): void {
    if (this.#closed) return
    if (data.startsWith('{"t":"tx"')) this.#batcher.add(data)
    else if (to === undefined || GOSSIP_KINDS.some((k) => data.startsWith(k))) this.#publish(this.#topics.consensus, data)
    else this.#direct(to, data)
  }

  #publish(topic: string, data: string): void {
    if (this.#burst.has(data)) return
    if (this.#burst.size === 0) queueMicrotask(() => this.#burst.clear())
    this.#burst.add(data)
    this.counters.gossipOut++
    // Large messages (proposals carrying their blocks) keep one id: a re-send of the same proposal is then a
    // duplicate that gossip does not carry again (a peer that missed it asks a voter for the block, want_block,
    // or pulls it through gossip's IHAVE/IWANT). Re-sent whole, a 1 MB proposal three times a round cost tens of
    // MB on the wire per block at 300 tx/s and kept the rounds from deciding (measured: 0 tx/s in smoke).
    const tag = data.length > UNIQUE_BELOW_BYTES ? '0' : `${this.#epoch}.${++this.#published}`
    const envelope = `${tag}\n${data}`
    this.#host.libp2p.services.pubsub.publish(topic, new TextEncoder().encode(envelope)).catch(() => {
      this.counters.dropped++
    })
  }

  #direct(to: string, data: string): void {
    if (this.#inFlight >= MAX_DIRECT_IN_FLIGHT) {
      this.counters.dropped++
      return
    }
    const libp2p = this.#host.libp2p
    let peer = peerIdOf(to)
    if (libp2p.getConnections(peer).length === 0) {
      const other = libp2p.getPeers()[0]
      if (other === undefined || !REQUEST_KINDS.some((k) => data.startsWith(k))) {
        this.counters.dropped++
        return
      }
      peer = other
    }
    this.#inFlight++
    this.counters.directOut++
    const signal = AbortSignal.timeout(DIRECT_TIMEOUT_MS)
    void (async () => {
      const stream = await libp2p.dialProtocol(peer, DIRECT_PROTOCOL, { signal })
      await lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES }).write(new TextEncoder().encode(data), { signal })
      await stream.close({ signal })
    })()
      .catch(() => {
        this.counters.dropped++
      })
      .finally(() => {
        this.#inFlight--
      })
  }
}

async function readOne(stream: Stream): Promise<string> {
  const signal = AbortSignal.timeout(DIRECT_TIMEOUT_MS)
  const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
  const msg = await lp.read({ signal })
  await stream.close({ signal }).catch(() => {})
  return new TextDecoder().decode(msg.subarray())
}
