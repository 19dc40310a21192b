/**
 * One libp2p host per chain node: TCP, Noise, yamux, identify and gossipsub, the stack Lodestar (the
 * TypeScript Ethereum consensus client) runs on. libp2p 2.x with @chainsafe/libp2p-gossipsub 14.x: libp2p
 * 3.x calls Promise.withResolvers, which Node 20 lacks (measured: it throws on the first peer-store write),
 * and gossipsub 14 is the release line for libp2p 2 (docs/scale.md).
 *
 * Peers: the bootstrap addresses given (`/ip4/127.0.0.1/tcp/P/p2p/ID`) are dialled at start and, while this
 * host runs, again whenever one is not connected (every REDIAL_MS, one dial per peer at a time, each bounded
 * by DIAL_TIMEOUT_MS): a validator that was killed and restarted on its address comes back into the mesh
 * without anyone restarting anything. This is a background task of the host's life, not a retry of one
 * operation: it stops with the host.
 */
import './node20.ts'
import { createHash } from 'node:crypto'
import { gossipsub, type GossipsubEvents } from '@chainsafe/libp2p-gossipsub'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey, PubSub } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { errors } from '../../common/errors.ts'
import { wireMetrics, type WireCounters } from './wire-metrics.ts'

/** The largest message a node takes: a proposal carries a block (at most 1 MB of JSON by the chain's rules) and a catch-up answer up to 16 of them. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024
const REDIAL_MS = 1_000
const DIAL_TIMEOUT_MS = 5_000

/** The libp2p services a chain host runs. */
export type HostServices = { pubsub: PubSub<GossipsubEvents>; identify: ReturnType<ReturnType<typeof identify>> }

/** A running host with its byte counters and the redial task. */
export interface Host {
  readonly libp2p: Libp2p<HostServices>
  readonly wire: WireCounters
  /** Listening addresses, each with its /p2p/ peer id. */
  addresses(): string[]
  stop(): Promise<void>
}

/** Options of startHost. */
export interface HostOptions {
  readonly key: PrivateKey
  /** Multiaddrs to listen on, e.g. /ip4/127.0.0.1/tcp/0. */
  readonly listen: readonly string[]
  /** Peers to keep connected to (with their /p2p/ ids). */
  readonly peers: readonly string[]
}

/** Parses a bootstrap address; LUCID_ERR_5018 when it is not a multiaddr with a /p2p/ peer id. */
export function parsePeerAddress(addr: string): Multiaddr {
  let ma: Multiaddr
  try {
    ma = multiaddr(addr)
  } catch (err) {
    throw new errors.PeerNetworkFailure(`${addr} is not a multiaddr (${(err as Error).message})`)
  }
  if (ma.getPeerId() === null) throw new errors.PeerNetworkFailure(`${addr} names no peer (it needs /p2p/<peer id>)`)
  return ma
}

/** Starts a host listening on `opts.listen` and keeping `opts.peers` connected. */
export async function startHost(opts: HostOptions): Promise<Host> {
  const peers = opts.peers.map(parsePeerAddress)
  const wire: WireCounters = { bytesIn: 0, bytesOut: 0, connections: 0 }
  const libp2p = await createLibp2p({
    privateKey: opts.key,
    addresses: { listen: [...opts.listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    metrics: wireMetrics(wire),
    services: {
      identify: identify(),
      pubsub: gossipsub({
        // Validators are few and latency is finality: publish to every subscribed peer, not only the mesh.
        floodPublish: true,
        // One encoding of a published message for all its recipients, rather than one per peer.
        batchPublish: true,
        // A small mesh. With floodPublish the author already reaches every peer it is connected to (on a devnet,
        // all of them), so each relay through the mesh is mostly a duplicate: at the default D = 6, every host
        // received every message from each of the others, and a 1 MB proposal cost ~20 MB on the wire. Measured
        // at 300 tx/s, 10 s slots, 40 s: 133 MB on the wire per final block and 2 final blocks at the default
        // mesh, 42 MB and 3 (every slot) at D = 2. IDONTWANT (gossipsub 1.2) for anything above 256 bytes.
        D: 2,
        Dlo: 1,
        Dhi: 3,
        Dout: 0,
        idontwantMinDataSize: 256,
        // A node alone (its peers down, or not yet dialled) publishes into nothing rather than throwing.
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        emitSelf: false,
        // No gossipsub signature, as on Ethereum's consensus gossip (Lodestar): every chain message is signed by
        // its author's chain key already (transactions, proposals, votes, certificates), and a second Ed25519
        // signature and verification per message per host doubled the crypto of a transaction (measured: the
        // tx_throughput load saturated five processes on two cores). Message ids are the SHA-256 of the bytes
        // (transport.ts makes each publish's bytes unique, so a deliberate re-send is not a duplicate).
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: (msg) => createHash('sha256').update(msg.data).digest(),
        fastMsgIdFn: (msg) => (msg.data === undefined ? '' : createHash('sha1').update(msg.data).digest('base64')),
        msgIdToStrFn: (id) => Buffer.from(id).toString('base64'),
        maxInboundDataLength: MAX_MESSAGE_BYTES,
        maxOutboundBufferSize: 4 * MAX_MESSAGE_BYTES
      })
    }
  })
  await libp2p.start()
  const dialing = new Set<string>()
  const redial = (): void => {
    for (const ma of peers) {
      const id = ma.getPeerId() as string
      if (id === libp2p.peerId.toString() || dialing.has(id)) continue
      if (libp2p.getConnections().some((c) => c.remotePeer.toString() === id && c.status === 'open')) continue
      dialing.add(id)
      libp2p
        .dial(ma, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
        .catch(() => {
          // Down or not started yet: the next tick tries again.
        })
        .finally(() => dialing.delete(id))
    }
  }
  redial()
  const timer = setInterval(redial, REDIAL_MS)
  timer.unref()
  return {
    libp2p,
    wire,
    addresses: () => libp2p.getMultiaddrs().map((a) => a.toString()),
    stop: async () => {
      clearInterval(timer)
      await libp2p.stop()
    }
  }
}
