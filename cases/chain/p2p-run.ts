/**
 * The chain cases over real sockets: the same load and observations as devnet-run.ts, against a devnet of 4
 * validator processes (`lucid node`, services/chain/p2p) on loopback, talking through js-libp2p (TCP, Noise,
 * yamux, gossipsub). The observer is a following node in this process (a PeerNode whose key is not in
 * genesis, as the gateway's `--chain` node is): it submits the clients' anchors (gossiped to the validators),
 * and its clock times proposals, inclusion and finality as node 0's does in-process. Every machine clock is
 * the same here, so block timestamps (sealed in the validators' processes) and the observer's clock compare.
 *
 * Bytes on the wire: every host counts the raw bytes of its connections (services/chain/p2p/wire-metrics.ts);
 * the run reads the validators' counters over the request/response protocol at genesis and at the end, and
 * divides what all five hosts received in between by the blocks that became final.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { systemClock } from '../../services/common/clock.ts'
import { Account, ed25519Signer, keySeeds } from '../../services/chain/index.ts'
import { PeerNode, ProcessDevnet, rpcCall, type PeerStatus } from '../../services/chain/p2p/index.ts'
import type { CaseContext } from '../../harness/case.ts'
import { hex64, observe, seedBytes, sleepUntil, type RunOptions, type RunResult } from './devnet-run.ts'

const LUCID = fileURLToPath(new URL('../../bin/lucid.js', import.meta.url))
/** Time for 4 node processes to start (tsx compiles each) before slot 0. */
const STARTUP_MS = 12_000

/** What the socket run adds to RunResult. */
export interface WireResult {
  /** Raw bytes received by every host (4 validators and the observer) from genesis to the end. */
  readonly bytes: number
  /** Of which the 4 validators received. */
  readonly validatorBytes: number
  /** Sends dropped by the validators' transports (no route, overload, a peer gone mid-message). */
  readonly dropped: number
  /** Received transactions the validators shed at their admission lanes (overload). */
  readonly txShed: number
}

/** Runs the load of `opts` against a 4-process devnet and collects what the observer saw. */
export async function runP2pDevnet(ctx: CaseContext, opts: RunOptions): Promise<RunResult & { wire: WireResult }> {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-bench-p2p-'))
  const tail: string[] = []
  let devnet: ProcessDevnet | undefined
  let observer: PeerNode | undefined
  try {
    ctx.progress('starting 4 lucid node processes')
    devnet = await ProcessDevnet.start({
      nodes: opts.nodes ?? 4,
      dir,
      // LUCID_NODE_PROF=DIR: each node process writes its V8 CPU profile there (docs/chain.md, "Over real sockets").
      command: [process.execPath, ...nodeProfileFlags(), LUCID, 'node'],
      params: { slot_ms: opts.slotMs, leader_timeout_ms: opts.slotMs / 2 },
      genesisDelayMs: STARTUP_MS,
      readyTimeoutMs: 90_000,
      onLine: (i, line) => {
        if (line.startsWith('lucid node: final')) return
        tail.push(`[${i}] ${line}`)
        if (tail.length > 20) tail.shift()
      }
    })
    const d = devnet
    const obs = await PeerNode.open({
      dataDir: join(dir, 'observer'),
      seed: keySeeds(77, 1)[0] as Uint8Array,
      genesis: d.genesis,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      peers: d.nodes.map((n) => n.address),
      archive: false
    })
    observer = obs
    const node = obs.node
    const { finals, txs } = observe(node)
    await obs.start()
    // Many accounts, each sending every 64th transaction, so that gossip's reordering across paths rarely
    // puts one account's nonce n+1 ahead of n at a validator.
    const accounts = Array.from({ length: 64 }, (_, i) => new Account(ed25519Signer(seedBytes(i, 0xb2))))
    const startAt = d.genesis.genesis_time
    const endAt = startAt + opts.seconds * 1000
    await sleepUntil(startAt)
    const before = await wireSnapshot(obs, d)
    let rejected = 0
    let sent = 0
    const timer = setInterval(() => {
      const owed = Math.floor(((systemClock.now() - startAt) / 1000) * opts.txPerS) - sent
      for (let k = 0; k < owed; k++, sent++) {
        const acct = accounts[sent % accounts.length] as Account
        const tx = acct.anchor({ session_id: `bench-${sent}`, manifest_hash: hex64(sent), merkle_root: hex64(sent + 1) }, systemClock.now())
        const t0 = performance.now()
        const submittedAt = systemClock.now()
        try {
          const r = node.submit(tx)
          txs.set(r.tx_id, { submittedAt, ackMs: performance.now() - t0 })
        } catch {
          rejected++
        }
      }
    }, 10)
    const progress = setInterval(() => {
      ctx.progress(`height ${node.ledger.head().height}, ${sent} anchors sent, ${node.poolSize} pending (4 node processes over libp2p)`)
    }, 2000)
    await sleepUntil(endAt)
    clearInterval(timer)
    clearInterval(progress)
    const after = await wireSnapshot(obs, d)
    const messages = after.messages - before.messages
    return {
      finals,
      txs,
      rejectedSubmissions: rejected,
      slotsRun: Math.floor((endAt - startAt) / opts.slotMs),
      genesisTime: startAt,
      nodes: [node],
      messagesSent: messages,
      consensusMessages: messages - (after.txMessages - before.txMessages),
      wire: {
        bytes: after.bytes - before.bytes,
        validatorBytes: after.validatorBytes - before.validatorBytes,
        dropped: after.dropped - before.dropped,
        txShed: after.txShed - before.txShed
      },
      conditions: {
        network: `${d.nodes.length} validator processes (lucid node) on loopback TCP through js-libp2p 2.x (Noise, yamux, gossipsub 14), plus this process's following node (observer, load)`,
        timers: 'real',
        signatures: 'Ed25519 (node:crypto), real',
        slot_ms: opts.slotMs,
        committee_size: Math.min(d.genesis.params.committee_size, d.nodes.length),
        max_block_txs: d.genesis.params.max_block_txs,
        offered_tx_per_s: opts.txPerS,
        duration_s: opts.seconds,
        wire: 'raw connection bytes (encrypted, framed) received by all five hosts, divided by the final blocks'
      }
    }
  } catch (err) {
    throw new Error(`${(err as Error).message}${tail.length > 0 ? ` (nodes said: ${tail.slice(-6).join(' | ')})` : ''}`)
  } finally {
    await observer?.close()
    await devnet?.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

/** `--cpu-prof` into $LUCID_NODE_PROF for the node processes (NODE_OPTIONS refuses --cpu-prof), else nothing. */
function nodeProfileFlags(): string[] {
  const dir = process.env.LUCID_NODE_PROF
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`]
}

/** Messages and bytes received so far, summed over the validators (asked over rpc) and the observer. */
async function wireSnapshot(
  obs: PeerNode,
  d: ProcessDevnet
): Promise<{ bytes: number; validatorBytes: number; messages: number; txMessages: number; dropped: number; txShed: number }> {
  const own = obs.status()
  let validatorBytes = 0
  let messages = own.gossip_in + own.direct_in
  let txMessages = own.tx_in
  let dropped = 0
  let txShed = 0
  for (const n of d.nodes) {
    const s = (await rpcCall(obs.host, multiaddr(n.address), { m: 'status' })) as PeerStatus
    validatorBytes += s.wire_bytes_in
    messages += s.gossip_in + s.direct_in
    txMessages += s.tx_in
    dropped += s.dropped
    txShed += s.tx_shed
  }
  return { bytes: validatorBytes + own.wire_bytes_in, validatorBytes, messages, txMessages, dropped, txShed }
}
