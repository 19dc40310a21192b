/**
 * `lucid node`: one PoOT validator in this OS process, talking to its peers through js-libp2p (gossipsub for
 * proposals, votes, certificates and transactions; request/response for catch-up and sync). docs/scale.md.
 *
 *   lucid node --key FILE [--data DIR] [--genesis FILE] [--listen MULTIADDR ...] [--peer MULTIADDR ...]
 *              [--config FILE]
 *
 * The key file holds the node's 32-byte Ed25519 seed in hex (created, 0600, when missing: the node id is
 * printed so that it can be put in a genesis). A node whose key is not a validator of the genesis follows the
 * chain without voting. The genesis comes from --genesis, else the archive in DIR, else the first peer.
 * A config file is JSON with the same names (`{"key", "data", "genesis", "listen": [], "peers": []}`); flags
 * override it. Prints `lucid node: ready <node id> <address>` once it listens (what `lucid devnet` waits for),
 * then one line per final block. SIGINT or SIGTERM stops the rounds, makes the consensus record and the
 * archive durable and exits 0.
 */
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { parseFlags } from '../../args.ts'
import { errors } from '../../../services/common/errors.ts'
import { fromHex, toHex } from '../../../services/common/hash.ts'
import { ed25519Signer, type Genesis } from '../../../services/chain/index.ts'
import { PeerNode, parsePeerAddress } from '../../../services/chain/p2p/index.ts'
import { untilStopped } from '../../stop.ts'

const USAGE = 'lucid node --key FILE [--data DIR] [--genesis FILE] [--listen MULTIADDR ...] [--peer MULTIADDR ...] [--config FILE]'

const HELP = `${USAGE}

  --key FILE       the node's Ed25519 seed (64 hex characters); created (0600) when missing
  --data DIR       data directory (default .lucid-node): DIR/chain holds the archive and the consensus record
  --genesis FILE   the chain's genesis (JSON); default: the archive's, else the first peer's
  --listen ADDR    multiaddr to listen on (repeatable; default /ip4/127.0.0.1/tcp/0)
  --peer ADDR      a peer to keep connected to, /ip4/H/tcp/P/p2p/ID (repeatable)
  --config FILE    JSON {"key", "data", "genesis", "listen": [...], "peers": [...]}; flags override it

A node whose key is in the genesis validates and votes; any other key follows the chain.
Prints 'lucid node: ready <node id> <address>' once listening. Ctrl-C stops (record and archive flushed).`

/** What a node runs with, from flags and the config file. */
export interface NodeFlags {
  readonly key: string
  readonly data: string
  readonly genesis?: string
  readonly listen: readonly string[]
  readonly peers: readonly string[]
}

/** Parses the flags (and the config file they name); LUCID_ERR_9001/9003 on bad ones. */
export async function parseNodeFlags(argv: string[]): Promise<NodeFlags | 'help'> {
  const parsed = parse(argv)
  const v = parsed.values
  if (v.help === true) return 'help'
  if (parsed.positionals.length > 0) throw new errors.Usage(`unexpected ${parsed.positionals.join(' ')}; ${USAGE}`)
  let cfg: Partial<Record<'key' | 'data' | 'genesis', string>> & { listen?: string[]; peers?: string[] } = {}
  if (v.config !== undefined) {
    try {
      cfg = JSON.parse(await readFile(v.config, 'utf8')) as typeof cfg
    } catch (err) {
      throw new errors.BadValue(`--config ${v.config} (${(err as Error).message})`)
    }
    if (cfg === null || typeof cfg !== 'object') throw new errors.BadValue(`--config ${v.config} (a JSON object)`)
  }
  const key = v.key ?? cfg.key
  if (key === undefined || key === '') throw new errors.Usage(`--key is required; ${USAGE}`)
  const listen = v.listen ?? cfg.listen ?? ['/ip4/127.0.0.1/tcp/0']
  const peers = v.peer ?? cfg.peers ?? []
  if (!Array.isArray(listen) || !Array.isArray(peers)) throw new errors.BadValue('listen and peers (arrays of multiaddrs)')
  for (const p of peers) {
    try {
      parsePeerAddress(p)
    } catch (err) {
      throw new errors.BadValue(`--peer ${p} (${(err as Error).message})`)
    }
  }
  const genesis = v.genesis ?? cfg.genesis
  return { key, data: v.data ?? cfg.data ?? '.lucid-node', listen, peers, ...(genesis !== undefined ? { genesis } : {}) }
}

function parse(args: string[]) {
  return parseFlags(args, 'node', {
    options: {
      key: { type: 'string' },
      data: { type: 'string' },
      genesis: { type: 'string' },
      listen: { type: 'string', multiple: true },
      peer: { type: 'string', multiple: true },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    allowPositionals: true,
    strict: true
  })
}

/** Reads the node's seed, creating the file (0600) with a random one when it does not exist. */
async function loadSeed(path: string, out: NodeJS.WritableStream): Promise<Uint8Array> {
  try {
    const hex = (await readFile(path, 'utf8')).trim()
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new errors.BadValue(`--key ${path} (64 hex characters: a 32-byte Ed25519 seed)`)
    return fromHex(hex)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    const seed = new Uint8Array(randomBytes(32))
    await writeFile(path, toHex(seed) + '\n', { mode: 0o600, flag: 'wx' })
    out.write(`lucid node: created ${path}; node id ${ed25519Signer(seed).publicKey}\n`)
    return seed
  }
}

/** Runs `lucid node` until SIGINT/SIGTERM (or `stop`); resolves with the exit code. */
export async function nodeCommand(argv: string[], io: { out: NodeJS.WritableStream; stop?: AbortSignal } = { out: process.stdout }): Promise<number> {
  const f = await parseNodeFlags(argv)
  if (f === 'help') {
    io.out.write(`${HELP}\n`)
    return 0
  }
  const seed = await loadSeed(f.key, io.out)
  let genesis: Genesis | undefined
  if (f.genesis !== undefined) {
    try {
      genesis = JSON.parse(await readFile(f.genesis, 'utf8')) as Genesis
    } catch (err) {
      throw new errors.BadValue(`--genesis ${f.genesis} (${(err as Error).message})`)
    }
  }
  const peer = await PeerNode.open({ dataDir: f.data, seed, listen: f.listen, peers: f.peers, ...(genesis !== undefined ? { genesis } : {}) })
  const role = peer.genesis.validators.some((v) => v.node_id === peer.node.id) ? 'validator' : 'follower (key not in genesis)'
  peer.node.on({
    final: (fin) => {
      io.out.write(`lucid node: final ${fin.block.header.height} ${fin.hash.slice(0, 16)} slot ${fin.block.header.slot} txs ${fin.block.transactions.length}\n`)
    },
    fault: (err) => {
      io.out.write(`lucid node: consensus record failed, node stopped: ${err.message}\n`)
    }
  })
  const { synced, syncError } = await peer.start()
  if (syncError !== undefined) io.out.write(`lucid node: sync from peers failed, catching up through the rounds instead: ${syncError.message}\n`)
  io.out.write(
    `lucid node: ${role}, chain ${peer.genesis.chain_id}, data ${f.data}, final height ${peer.node.ledger.head().height}${synced > 0 ? ` (${synced} synced)` : ''}, ${f.peers.length} peers given\n`
  )
  for (const a of peer.addresses()) io.out.write(`${'lucid node: ready'} ${peer.node.id} ${a}\n`)
  await untilStopped(io.stop)
  await peer.close()
  io.out.write('lucid node: stopped\n')
  return 0
}
