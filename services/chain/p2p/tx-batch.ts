/**
 * Transactions leave a node in batches. Each gossip message costs every host on its path a fixed price
 * whatever its size: a message id hash, the seen-cache and message-cache entries, a protobuf frame, a yamux
 * frame, a Noise seal and a socket write, then the same on every relay. At 300 transactions a second sent one
 * per message, that fixed price (gossipsub, Noise and socket writes together) was about a quarter of each
 * validator's time. Joining the transactions sent within a short window into one message pays it once per
 * window, as Bitcoin's and Ethereum's nodes announce transactions in batches.
 *
 * A batch is the transactions' JSON texts joined by newlines: a JSON text written by JSON.stringify holds no
 * raw newline, so the receiver splits without parsing. The window (20 ms by default) is short beside a
 * 10-second slot, and a batch is sent at once when it reaches `maxBytes`.
 */

/** Schedules `fn` after `ms` (setTimeout in a process; a test's queue in a test); returns a cancel function. */
export type After = (ms: number, fn: () => void) => () => void

/** Options of a TxBatcher. */
export interface TxBatcherOptions {
  /** How long the first transaction of a batch may wait for others (default 20 ms). */
  readonly windowMs?: number
  /** A batch is sent as soon as it holds this many bytes of text (default 64 KiB). */
  readonly maxBytes?: number
  /** The timer (default setTimeout). */
  readonly after?: After
}

const defaultAfter: After = (ms, fn) => {
  const t = setTimeout(fn, ms)
  return () => clearTimeout(t)
}

/** Joins the transaction texts given within a window and hands each batch to `send`. */
export class TxBatcher {
  readonly #texts: string[] = []
  #bytes = 0
  #cancel: (() => void) | undefined
  readonly #windowMs: number
  readonly #maxBytes: number
  readonly #after: After

  /** @param send receives each batch: the texts joined by newlines */
  constructor(
    readonly send: (batch: string) => void,
    opts: TxBatcherOptions = {}
  ) {
    this.#windowMs = opts.windowMs ?? 20
    this.#maxBytes = opts.maxBytes ?? 64 * 1024
    this.#after = opts.after ?? defaultAfter
  }

  /** Adds one transaction's JSON text (no raw newline) to the open batch. */
  add(text: string): void {
    if (text.includes('\n')) throw new RangeError('a batched transaction text holds no newline')
    this.#texts.push(text)
    this.#bytes += text.length + 1
    if (this.#bytes >= this.#maxBytes) this.flush()
    else this.#cancel ??= this.#after(this.#windowMs, () => this.flush())
  }

  /** Sends the open batch now (nothing when empty). */
  flush(): void {
    this.#cancel?.()
    this.#cancel = undefined
    if (this.#texts.length === 0) return
    const batch = this.#texts.join('\n')
    this.#texts.length = 0
    this.#bytes = 0
    this.send(batch)
  }

  /** Drops the open batch and its timer. */
  close(): void {
    this.#cancel?.()
    this.#cancel = undefined
    this.#texts.length = 0
    this.#bytes = 0
  }
}

/** The transaction texts of a batch. */
export function splitBatch(batch: string): string[] {
  return batch.length === 0 ? [] : batch.split('\n')
}
