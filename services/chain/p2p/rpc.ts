/**
 * Request/response between peers (`/lucid/chain/rpc/1`): one length-prefixed JSON request, one JSON answer,
 * per stream. What a node asks a peer outside consensus: its status (final height, genesis hash, traffic
 * counters), its genesis (a new observer learns the chain from its first peer) and a range of final blocks
 * with their certificates (sync: syncLedger verifies everything it is given, so a peer is trusted for
 * nothing but availability).
 */
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { lpStream } from 'it-length-prefixed-stream'
import { errors, isLucidError } from '../../common/errors.ts'
import type { FinalBlock } from '../ledger.ts'
import type { SyncSource } from '../sync.ts'
import type { Genesis } from '../types.ts'
import { MAX_MESSAGE_BYTES, type Host } from './host.ts'

/** The request/response protocol. */
export const RPC_PROTOCOL = '/lucid/chain/rpc/1'
/** Most blocks one `blocks` request returns (the same page as the gateway's export). */
export const MAX_RPC_BLOCKS = 256
const RPC_TIMEOUT_MS = 30_000

/** A node's status as its peers see it. */
export interface PeerStatus {
  readonly node_id: string
  readonly genesis_hash: string
  readonly final_height: number
  /** Bytes through this host's connections, in and out (Host.wire). */
  readonly wire_bytes_in: number
  readonly wire_bytes_out: number
  /** Application messages by route (P2pTransport.counters). */
  readonly gossip_out: number
  readonly gossip_in: number
  /** Of gossip_in, transactions. */
  readonly tx_in: number
  readonly direct_out: number
  readonly direct_in: number
  readonly dropped: number
  /** Received transactions shed by the admission lane (tx-lane.ts). */
  readonly tx_shed: number
}

/** What a node answers. */
export interface RpcServer {
  status(): PeerStatus
  genesis(): Genesis
  /** Final blocks from..to (at most MAX_RPC_BLOCKS, and fewer past MAX_MESSAGE_BYTES / 2 of JSON). */
  blocks(from: number, to: number): Promise<readonly FinalBlock[]>
}

type Request = { m: 'status' } | { m: 'genesis' } | { m: 'blocks'; from: number; to: number }

/** Serves `server` on `host`. */
export async function serveRpc(host: Host, server: RpcServer): Promise<void> {
  await host.libp2p.handle(
    RPC_PROTOCOL,
    ({ stream }) => {
      const signal = AbortSignal.timeout(RPC_TIMEOUT_MS)
      const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
      void (async () => {
        let answer: unknown
        try {
          const req = JSON.parse(new TextDecoder().decode((await lp.read({ signal })).subarray())) as Request
          answer = { ok: await dispatch(server, req) }
        } catch (err) {
          answer = { error: { code: isLucidError(err) ? err.code : 'LUCID_ERR_5018', message: (err as Error).message } }
        }
        await lp.write(new TextEncoder().encode(JSON.stringify(answer)), { signal })
        await stream.close({ signal })
      })().catch(() => {
        // The asker went away: nothing to answer.
      })
    },
    { maxInboundStreams: 32 }
  )
}

async function dispatch(server: RpcServer, req: Request): Promise<unknown> {
  if (req.m === 'status') return server.status()
  if (req.m === 'genesis') return server.genesis()
  if (req.m === 'blocks' && Number.isSafeInteger(req.from) && Number.isSafeInteger(req.to) && req.from >= 1 && req.to >= req.from)
    return await server.blocks(req.from, Math.min(req.to, req.from + MAX_RPC_BLOCKS - 1))
  throw new errors.PeerNetworkFailure(`unknown request ${JSON.stringify(req).slice(0, 80)}`)
}

/** Asks `peer` once; LUCID_ERR_5018 when it cannot be reached or does not answer within the deadline. */
export async function rpcCall(host: Host, peer: PeerId | Multiaddr, req: Request): Promise<unknown> {
  const signal = AbortSignal.timeout(RPC_TIMEOUT_MS)
  let text: string
  try {
    const stream = await host.libp2p.dialProtocol(peer, RPC_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
    await lp.write(new TextEncoder().encode(JSON.stringify(req)), { signal })
    text = new TextDecoder().decode((await lp.read({ signal })).subarray())
    await stream.close({ signal }).catch(() => {})
  } catch (err) {
    throw new errors.PeerNetworkFailure(`${req.m} from ${peer.toString()}: ${(err as Error).message}`)
  }
  const answer = JSON.parse(text) as { ok?: unknown; error?: { code: string; message: string } }
  if (answer.error !== undefined) throw new errors.PeerNetworkFailure(`${peer.toString()} answered ${answer.error.code}: ${answer.error.message}`)
  return answer.ok
}

/** A SyncSource over a peer's rpc: its final height, and its final blocks in pages. */
export function rpcSyncSource(host: Host, peer: PeerId | Multiaddr): SyncSource {
  return {
    height: async () => ((await rpcCall(host, peer, { m: 'status' })) as PeerStatus).final_height,
    blocks: async (from, to) => {
      const out: FinalBlock[] = []
      // Pages until the range is covered; every page makes progress or the peer is refused (no endless asking).
      while (from + out.length <= to) {
        const page = (await rpcCall(host, peer, { m: 'blocks', from: from + out.length, to })) as FinalBlock[]
        if (page.length === 0) throw new errors.SyncFailed(`${peer.toString()} has no block ${from + out.length}`)
        out.push(...page)
      }
      return out
    }
  }
}
