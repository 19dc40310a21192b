/**
 * The chain over real sockets: validators as separate processes talking through js-libp2p (TCP, Noise,
 * yamux, gossipsub), as Lodestar does (docs/scale.md). `PeerNode` is one node on its own host; `ProcessDevnet`
 * starts N of them as processes on loopback.
 */
export { MAX_MESSAGE_BYTES, parsePeerAddress, startHost, type Host, type HostOptions } from './host.ts'
export { nodeIdOf, peerIdOf, peerKey } from './identity.ts'
export { PeerNode, genesisFromPeers, type PeerNodeOptions } from './peer-node.ts'
export { ProcessDevnet, freePorts, spawnNode, type DevnetProcess, type ProcessDevnetOptions, type SpawnNodeOptions } from './processes.ts'
export { MAX_RPC_BLOCKS, RPC_PROTOCOL, rpcCall, rpcSyncSource, serveRpc, type PeerStatus, type RpcServer } from './rpc.ts'
export { DIRECT_PROTOCOL, P2pTransport, topics, type TransportCounters } from './transport.ts'
export type { WireCounters } from './wire-metrics.ts'
