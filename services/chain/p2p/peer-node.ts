/**
 * A chain node as its own network peer: a ChainNode on a libp2p host (host.ts, transport.ts), its final blocks
 * appended to its archive (DIR/chain/blocks.jsonl) and its consensus steps to its record
 * (DIR/chain/consensus/<genesis hash>/<node id>.json), both written before they count, as in the gateway's
 * in-process devnet. What `lucid node` runs, one per OS process; the gateway's `--chain` observer is one
 * too, without a key in genesis (it validates, follows finality and gossips its transactions, and never votes).
 *
 * A node restarts from its archive (every block re-validated, every signature verified) and its consensus
 * record (it never signs two different votes in a round). Behind its peers by more than one catch-up message
 * carries, it syncs first (syncLedger over the peers' request/response protocol, everything verified), then
 * joins the rounds; a few blocks behind, the node's own catch-up (`want_final`) closes the gap.
 */
import { join } from 'node:path'
import { errors } from '../../common/errors.ts'
import { BlockArchive, CHAIN_DIR, readArchive } from '../archive.ts'
import { fileConsensusStore, memoryConsensusStore } from '../consensus-store.ts'
import { replayLedgers } from '../devnet.ts'
import { genesisHash } from '../encoding.ts'
import { Ledger, type FinalBlock } from '../ledger.ts'
import { ChainNode } from '../node.ts'
import { realScheduler } from '../scheduler.ts'
import { ed25519Signer } from '../signer.ts'
import { syncLedger } from '../sync.ts'
import type { Genesis } from '../types.ts'
import { startHost, type Host } from './host.ts'
import { peerKey } from './identity.ts'
import { rpcCall, rpcSyncSource, serveRpc, type PeerStatus } from './rpc.ts'
import { P2pTransport } from './transport.ts'

/** Options of PeerNode.open. */
export interface PeerNodeOptions {
  /** Data directory: DIR/chain holds the archive and the consensus record. */
  readonly dataDir: string
  /** The node's 32-byte Ed25519 seed: its chain key and its peer id. */
  readonly seed: Uint8Array
  /** The chain; else the archive's; else the first peer's that answers (an observer joining a running chain). */
  readonly genesis?: Genesis
  /** Multiaddrs to listen on (e.g. /ip4/127.0.0.1/tcp/0). */
  readonly listen: readonly string[]
  /** Bootstrap peers, kept connected (multiaddrs with /p2p/ ids). */
  readonly peers: readonly string[]
  /** Final blocks kept in memory (default 16); older ones are read from the archive. */
  readonly retainBlocks?: number
  /**
   * Start from this ledger and write no archive: the owner archives (the gateway, whose archive also mirrors
   * into its database). Default: replay DIR/chain and append every final block to it.
   */
  readonly ledger?: Ledger
  /** Keep DIR/chain's archive (default true); false: start from `ledger` or genesis and write none (the owner archives). */
  readonly archive?: boolean
  /** How long to wait for the first peer when the genesis must come from one (default 30 s). */
  readonly peerWaitMs?: number
}

const DEFAULT_RETAIN = 16
/** Blocks one `final` catch-up message carries (node.ts): further behind than this, sync first. */
const SYNC_THRESHOLD = 16
const STATUS_WAIT_MS = 5_000

/** A running peer node. */
export class PeerNode {
  readonly node: ChainNode
  readonly host: Host
  readonly genesis: Genesis
  readonly #transport: P2pTransport
  readonly #archive: BlockArchive | undefined
  readonly #retain: number
  #peersGiven = 0
  #closing: Promise<void> | undefined

  private constructor(node: ChainNode, host: Host, genesis: Genesis, transport: P2pTransport, archive: BlockArchive | undefined, retain: number) {
    this.node = node
    this.host = host
    this.genesis = genesis
    this.#transport = transport
    this.#archive = archive
    this.#retain = retain
  }

  /** Starts the host and builds the node (not yet taking part: call start()). */
  static async open(opts: PeerNodeOptions): Promise<PeerNode> {
    const host = await startHost({ key: await peerKey(opts.seed), listen: opts.listen, peers: opts.peers })
    try {
      return await PeerNode.#build(opts, host)
    } catch (err) {
      await host.stop()
      throw err
    }
  }

  static async #build(opts: PeerNodeOptions, host: Host): Promise<PeerNode> {
    const retain = opts.retainBlocks ?? DEFAULT_RETAIN
    const signer = ed25519Signer(opts.seed)
    let ledger = opts.ledger
    let genesis = opts.genesis ?? ledger?.genesis
    let archive: BlockArchive | undefined
    if (ledger === undefined && opts.archive === false) {
      genesis ??= await genesisFromPeers(host, opts.peers, opts.peerWaitMs ?? 30_000)
      ledger = new Ledger(genesis, { retainBlocks: retain })
    } else if (ledger === undefined) {
      const archived = await readArchive(opts.dataDir).catch((err: unknown) => {
        if ((err as { code?: string }).code === 'LUCID_ERR_5004') return undefined
        throw err
      })
      genesis ??= archived?.genesis ?? (await genesisFromPeers(host, opts.peers, opts.peerWaitMs ?? 30_000))
      if (archived !== undefined && JSON.stringify(archived.genesis) !== JSON.stringify(genesis))
        throw new errors.InvalidBlock(`${join(opts.dataDir, CHAIN_DIR)} holds another chain's genesis`)
      ledger =
        archived === undefined
          ? new Ledger(genesis, { retainBlocks: retain })
          : (replayLedgers(genesis, archived.blocks, 1, { retainBlocks: retain })[0] as Ledger)
      archive = await BlockArchive.open(opts.dataDir, genesis)
      await archive.reconcile(archived?.blocks ?? [])
    }
    if (genesis === undefined) throw new errors.ChainUnavailable('no genesis')
    const gh = genesisHash(genesis)
    const validator = genesis.validators.some((v) => v.node_id === signer.publicKey)
    let transport: P2pTransport | undefined
    const node = new ChainNode({
      genesis,
      signer,
      scheduler: realScheduler(),
      connect: (_id, handler) => {
        transport = new P2pTransport(host, gh, handler)
        return transport
      },
      ledger,
      retainBlocks: retain,
      finalIndexBlocks: retain,
      // Only a validator votes, so only a validator has a record to keep across restarts.
      consensus: validator ? fileConsensusStore(join(opts.dataDir, CHAIN_DIR, 'consensus', gh, `${signer.publicKey}.json`)) : memoryConsensusStore()
    })
    const a = archive
    if (a !== undefined) node.on({ final: (fin) => void a.append(fin) })
    const peer = new PeerNode(node, host, genesis, transport as P2pTransport, archive, retain)
    peer.#peersGiven = opts.peers.length
    await serveRpc(host, {
      status: () => peer.status(),
      genesis: () => genesis,
      blocks: async (from, to) => await peer.#blocks(from, to)
    })
    return peer
  }

  /** This node's listening addresses, each with its /p2p/ peer id. */
  addresses(): string[] {
    return this.host.addresses()
  }

  /**
   * Catches up with the best connected peer (sync when far behind), then takes part in the rounds. A sync that
   * fails (the peer died mid-sync, or sent a block that does not verify) is reported, not fatal: what was
   * verified stays, and the node's own catch-up (`want_final`) fetches the rest from whoever answers.
   */
  async start(): Promise<{ synced: number; syncError?: Error }> {
    let synced = 0
    let syncError: Error | undefined
    try {
      synced = await this.catchUp()
    } catch (err) {
      syncError = err as Error
    }
    this.node.start()
    return { synced, ...(syncError !== undefined ? { syncError } : {}) }
  }

  /**
   * Syncs from the connected peer with the highest final chain when it is more than SYNC_THRESHOLD blocks
   * ahead (every block and signature verified, syncLedger); returns the blocks synced. Peers that do not
   * answer are skipped; with none, nothing is synced (the first node of a new chain).
   */
  async catchUp(): Promise<number> {
    // A node given no peers (the first of a new chain, or one that only serves) has no one to wait for.
    if (this.#peersGiven > 0) await this.#waitForPeer(STATUS_WAIT_MS)
    const gh = genesisHash(this.genesis)
    let best: { peer: (typeof peers)[number]; height: number } | undefined
    const peers = this.host.libp2p.getPeers()
    for (const peer of peers) {
      const s = (await rpcCall(this.host, peer, { m: 'status' }).catch(() => undefined)) as PeerStatus | undefined
      if (s !== undefined && s.genesis_hash === gh && s.final_height > (best?.height ?? -1)) best = { peer, height: s.final_height }
    }
    const mine = this.node.ledger.head().height
    if (best === undefined || best.height - mine <= SYNC_THRESHOLD) return 0
    const r = await syncLedger(this.node.ledger, rpcSyncSource(this.host, best.peer))
    return r.blocks
  }

  /** Height, genesis and traffic counters (what the rpc `status` answers). */
  status(): PeerStatus {
    const c = this.#transport.counters
    return {
      node_id: this.node.id,
      genesis_hash: genesisHash(this.genesis),
      final_height: this.node.ledger.head().height,
      wire_bytes_in: this.host.wire.bytesIn,
      wire_bytes_out: this.host.wire.bytesOut,
      gossip_out: c.gossipOut,
      gossip_in: c.gossipIn,
      tx_in: c.txIn,
      direct_out: c.directOut,
      direct_in: c.directIn,
      dropped: c.dropped,
      tx_shed: c.txShed
    }
  }

  /** Stops the rounds, makes the record and the archive durable, and stops the host. */
  async close(): Promise<void> {
    this.#closing ??= (async () => {
      this.node.stop()
      await this.node.flush()
      await this.#archive?.flush()
      this.#transport.close()
      await this.host.stop()
    })()
    await this.#closing
  }

  async #blocks(from: number, to: number): Promise<readonly FinalBlock[]> {
    const head = this.node.ledger.head().height
    const last = Math.min(to, head)
    if (from > last) return []
    const inMemory = this.node.ledger.range(from, last)
    if (inMemory.length === last - from + 1) return inMemory
    if (this.#archive === undefined) return inMemory.length > 0 && inMemory[0]?.block.header.height === from ? inMemory : []
    return await this.#archive.readRange(from, last, 8 * 1024 * 1024)
  }

  async #waitForPeer(ms: number): Promise<void> {
    const until = Date.now() + ms
    while (this.host.libp2p.getPeers().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
  }

  /** Final blocks kept in memory. */
  get retainBlocks(): number {
    return this.#retain
  }
}

/** Asks the bootstrap peers for the chain's genesis until one answers or `ms` passes; LUCID_ERR_5018 if none did. */
export async function genesisFromPeers(host: Host, peers: readonly string[], ms: number): Promise<Genesis> {
  if (peers.length === 0) throw new errors.ChainUnavailable('no genesis given, none archived, and no peer to ask')
  const until = Date.now() + ms
  let last = 'no peer connected'
  while (Date.now() < until) {
    for (const peer of host.libp2p.getPeers()) {
      try {
        return (await rpcCall(host, peer, { m: 'genesis' })) as Genesis
      } catch (err) {
        last = (err as Error).message
      }
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new errors.PeerNetworkFailure(`no peer of ${peers.join(', ')} gave the chain's genesis within ${ms} ms (${last})`)
}
