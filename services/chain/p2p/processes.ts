/**
 * A devnet of node processes on loopback: N validators, each its own OS process (`lucid node`) with its own
 * data directory, key and port, every one bootstrapped with all the others' addresses. What `lucid devnet`
 * runs, and what the multi-process benchmarks, the faults suite and the tests start.
 *
 * Layout of DIR: `genesis.json` (the devnet's chain), `node-<i>/node.key` (its 32-byte Ed25519 seed in hex,
 * 0600, from the devnet's public key seed: these keys are for one machine, never a deployment), and
 * `node-<i>/chain/` (its archive and consensus record). A DIR that already holds a genesis is resumed: the
 * nodes restart from their archives and records.
 *
 * This module knows no command line: the caller says how to start one node (`command`, e.g. the path of
 * bin/lucid.js and `node`), so services stay below the CLI.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { errors } from '../../common/errors.ts'
import { toHex } from '../../common/hash.ts'
import { devnetGenesis, keySeeds } from '../devnet.ts'
import { ed25519Signer } from '../signer.ts'
import type { ChainParams, Genesis } from '../types.ts'
import { peerIdOf } from './identity.ts'

/** Options of ProcessDevnet.start. */
export interface ProcessDevnetOptions {
  /** Validators (processes). */
  readonly nodes: number
  /** The devnet's directory (created; resumed when it holds a genesis). */
  readonly dir: string
  /** The argv that runs one node, before its flags: e.g. [process.execPath, 'bin/lucid.js', 'node']. */
  readonly command: readonly string[]
  /** Chain parameters of a new devnet (part of genesis; ignored on resume). */
  readonly params?: Partial<ChainParams>
  /** Key seed (default 1, as the in-process devnet). */
  readonly seed?: number
  /** Genesis this long after start, rounded to a whole second, so that every process is up for slot 0 (default 5 s). */
  readonly genesisDelayMs?: number
  /** Each line a node prints (stdout and stderr), e.g. to show it or to keep it for a failure message. */
  readonly onLine?: (index: number, line: string) => void
  /** How long a node may take to print its address (default 60 s: a loaded machine compiles slowly). */
  readonly readyTimeoutMs?: number
  /** Environment of the node processes (default this process's). */
  readonly env?: NodeJS.ProcessEnv
}

/** One node of the devnet. */
export interface DevnetProcess {
  readonly index: number
  readonly nodeId: string
  readonly port: number
  /** Its multiaddr with its peer id: what peers and `lucid serve --chain` dial. */
  readonly address: string
  readonly dataDir: string
  child: ChildProcess | undefined
}

const READY = 'lucid node: ready'

/** A running multi-process devnet. */
export class ProcessDevnet {
  readonly genesis: Genesis
  readonly nodes: readonly DevnetProcess[]
  readonly #opts: ProcessDevnetOptions
  #stopping = false

  private constructor(opts: ProcessDevnetOptions, genesis: Genesis, nodes: DevnetProcess[]) {
    this.#opts = opts
    this.genesis = genesis
    this.nodes = nodes
  }

  /** Writes (or reads back) the genesis and keys, picks free loopback ports and starts every node. */
  static async start(opts: ProcessDevnetOptions): Promise<ProcessDevnet> {
    if (!Number.isSafeInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 100) throw new errors.BadValue(`--nodes ${opts.nodes} (1..100)`)
    await mkdir(opts.dir, { recursive: true })
    const seeds = keySeeds(opts.seed ?? 1, opts.nodes)
    const signers = seeds.map(ed25519Signer)
    const genesisFile = join(opts.dir, 'genesis.json')
    let genesis: Genesis
    try {
      genesis = JSON.parse(await readFile(genesisFile, 'utf8')) as Genesis
      const want = new Set(signers.map((s) => s.publicKey))
      if (genesis.validators.length !== opts.nodes || genesis.validators.some((v) => !want.has(v.node_id)))
        throw new errors.InvalidBlock(
          `${genesisFile} is a devnet of ${genesis.validators.length} validators with other keys: start with its --nodes or another directory`
        )
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      const at = Math.ceil((Date.now() + (opts.genesisDelayMs ?? 5_000)) / 1000) * 1000
      genesis = devnetGenesis(signers, at, opts.params)
      await writeFile(genesisFile, JSON.stringify(genesis, null, 2) + '\n')
    }
    const ports = await freePorts(opts.nodes)
    const nodes: DevnetProcess[] = []
    for (let i = 0; i < opts.nodes; i++) {
      const dataDir = join(opts.dir, `node-${i}`)
      await mkdir(dataDir, { recursive: true })
      await writeFile(join(dataDir, 'node.key'), toHex(seeds[i] as Uint8Array) + '\n', { mode: 0o600 })
      const nodeId = (signers[i] as { publicKey: string }).publicKey
      const port = ports[i] as number
      nodes.push({ index: i, nodeId, port, address: `/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdOf(nodeId).toString()}`, dataDir, child: undefined })
    }
    const devnet = new ProcessDevnet(opts, genesis, nodes)
    try {
      await Promise.all(nodes.map(async (n) => await devnet.#spawn(n)))
    } catch (err) {
      await devnet.stop()
      throw err
    }
    return devnet
  }

  /** Whether node `i`'s process is running. */
  alive(i: number): boolean {
    const c = this.#node(i).child
    return c !== undefined && c.exitCode === null && c.signalCode === null
  }

  /** Kills node `i` with `signal` (default SIGKILL: no chance to flush anything) and waits for it to exit. */
  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const n = this.#node(i)
    const c = n.child
    if (c === undefined || !this.alive(i)) return
    const exited = new Promise<void>((r) => c.once('exit', () => r()))
    c.kill(signal)
    await exited
    n.child = undefined
  }

  /** Starts node `i` again on its port and data directory (after kill); resolves once it is listening. */
  async restart(i: number): Promise<void> {
    if (this.alive(i)) throw new errors.NodeProcessFailed(`node ${i} is running`)
    await this.#spawn(this.#node(i))
  }

  /** SIGINT to every node (they stop their rounds, flush their records and archives), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.#stopping = true
    await Promise.all(
      this.nodes.map(async (n) => {
        const c = n.child
        if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
        const exited = new Promise<void>((r) => c.once('exit', () => r()))
        c.kill('SIGINT')
        const t = setTimeout(() => c.kill('SIGKILL'), graceMs)
        await exited
        clearTimeout(t)
        n.child = undefined
      })
    )
  }

  #node(i: number): DevnetProcess {
    const n = this.nodes[i]
    if (n === undefined) throw new errors.BadValue(`node ${i} (0..${this.nodes.length - 1})`)
    return n
  }

  async #spawn(n: DevnetProcess): Promise<void> {
    const o = this.#opts
    const [cmd, ...pre] = o.command
    if (cmd === undefined) throw new errors.BadValue('command (empty)')
    const args = [
      ...pre,
      '--data',
      n.dataDir,
      '--key',
      join(n.dataDir, 'node.key'),
      '--genesis',
      join(o.dir, 'genesis.json'),
      '--listen',
      `/ip4/127.0.0.1/tcp/${n.port}`,
      ...this.nodes.filter((p) => p !== n).flatMap((p) => ['--peer', p.address])
    ]
    const started = await spawnNode([cmd, ...args], {
      readyTimeoutMs: o.readyTimeoutMs ?? 60_000,
      label: `node ${n.index}`,
      ...(o.env !== undefined ? { env: o.env } : {}),
      onLine: (line) => o.onLine?.(n.index, line),
      onExit: (signal, code) => {
        if (!this.#stopping && o.onLine !== undefined && signal !== 'SIGKILL') o.onLine(n.index, `exited (${signal ?? code})`)
      },
      onSpawn: (child) => {
        n.child = child
      }
    })
    n.child = started.child
  }
}

/** Options of spawnNode. */
export interface SpawnNodeOptions {
  /** How long the node may take to print its address. */
  readonly readyTimeoutMs: number
  /** Names the node in errors. */
  readonly label: string
  readonly env?: NodeJS.ProcessEnv
  /** Each line it prints (stdout and stderr). */
  readonly onLine?: (line: string) => void
  /** Called when it exits after it was ready. */
  readonly onExit?: (signal: NodeJS.Signals | null, code: number | null) => void
  /** Called right after spawning (the child may still fail to become ready). */
  readonly onSpawn?: (child: ChildProcess) => void
}

/**
 * Starts one `lucid node` process (`argv`: the command and its flags) and resolves once it printed
 * `lucid node: ready <node id> <address>`, with its first address; LUCID_ERR_5019 (and the process killed)
 * when it exits first or stays silent past the deadline.
 */
export async function spawnNode(argv: readonly string[], o: SpawnNodeOptions): Promise<{ child: ChildProcess; address: string; nodeId: string }> {
  const [cmd, ...args] = argv
  if (cmd === undefined) throw new errors.BadValue('command (empty)')
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: o.env ?? process.env })
  o.onSpawn?.(child)
  const tail: string[] = []
  return await new Promise((resolve, reject) => {
    let ready = false
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new errors.NodeProcessFailed(`${o.label} printed no address within ${o.readyTimeoutMs} ms: ${tail.join(' | ')}`))
    }, o.readyTimeoutMs)
    const onLine = (line: string): void => {
      tail.push(line)
      if (tail.length > 10) tail.shift()
      o.onLine?.(line)
      if (!ready && line.startsWith(READY)) {
        ready = true
        clearTimeout(timer)
        const [nodeId = '', address = ''] = line.slice(READY.length).trim().split(' ')
        resolve({ child, address, nodeId })
      }
    }
    lines(child.stdout, onLine)
    lines(child.stderr, onLine)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (!ready) reject(new errors.NodeProcessFailed(`${o.label} exited (${signal ?? code}) before it was ready: ${tail.join(' | ')}`))
      else o.onExit?.(signal, code)
    })
  })
}

function lines(stream: NodeJS.ReadableStream | null, fn: (line: string) => void): void {
  if (stream === null) return
  let buf = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buf += chunk
    let i = buf.indexOf('\n')
    while (i >= 0) {
      fn(buf.slice(0, i))
      buf = buf.slice(i + 1)
      i = buf.indexOf('\n')
    }
  })
}

/** `count` TCP ports free on 127.0.0.1 now (each bound to port 0 and released; all held until all are picked, so they differ). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      async () =>
        await new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer()
          s.once('error', reject)
          s.listen(0, '127.0.0.1', () => resolve(s))
        })
    )
  )
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port)
  await Promise.all(servers.map(async (s) => await new Promise((r) => s.close(r))))
  return ports
}
