/**
 * The simulated network behind the chain's Transport seam: every message draws its link's delay, may be
 * lost, is cut by an active partition, and is dropped when either end is down (a message in flight to a node
 * that crashes is lost with it). Delivery runs as the receiver's work on its virtual CPU; a message leaves
 * its sender after the work the sender did before sending it.
 *
 * Messages stay the JSON text a socket would carry, as in the devnet; a broadcast hands every receiver the same
 * string, which ChainNode parses once per process (services/common/frozen.ts, parseFrozen).
 */
import type { Rng } from '../../services/common/rng.ts'
import type { MessageHandler, Transport } from '../../services/chain/index.ts'
import type { NodeCpu } from './cpu.ts'
import { sampleLatency, type Latency } from './links.ts'
import type { EventQueue } from './queue.ts'
import type { PartitionWindow } from './spec.ts'

/** What the network did with the messages sent. */
export interface NetworkStats {
  sent: number
  delivered: number
  /** Dropped by the loss probability. */
  lost: number
  /** Dropped by a partition. */
  cut: number
  /** Dropped because an end was down. */
  down: number
}

/** Options of SimNetwork. */
export interface NetworkOptions {
  readonly queue: EventQueue
  readonly rng: Rng
  /** The delay distribution of the link from node index `from` to `to`. */
  readonly latency: (from: number, to: number) => Latency
  /** Probability that a message is lost, per message and link. */
  readonly loss: number
  /** Partitions, times relative to `genesisTime`. */
  readonly partitions: readonly PartitionWindow[]
  readonly genesisTime: number
  /** Number of nodes (indices 0..nodes-1). */
  readonly nodes: number
}

interface Cut {
  readonly from: number
  readonly to: number
  readonly groupOf: Int32Array
}

/** The network of one simulation. */
export class SimNetwork {
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, cut: 0, down: 0 }
  readonly #o: NetworkOptions
  readonly #ids: string[] = []
  readonly #index = new Map<string, number>()
  readonly #handlers: Array<MessageHandler | undefined> = []
  readonly #cpus: Array<NodeCpu | undefined> = []
  readonly #down: boolean[]
  readonly #cuts: Cut[]

  constructor(opts: NetworkOptions) {
    this.#o = opts
    this.#down = new Array<boolean>(opts.nodes).fill(false)
    this.#cuts = opts.partitions.map((p) => {
      const groupOf = new Int32Array(opts.nodes).fill(p.groups.length)
      p.groups.forEach((g, gi) => {
        for (const i of g) groupOf[i] = gi
      })
      return { from: opts.genesisTime + p.fromMs, to: opts.genesisTime + p.toMs, groupOf }
    })
  }

  /** Names node `index` (its public key) before it joins. */
  register(index: number, id: string): void {
    this.#ids[index] = id
    this.#index.set(id, index)
  }

  /** The public key of node `index`. */
  idOf(index: number): string {
    return this.#ids[index] as string
  }

  /** The index of node `id`, or undefined for a stranger. */
  indexOf(id: string): number | undefined {
    return this.#index.get(id)
  }

  /**
   * Connects node `index`: its incoming messages go to `handler` (replacing an earlier one, as a restarted
   * process takes over its address), run on `cpu`. Returns the node's transport.
   */
  join(index: number, cpu: NodeCpu, handler: MessageHandler): Transport {
    this.#handlers[index] = handler
    this.#cpus[index] = cpu
    return {
      broadcast: (data) => {
        for (let to = 0; to < this.#ids.length; to++) if (to !== index) this.#send(index, to, data)
      },
      send: (to, data) => {
        const t = this.#index.get(to)
        if (t !== undefined) this.#send(index, t, data)
      }
    }
  }

  /** Takes node `index` down (crashed, or syncing outside the live protocol) or brings it back. */
  setDown(index: number, down: boolean): void {
    this.#down[index] = down
  }

  /** True when node `index` is up. */
  isUp(index: number): boolean {
    return this.#down[index] !== true
  }

  /** True when no active partition separates `a` and `b` at virtual time `atMs`. */
  reachable(a: number, b: number, atMs: number): boolean {
    for (const c of this.#cuts) if (atMs >= c.from && atMs < c.to && c.groupOf[a] !== c.groupOf[b]) return false
    return true
  }

  /** True when a partition is active at `atMs`. */
  partitioned(atMs: number): boolean {
    return this.#cuts.some((c) => atMs >= c.from && atMs < c.to)
  }

  #send(from: number, to: number, data: string): void {
    const s = this.stats
    s.sent++
    if (this.#down[from] === true || this.#down[to] === true) {
      s.down++
      return
    }
    const q = this.#o.queue
    if (!this.reachable(from, to, q.now())) {
      s.cut++
      return
    }
    if (this.#o.loss > 0 && this.#o.rng.next() < this.#o.loss) {
      s.lost++
      return
    }
    const leaves = q.now() + (this.#cpus[from]?.spent ?? 0)
    const fromId = this.#ids[from] as string
    q.post(leaves + sampleLatency(this.#o.latency(from, to), this.#o.rng), () => {
      const cpu = this.#cpus[to]
      if (cpu === undefined) return
      // Run as the receiver's work, which may wait for its CPU; whether it is still up (and which process
      // now holds its address) is decided when it actually handles the message.
      cpu.run(() => {
        const handler = this.#handlers[to]
        if (handler === undefined || this.#down[to] === true) {
          s.down++
          return
        }
        s.delivered++
        handler(fromId, data)
      })
    })
  }
}
