/**
 * The PoOT chain (services/chain) adapted to the gateway's ChainPort: `lucid serve --validators N` runs the
 * chain's devnet in-process on real timers, and every chain route answers from node 0 of it. With
 * `lucid serve --chain ADDRESS` (openRemoteChainPort) the routes answer from a following node in this process
 * instead, joined over libp2p to an external chain's validators (services/chain/p2p): the same archive,
 * receipts and routes; it validates and follows finality but votes in no round.
 *
 * - Blocks that become final are appended to the block archive (`DIR/chain/blocks.jsonl` and the shared
 *   database's blocks and transactions), so `lucid chain export --data DIR` and `lucid db stats` see them.
 *   A restart on the same data directory replays the archive (verifying every signature once) and the
 *   chain goes on from its last final block; a data directory holding another devnet's genesis (another
 *   `--validators`, other parameters) is refused rather than overwritten.
 * - The gateway signs with its own account (chain-account.ts; key in `DIR/gateway-chain.key`, 0600): a
 *   session's anchor at finalisation, on its owner's behalf, and public data anchors (POST /chain/anchor),
 *   which are `data_anchor` transactions, a kind the chain never takes for a session's anchor. The account
 *   needs no registration: the chain's rules open both kinds to any key (registration is for nodes).
 * - POST /transactions carries a transaction the client signed with its own key; the gateway passes it to
 *   the node, whose rules check the signature, the nonce and the content. It never signs for a client.
 *   Session anchors are refused there: a session is anchored by finalising it, so that its anchor is the
 *   gateway's signature over the manifest the gateway itself wrote.
 * - Each validator records its consensus steps (votes, lock, valid block) in
 *   `DIR/chain/consensus/<genesis hash>/<key>.json`, synced in groups before the messages depending on them
 *   leave, so a restarted gateway's validators never sign two different votes in a round and keep their locks;
 *   per genesis, so that a new chain in the same directory does not inherit another chain's heights.
 * - Devnet validator keys come from a public seed (keySeeds): a devnet for one machine, not a deployment.
 */
import { join } from 'node:path'
import { errors } from '../common/errors.ts'
import type { Database } from '../db/index.ts'
import {
  BlockArchive,
  CHAIN_DIR,
  TX_TYPES,
  createDevnet,
  devnetGenesis,
  ed25519Signer,
  epochInfo,
  epochOf,
  fileConsensusStore,
  genesisHash,
  keySeeds,
  readArchive,
  realScheduler,
  replayLedgers,
  slotAt,
  slotSchedule,
  txId,
  type Block,
  type ChainNode,
  type ChainParams,
  type Genesis,
  type Json,
  type Ledger,
  type Transaction
} from '../chain/index.ts'
import { PeerNode, genesisFromPeers } from '../chain/p2p/index.ts'
import { ChainAccount } from './chain-account.ts'
import type {
  AnchorView,
  BlockView,
  ChainInfo,
  ChainPort,
  ChainTelemetry,
  ConsensusStatus,
  DataAnchorRequest,
  ExportPage,
  NodeStatus,
  SessionAnchorRequest,
  TransactionSubmission,
  TxReceipt,
  TxStatus
} from './chain-port.ts'
import { loadOrCreateKey } from './key-file.ts'

/** What the adapter is given. */
export interface ChainPortOptions {
  /** Validators run in-process (`--validators N`). */
  readonly validators: number
  /** The gateway's data directory: the block archive goes to DIR/chain, the account key to DIR/gateway-chain.key. */
  readonly dataDir: string
  /** The shared database the archive mirrors final blocks and transactions into. */
  readonly db: Database
  /** Overrides of the chain's default parameters (tests use a short slot); part of genesis. */
  readonly params?: Partial<ChainParams>
  /**
   * Final blocks each validator keeps in memory (default 8, at most 16), and recent blocks whose transactions it
   * indexes; older ones are read from the archive and the database. Tests give 2 so that reads go there.
   */
  readonly retainBlocks?: number
}

/** Starts a chain and adapts it to the port. */
export type ChainPortFactory = (opts: ChainPortOptions) => Promise<ChainPort>

/** The file holding the gateway account's Ed25519 seed, in the data directory. */
export const ACCOUNT_KEY_FILE = 'gateway-chain.key'

/** The devnet's key seed (createDevnet's default): validator keys are reproducible, hence public. */
const DEVNET_SEED = 1
/** Final block views kept ready (they never change; the newest are asked for most). */
const VIEW_CACHE = 64
/**
 * Recent final blocks each validator keeps: their blocks in memory (the newest, which the routes and the
 * producers ask for; older ones are read from the archive) and their transactions in txStatus's index
 * (older transactions are found in the database). Keeping every block made the gateway's memory grow with
 * the chain (four copies, one per in-process validator), which `lucid chaos --suite soak` measured.
 */
const RECENT_BLOCKS = 8
/**
 * Gateway-signed ids remembered to tell a dropped transaction from one never seen: those pending and those
 * dropped (an id leaves once its block is written, the database answering for it from then on).
 */
const ISSUED_LIMIT = 100_000
/** A chain whose last final block is older than this many slots is reported unhealthy. */
const HEALTHY_SLOTS = 3

/** Starts the devnet in-process and returns it as a ChainPort (the gateway closes it). */
export const openChainPort: ChainPortFactory = async (opts) => await DevnetChainPort.open(opts)

/** What `lucid serve --chain ADDRESS` is given. */
export interface RemoteChainOptions {
  /** A node of the chain to join (multiaddr with /p2p/ id), e.g. one `lucid devnet` printed. */
  readonly address: string
  readonly dataDir: string
  readonly db: Database
  /** Final blocks kept in memory (as ChainPortOptions.retainBlocks). */
  readonly retainBlocks?: number
}

/** The file holding the gateway's own peer key (a follower of the remote chain: it validates, never votes). */
export const NODE_KEY_FILE = 'gateway-node.key'

/**
 * Joins an external chain (`lucid serve --chain ADDRESS`) as a following node over libp2p and returns it as
 * a ChainPort: the same archive, receipts and routes as the in-process devnet, answered from a node of this
 * process that validates every block and follows finality but votes in no round.
 */
export async function openRemoteChainPort(opts: RemoteChainOptions): Promise<ChainPort> {
  return await DevnetChainPort.openRemote(opts)
}

/** What the port runs: the in-process devnet, or one following node of an external chain. */
interface RunningChain {
  readonly genesis: Genesis
  /** Node 0 answers every route. */
  readonly nodes: readonly ChainNode[]
  stop(): void | Promise<void>
}

interface Candidate {
  readonly block: Block
  readonly hash: string
  readonly txIds: readonly string[]
}

/** The in-process devnet behind the ChainPort. */
export class DevnetChainPort implements ChainPort {
  readonly description: string
  readonly #net: RunningChain
  readonly #node: ChainNode
  readonly #ledger: Ledger
  readonly #genesis: Genesis
  readonly #genesisHash: string
  readonly #archive: BlockArchive
  readonly #db: Database
  readonly #account: ChainAccount
  readonly #views = new Map<number, BlockView>()
  readonly #issued = new Set<string>()
  #candidates = new Map<string, Candidate>()
  #candidateHeight = 0
  #closing: Promise<void> | undefined
  /** Height of the newest final block the archive has written: what the routes report as final. */
  #durable: number
  /** Final blocks seen since start (blockchain_blocks_created_total). */
  #finalCount = 0
  /** Slots without a final block since start (consensus_failures_total). */
  #missedSlots = 0
  /** Slot of the last final block seen in this process; undefined until the first one. */
  #lastFinalSlot: number | undefined

  private constructor(
    net: RunningChain,
    archive: BlockArchive,
    db: Database,
    account: ChainAccount,
    resumedAt: number | undefined,
    dataDir: string,
    what?: string
  ) {
    this.#net = net
    this.#node = net.nodes[0] as ChainNode
    this.#ledger = this.#node.ledger
    this.#genesis = net.genesis
    this.#genesisHash = genesisHash(net.genesis)
    this.#archive = archive
    this.#db = db
    this.#account = account
    this.#durable = resumedAt ?? 0
    const p = net.genesis.params
    this.description =
      `${what ?? `PoOT devnet: ${net.nodes.length} validators in-process on real timers`}, ${p.slot_ms / 1000} s slots, committee of ${Math.min(p.committee_size, net.genesis.validators.length)}; ` +
      `chain ${net.genesis.chain_id} genesis ${this.#genesisHash.slice(0, 16)} (${resumedAt !== undefined ? `resumed from its archive at final height ${resumedAt}` : 'new'}); ` +
      `blocks in ${join(dataDir, CHAIN_DIR)}; gateway account ${account.publicKey.slice(0, 16)}; validator keys from a public seed (not for deployment)`
    this.#node.on({
      final: (fin) => {
        // Final for clients once written: a kill between finality and the write would otherwise revert a
        // block (and an anchor) a client was told is final (found by `lucid chaos --suite faults`).
        void archive.append(fin).then((ok) => {
          if (!ok) return
          this.#durable = Math.max(this.#durable, fin.block.header.height)
          // Written to the database too: transactionStatus finds these there, so the ids need not be kept.
          if (this.#issued.size > 0) for (const tx of fin.block.transactions) if (tx.from === account.publicKey) this.#issued.delete(txId(tx))
        })
        this.#countFinal(fin.block.header.slot)
      },
      candidate: (block, hash, txIds) => {
        if (block.header.height !== this.#candidateHeight) {
          this.#candidates = new Map()
          this.#candidateHeight = block.header.height
        }
        this.#candidates.set(hash, { block, hash, txIds })
      }
    })
  }

  /** Opens (or resumes) the devnet of `opts.dataDir` and starts it. */
  static async open(opts: ChainPortOptions): Promise<DevnetChainPort> {
    const { key: seed } = await loadOrCreateKey(join(opts.dataDir, ACCOUNT_KEY_FILE), 32, true)
    const archived = await readArchive(opts.dataDir).catch((err: unknown) => {
      // No genesis.json yet: a new chain. Anything else (an unreadable archive) is not papered over.
      if ((err as { code?: string }).code === 'LUCID_ERR_5004') return undefined
      throw err
    })
    const validators = keySeeds(DEVNET_SEED, opts.validators).map(ed25519Signer)
    // A chain made before genesis had anchor_rules runs on under the rules it was made with (rules 1: docs/chain.md,
    // "Parameters"), so its archive still replays and its genesis (hence every hash) is unchanged.
    const params = archived !== undefined && archived.genesis.params.anchor_rules === undefined ? { ...opts.params, anchor_rules: undefined } : opts.params
    let ledgers: Ledger[] | undefined
    if (archived !== undefined) {
      const want = devnetGenesis(validators, archived.genesis.genesis_time, params)
      if (JSON.stringify(want) !== JSON.stringify(archived.genesis)) {
        throw new errors.InvalidBlock(
          `${join(opts.dataDir, CHAIN_DIR)} holds a devnet of ${archived.genesis.validators.length} validators with other parameters or keys than --validators ${opts.validators} gives; start with its --validators, or another --data`
        )
      }
      ledgers = replayLedgers(archived.genesis, archived.blocks, opts.validators, { retainBlocks: opts.retainBlocks ?? RECENT_BLOCKS })
    }
    const net = createDevnet({
      nodes: opts.validators,
      scheduler: realScheduler(),
      seed: DEVNET_SEED,
      retainBlocks: opts.retainBlocks ?? RECENT_BLOCKS,
      finalIndexBlocks: opts.retainBlocks ?? RECENT_BLOCKS,
      // Each validator's consensus record (votes, lock, valid block), synced in groups before its messages leave.
      consensus: (_i, id, genesis) => fileConsensusStore(join(opts.dataDir, CHAIN_DIR, 'consensus', genesisHash(genesis), `${id}.json`)),
      ...(params !== undefined ? { params } : {}),
      ...(archived !== undefined ? { genesisTime: archived.genesis.genesis_time } : {}),
      ...(ledgers !== undefined ? { ledgers } : {})
    })
    const archive = await BlockArchive.open(opts.dataDir, net.genesis, opts.db)
    await archive.reconcile(archived?.blocks ?? [])
    const account = new ChainAccount(seed, net.nodes[0] as ChainNode)
    const port = new DevnetChainPort(net, archive, opts.db, account, archived?.blocks.length, opts.dataDir)
    net.start()
    return port
  }

  /** Joins the chain of `opts.address` as a following node (openRemoteChainPort). */
  static async openRemote(opts: RemoteChainOptions): Promise<DevnetChainPort> {
    const { key: seed } = await loadOrCreateKey(join(opts.dataDir, ACCOUNT_KEY_FILE), 32, true)
    const { key: nodeSeed } = await loadOrCreateKey(join(opts.dataDir, NODE_KEY_FILE), 32, true)
    const archived = await readArchive(opts.dataDir).catch((err: unknown) => {
      if ((err as { code?: string }).code === 'LUCID_ERR_5004') return undefined
      throw err
    })
    const retainBlocks = opts.retainBlocks ?? RECENT_BLOCKS
    const ledger = archived === undefined ? undefined : replayLedgers(archived.genesis, archived.blocks, 1, { retainBlocks })[0]
    const peer = await PeerNode.open({
      dataDir: opts.dataDir,
      seed: nodeSeed,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      peers: [opts.address],
      retainBlocks,
      archive: false,
      ...(ledger !== undefined ? { ledger } : {})
    })
    try {
      if (archived !== undefined) {
        const theirs = await genesisFromPeers(peer.host, [opts.address], 30_000)
        if (JSON.stringify(theirs) !== JSON.stringify(archived.genesis))
          throw new errors.InvalidBlock(`${join(opts.dataDir, CHAIN_DIR)} holds another chain than ${opts.address}'s; use another --data`)
      }
      const archive = await BlockArchive.open(opts.dataDir, peer.genesis, opts.db)
      await archive.reconcile(archived?.blocks ?? [])
      const account = new ChainAccount(seed, peer.node)
      const chain: RunningChain = { genesis: peer.genesis, nodes: [peer.node], stop: async () => await peer.close() }
      const what = `PoOT chain over libp2p: following ${opts.address} (${peer.genesis.validators.length} validators elsewhere; this gateway validates and votes in no round)`
      const port = new DevnetChainPort(chain, archive, opts.db, account, archived?.blocks.length, opts.dataDir, what)
      await peer.start()
      return port
    } catch (err) {
      await peer.close()
      throw err
    }
  }

  /** The gateway account's public key. */
  get accountKey(): string {
    return this.#account.publicKey
  }

  async info(): Promise<ChainInfo> {
    const head = this.#node.head()
    return {
      chain_id: this.#genesis.chain_id,
      consensus: 'PoOT',
      height: head.height,
      latest_hash: head.hash,
      finalized_height: this.#finalHeight(),
      validators: this.#genesis.validators.length,
      slot_ms: this.#genesis.params.slot_ms,
      pending_transactions: this.#node.poolSize
    }
  }

  async latestBlock(): Promise<BlockView> {
    const head = this.#node.head()
    const pending = head.final ? undefined : this.#candidates.get(head.hash)
    if (pending !== undefined) return this.#view(pending.block, pending.hash, pending.txIds, false)
    const final = this.#finalHeight()
    // Decided but not yet written: shown, not as final.
    if (this.#ledger.head().height > final) return this.#blockAtUnwritten(this.#ledger.head().height) as BlockView
    return (await this.#finalView(final)) as BlockView
  }

  async blockAt(height: number): Promise<BlockView | undefined> {
    if (height <= this.#finalHeight()) return await this.#finalView(height)
    if (height <= this.#ledger.head().height) return this.#blockAtUnwritten(height)
    const head = this.#node.head()
    const pending = head.final || head.height !== height ? undefined : this.#candidates.get(head.hash)
    return pending === undefined ? undefined : this.#view(pending.block, pending.hash, pending.txIds, false)
  }

  async submitTransaction(s: TransactionSubmission): Promise<TxReceipt> {
    const d = s.data as { [k: string]: Json } | null
    if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new errors.InvalidTransaction('data must be {from, nonce, payload, signature}')
    const extra = Object.keys(d).filter((k) => !['from', 'nonce', 'payload', 'signature'].includes(k))
    if (extra.length > 0)
      throw new errors.InvalidTransaction(`data has ${extra.join(', ')}: it is {from, nonce, payload, signature} of a transaction signed by its sender`)
    if (!(TX_TYPES as readonly string[]).includes(s.type)) throw new errors.InvalidTransaction(`unknown type ${s.type}`)
    if (s.type === 'session_anchor')
      throw new errors.InvalidTransaction(
        'session anchors are submitted by finalising the session (POST /sessions/{id}/finalize), signed by the gateway over the manifest it wrote'
      )
    const tx = { type: s.type, from: d.from, nonce: d.nonce, timestamp: s.timestamp, payload: d.payload, signature: d.signature } as unknown as Transaction
    // The node checks the shape, the signature and the rules; a transaction_id given must be the id it signed.
    if (s.tx_id !== undefined) {
      let id: string
      try {
        id = txId(tx)
      } catch {
        throw new errors.InvalidTransaction('the transaction cannot be encoded (data is {from, nonce, payload, signature})')
      }
      if (id !== s.tx_id) throw new errors.InvalidTransaction(`transaction_id ${s.tx_id} is not the transaction's id ${id}`)
    }
    return receipt(this.#node.submit(tx))
  }

  async anchorData(a: DataAnchorRequest): Promise<TxReceipt> {
    const now = Date.now()
    return this.#issue(this.#account.submit((acct) => acct.dataAnchor({ label: a.label, data_hash_sha256: a.digest, submitted_at: a.timestamp }, now)))
  }

  async anchorSession(a: SessionAnchorRequest): Promise<TxReceipt> {
    const now = Date.now()
    return this.#issue(
      this.#account.submit((acct) => acct.anchor({ session_id: a.session_id, manifest_hash: a.manifest_hash, merkle_root: a.merkle_root }, now))
    )
  }

  async transactionStatus(id: string): Promise<TxStatus | undefined> {
    const s = this.#node.txStatus(id)
    if (s.status === 'final') {
      const hash = await this.#blockHash(s.height)
      return { tx_id: id, status: s.height <= this.#finalHeight() ? 'final' : 'included', block_height: s.height, block_hash: hash, reason: '' }
    }
    if (s.status === 'included') return { tx_id: id, status: 'included', block_height: s.height, block_hash: s.block_hash, reason: '' }
    if (s.status === 'pending') return { tx_id: id, status: 'pending', block_height: null, block_hash: null, reason: '' }
    // Final long ago or before a restart: the archive's database copy knows its block.
    const rec = /^[0-9a-f]{64}$/.test(id) ? await this.#db.transactions.get(id) : undefined
    if (rec?.block_height !== undefined)
      return { tx_id: id, status: 'final', block_height: rec.block_height, block_hash: await this.#blockHash(rec.block_height), reason: '' }
    if (this.#issued.has(id))
      return {
        tx_id: id,
        status: 'rejected',
        block_height: null,
        block_hash: null,
        reason: 'no longer pending and in no block: a block made it invalid before it was included'
      }
    return undefined
  }

  async consensusStatus(): Promise<ConsensusStatus> {
    const params = this.#genesis.params
    const now = Date.now()
    const slot = slotAt(this.#genesis.genesis_time, params, now)
    const epoch = epochOf(params, slot)
    const state = this.#ledger.state
    // The open height's round now: the current slot, or the next one when this slot's block is already final.
    const round = Math.max(slot, state.head().slot + 1)
    const schedule = slotSchedule(epochInfo(state, epochOf(params, round)), params, round, state.get('recent') as Array<[number, string]>, state.head().slot)
    const final = this.#finalHeight()
    const head = (this.#ledger.at(final) ?? (await this.#archive.read(final)))?.block.header ?? { height: 0, timestamp: this.#genesis.genesis_time }
    return {
      algorithm: 'PoOT',
      slot,
      epoch,
      leader: schedule?.leader ?? '',
      height: this.#node.head().height,
      finalized_height: head.height,
      validators: this.#genesis.validators.length,
      // Final once more than two thirds of the committee's weight signed (3 x signed > 2 x total).
      quorum: 0.6667,
      healthy: schedule !== undefined && now - head.timestamp <= HEALTHY_SLOTS * params.slot_ms
    }
  }

  async nodes(): Promise<NodeStatus[]> {
    const params = this.#genesis.params
    const epoch = epochOf(params, slotAt(this.#genesis.genesis_time, params, Date.now()))
    const info = epochInfo(this.#ledger.state, epoch)
    const ranked: NodeStatus[] = info.ranking.map((r, i) => ({
      node_id: r.node,
      status: info.committee.members.has(r.node) ? 'committee' : 'eligible',
      credits: r.credits,
      rank: i + 1,
      uptime: r.uptime_bp / 10_000
    }))
    // Registered nodes out of the ranking (uptime or score too low, or registered this epoch) come last.
    const seen = new Set(info.ranking.map((r) => r.node))
    const others = (this.#ledger.state.get('nodes') as Array<[string, number]>).filter(([n]) => !seen.has(n))
    return [...ranked, ...others.map(([n], i) => ({ node_id: n, status: 'ineligible', credits: 0, rank: ranked.length + i + 1, uptime: 0 }))]
  }

  async exportPage(from: number, limit: number, maxBytes: number): Promise<ExportPage> {
    const finalized = this.#finalHeight()
    // From the archive, which holds every block up to `finalized` (the final height clients are told is
    // the archive's) in the very JSON a page carries: a page is one read, whatever the ledger keeps.
    const blocks = from > finalized ? [] : await this.#archive.readRange(from, Math.min(finalized, from + limit - 1), maxBytes)
    return { schema: 'lucid-chain-export-page/2', genesis: this.#genesis, genesis_hash: this.#genesisHash, finalized_height: finalized, blocks }
  }

  telemetry(): ChainTelemetry {
    const finalized = this.#ledger.head().height
    let best = finalized
    for (const n of this.#net.nodes) best = Math.max(best, n.ledger.head().height)
    return {
      height: this.#node.head().height,
      finalized_height: finalized,
      sync_lag_blocks: best - finalized,
      blocks_created: this.#finalCount,
      consensus_failures: this.#missedSlots,
      pending_transactions: this.#node.poolSize
    }
  }

  /**
   * Counts a final block and the slots skipped before it. Every slot has a leader and fallbacks, so a slot
   * that passed without a final block is a round the consensus lost (leaders down, no quorum). The gap to
   * the last block of a previous run is not counted: those slots passed while the gateway was stopped.
   */
  #countFinal(slot: number): void {
    this.#finalCount++
    if (this.#lastFinalSlot !== undefined && slot > this.#lastFinalSlot + 1) this.#missedSlots += slot - this.#lastFinalSlot - 1
    this.#lastFinalSlot = slot
  }

  /** Stops the validators and writes the last final blocks; reads still answer from the final chain. */
  async close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#net.stop()
      await Promise.all(
        this.#net.nodes.map(async (n) => {
          await n.flush()
        })
      )
      await this.#archive.flush()
    })()
    await this.#closing
  }

  /** The newest final block height clients may be told: final in the ledger and written to the archive. */
  #finalHeight(): number {
    return Math.min(this.#ledger.head().height, this.#durable)
  }

  /** A block final in the ledger whose archive write has not completed yet, shown as not final. */
  #blockAtUnwritten(height: number): BlockView | undefined {
    const f = this.#ledger.at(height)
    return f === undefined ? undefined : this.#view(f.block, f.hash, f.block.transactions.map(txId), false)
  }

  #issue(r: { tx_id: string; accepted_at: number }): TxReceipt {
    if (this.#issued.size >= ISSUED_LIMIT) this.#issued.delete(this.#issued.values().next().value as string)
    this.#issued.add(r.tx_id)
    return receipt(r)
  }

  /** The hash of a final block: the ledger's newest, else the archive's. */
  async #blockHash(height: number): Promise<string | null> {
    return (this.#ledger.at(height) ?? (await this.#archive.read(height)))?.hash ?? null
  }

  async #finalView(height: number): Promise<BlockView | undefined> {
    const hit = this.#views.get(height)
    if (hit !== undefined) return hit
    let v: BlockView
    if (height === 0) {
      const g = this.#genesis
      v = {
        height: 0,
        hash: this.#genesisHash,
        previous_hash: '',
        timestamp: g.genesis_time,
        slot: 0,
        epoch: 0,
        producer: '',
        merkle_root: '',
        transactions: [],
        anchors: [],
        final: true
      }
    } else {
      const f = this.#ledger.at(height) ?? (await this.#archive.read(height))
      if (f === undefined) return undefined
      v = this.#view(f.block, f.hash, f.block.transactions.map(txId), true)
    }
    if (this.#views.size >= VIEW_CACHE) this.#views.delete(this.#views.keys().next().value as number)
    this.#views.set(height, v)
    return v
  }

  #view(b: Block, hash: string, txIds: readonly string[], final: boolean): BlockView {
    const h = b.header
    const anchors: AnchorView[] = []
    b.transactions.forEach((tx, i) => {
      const id = txIds[i] as string
      const p = tx.payload as { [k: string]: string }
      if (tx.type === 'session_anchor')
        anchors.push({ kind: 'session', tx_id: id, label: p.session_id as string, digest: p.manifest_hash as string, merkle_root: p.merkle_root as string })
      else if (tx.type === 'data_anchor')
        anchors.push({ kind: 'data', tx_id: id, label: p.label as string, digest: p.data_hash_sha256 as string, merkle_root: '' })
    })
    return {
      height: h.height,
      hash,
      previous_hash: h.previous_hash,
      timestamp: h.timestamp,
      slot: h.slot,
      epoch: h.epoch,
      producer: h.producer,
      merkle_root: h.merkle_root,
      transactions: [...txIds],
      anchors,
      final
    }
  }
}

function receipt(r: { tx_id: string; accepted_at: number }): TxReceipt {
  return { tx_id: r.tx_id, status: 'pending', accepted_at: r.accepted_at }
}
