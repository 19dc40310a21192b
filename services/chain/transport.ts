/**
 * How nodes exchange messages, behind an interface so the simulator can put latency, loss and partitions
 * between them. Messages are strings (the JSON a socket would carry): a receiver parses and validates
 * everything it gets and shares no object with the sender, as it would across a network. (Receivers in one
 * process may share one deep-frozen parse of the same text: services/common/frozen.ts.)
 */
import type { Scheduler } from './scheduler.ts'

/** A node's endpoint on a network. */
export interface Transport {
  /** Sends to every other node on the network. */
  broadcast(data: string): void
  /** Sends to one node. */
  send(to: string, data: string): void
}

/** Receives a message from `from`. */
export type MessageHandler = (from: string, data: string) => void

/** One-way delay of a message from `from` to `to` in ms, or undefined to drop it. */
export type LinkModel = (from: string, to: string) => number | undefined

/**
 * An in-process network: every message is delivered through the scheduler after the link's delay (0 by
 * default: the next turn of the event loop, never synchronously, so a handler never runs inside a sender).
 * A node can be disconnected (what it sends and what is sent to it is lost) and reconnected.
 */
export class LocalNetwork {
  readonly #handlers = new Map<string, MessageHandler>()
  readonly #down = new Set<string>()
  /** Messages delivered so far (one per receiver). */
  delivered = 0
  /** Of those, transactions gossiped (the rest is consensus: proposals, votes, certificates, catch-up). */
  deliveredTx = 0

  /**
   * @param scheduler delivers the messages
   * @param link the delay of each message (default 0 ms)
   */
  constructor(
    readonly scheduler: Scheduler,
    readonly link: LinkModel = () => 0
  ) {}

  /** Joins node `id`; its messages arrive at `handler`. */
  join(id: string, handler: MessageHandler): Transport {
    this.#handlers.set(id, handler)
    return {
      broadcast: (data) => {
        for (const to of this.#handlers.keys()) if (to !== id) this.#deliver(id, to, data)
      },
      send: (to, data) => {
        this.#deliver(id, to, data)
      }
    }
  }

  /** Cuts node `id` off (true) or brings it back (false). */
  setDown(id: string, down: boolean): void {
    if (down) this.#down.add(id)
    else this.#down.delete(id)
  }

  #deliver(from: string, to: string, data: string): void {
    if (this.#down.has(from) || this.#down.has(to)) return
    const delay = this.link(from, to)
    if (delay === undefined) return
    this.scheduler.at(this.scheduler.clock.now() + delay, () => {
      const h = this.#handlers.get(to)
      if (h === undefined || this.#down.has(to)) return
      this.delivered++
      if (data.startsWith('{"t":"tx"')) this.deliveredTx++
      h(from, data)
    })
  }
}
