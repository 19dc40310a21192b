/**
 * `lucid devnet --nodes N`: N validators, each its own `lucid node` process, on loopback ports, every one
 * bootstrapped with all the others (services/chain/p2p/processes.ts). Prints each node's address (what
 * `lucid serve --chain ADDRESS` takes) and keeps running; SIGINT or SIGTERM stops every node cleanly (each
 * flushes its consensus record and archive) and exits 0. A data directory that holds a devnet is resumed.
 *
 *   lucid devnet [--nodes 4] [--data DIR] [--slot-ms MS] [--verbose]
 */
import { fileURLToPath } from 'node:url'
import { parseFlags } from '../../args.ts'
import { errors } from '../../../services/common/errors.ts'
import { ProcessDevnet } from '../../../services/chain/p2p/index.ts'
import { untilStopped } from '../../stop.ts'

const USAGE = 'lucid devnet [--nodes 4] [--data DIR] [--slot-ms MS] [--verbose]'

const HELP = `${USAGE}

  --nodes N      validators, one OS process each (default 4; 1..32)
  --data DIR     the devnet's directory (default .lucid-devnet): genesis.json, node-<i>/ (key, archive,
                 consensus record); a directory holding a devnet is resumed
  --slot-ms MS   slot length of a new devnet (default 10000, the seed's 10 s blocks)
  --verbose      show every line the nodes print (default: their final blocks from node 0 only)

Prints each node's address; 'lucid serve --chain ADDRESS' runs the gateway on this chain.
Validator keys come from a public seed: a devnet for one machine, never a deployment. Ctrl-C stops every node.`

const LUCID = fileURLToPath(new URL('../../../bin/lucid.js', import.meta.url))

/** Runs `lucid devnet` until SIGINT/SIGTERM (or `stop`); resolves with the exit code. */
export async function devnetCommand(argv: string[], io: { out: NodeJS.WritableStream; stop?: AbortSignal } = { out: process.stdout }): Promise<number> {
  const parsed = parse(argv)
  const v = parsed.values
  if (v.help === true) {
    io.out.write(`${HELP}\n`)
    return 0
  }
  if (parsed.positionals.length > 0) throw new errors.Usage(`unexpected ${parsed.positionals.join(' ')}; ${USAGE}`)
  const nodes = Number(v.nodes ?? '4')
  if (!/^\d{1,2}$/.test(v.nodes ?? '4') || nodes < 1 || nodes > 32) throw new errors.BadValue(`--nodes ${String(v.nodes)} (an integer 1..32)`)
  const slotMs = Number(v['slot-ms'] ?? '10000')
  if (!/^\d{3,6}$/.test(v['slot-ms'] ?? '10000') || slotMs < 200) throw new errors.BadValue(`--slot-ms ${String(v['slot-ms'])} (an integer >= 200)`)
  const dir = v.data ?? '.lucid-devnet'
  const verbose = v.verbose === true
  io.out.write(`lucid devnet: starting ${nodes} node processes in ${dir} (${slotMs / 1000} s slots)\n`)
  const devnet = await ProcessDevnet.start({
    nodes,
    dir,
    command: [process.execPath, LUCID, 'node'],
    params: { slot_ms: slotMs, leader_timeout_ms: Math.floor(slotMs / 2) },
    onLine: (i, line) => {
      if (verbose || (i === 0 && line.startsWith('lucid node: final')) || line.startsWith('exited')) io.out.write(`[node ${i}] ${line}\n`)
    }
  })
  io.out.write(`lucid devnet: chain ${devnet.genesis.chain_id}, genesis at ${new Date(devnet.genesis.genesis_time).toISOString()}\n`)
  for (const n of devnet.nodes) io.out.write(`  node ${n.index}  ${n.address}  (pid ${n.child?.pid ?? '?'}, data ${n.dataDir})\n`)
  io.out.write(`lucid serve --chain ${devnet.nodes[0]?.address ?? ''}   runs the gateway on this chain. Ctrl-C stops the nodes.\n`)
  await untilStopped(io.stop)
  io.out.write('lucid devnet: stopping the nodes\n')
  await devnet.stop()
  io.out.write('lucid devnet: stopped\n')
  return 0
}

function parse(args: string[]) {
  return parseFlags(args, 'devnet', {
    options: {
      nodes: { type: 'string' },
      data: { type: 'string' },
      'slot-ms': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    },
    allowPositionals: true,
    strict: true
  })
}
