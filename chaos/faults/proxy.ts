/**
 * A TCP fault proxy for the chaos suites: it sits between a client (the MongoDB driver) and a server and
 * misbehaves on demand, switched at runtime:
 *
 * - `pass`:      bytes flow both ways unchanged;
 * - `slow`:      every chunk, each way, is held `delayMs` before it is forwarded (order kept), so every
 *                round trip costs at least 2 x delayMs: a congested or distant network;
 * - `blackhole`: connections are accepted and kept, but nothing is forwarded either way: a partition
 *                where packets vanish and neither side is told. What arrives is held, not dropped, and is
 *                delivered (then any close that followed it) when the mode leaves `blackhole`, as TCP
 *                retransmission would after the partition heals: a request the client gave up on may
 *                still reach the server late, which is exactly what "an errored write may be applied"
 *                means for the checks;
 * - `refuse`:    every open connection is destroyed and the listening socket is closed, so new connects get
 *                ECONNREFUSED: the server is unreachable. Leaving `refuse` listens again on the same port.
 *
 * Why hand-written: no npm package offers runtime-switchable TCP faults that works offline here, and
 * toxiproxy (the usual tool) is a Go binary that cannot be had on these machines (no Go toolchain, no
 * download). node:net does what is needed in ~200 lines, with no dependency and no child process.
 */
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net'

/** How the proxy treats traffic. */
export type ProxyMode = 'pass' | 'slow' | 'blackhole' | 'refuse'

/** Where to forward, and the initial behaviour. */
export interface FaultProxyOptions {
  /** The server's host (default 127.0.0.1). */
  readonly targetHost?: string
  readonly targetPort: number
  /** Port to listen on (default 0: a free one, see `port`). */
  readonly listenPort?: number
  /** Delay per chunk and direction in `slow` mode, ms (default 200). */
  readonly delayMs?: number
  /**
   * Rewrites each message from the server before it is forwarded. Messages are framed by a leading int32
   * little-endian total length (the MongoDB wire protocol); only with this option does the proxy frame
   * the server's bytes, otherwise they pass as the chunks they arrived in. The chaos check uses it to make
   * a replica set advertise the proxy's address instead of its own (chaos/faults/mongo-advertise.ts).
   */
  readonly rewriteFromServer?: (message: Buffer) => Buffer
}

/** A running proxy. */
export interface FaultProxy {
  /** The port clients connect to (stable across `refuse` and back). */
  readonly port: number
  readonly mode: ProxyMode
  /** Connections currently open (pairs of client and server sockets). */
  readonly connections: number
  /** Connections accepted since the start. */
  readonly accepted: number
  /**
   * Switches the behaviour; resolves once the proxy acts on it (for `refuse`: sockets destroyed and the
   * listener closed; back from `refuse`: listening again). `delayMs` changes the slow delay.
   */
  setMode(mode: ProxyMode, opts?: { delayMs?: number }): Promise<void>
  /** Destroys every connection and stops listening. */
  close(): Promise<void>
}

// Bytes held for one direction before the source is paused (blackhole or slow backlog): bounds memory.
const HIGH_WATER = 4 * 1024 * 1024

/** One direction of a connection: a FIFO of chunks, each with the time it may leave. */
class Lane {
  readonly #queue: Array<{ at: number; data: Buffer | null }> = []
  #bytes = 0
  #timer: NodeJS.Timeout | undefined
  #paused = false
  #partial: Buffer = Buffer.alloc(0)
  #unframed = false

  /**
   * @param from the socket read @param to the socket written @param proxy the owner, for the mode
   * @param rewrite when given, the bytes are cut into length-prefixed messages and each is rewritten
   */
  constructor(
    readonly from: Socket,
    readonly to: Socket,
    readonly proxy: { mode: ProxyMode; delayMs: number },
    readonly rewrite?: (message: Buffer) => Buffer
  ) {}

  /** Takes bytes from the source (null: it ended), whole messages at a time when rewriting. */
  push(data: Buffer | null): void {
    if (this.rewrite === undefined || this.#unframed || data === null) {
      this.#enqueue(data)
      return
    }
    let buf = this.#partial.length > 0 ? Buffer.concat([this.#partial, data]) : data
    while (buf.length >= 4) {
      const len = buf.readInt32LE(0)
      // Not a length this protocol can have: stop framing and pass everything as it comes from now on.
      if (len < 16) {
        this.#unframed = true
        this.#enqueue(buf)
        buf = Buffer.alloc(0)
        break
      }
      if (buf.length < len) break
      this.#enqueue(this.rewrite(buf.subarray(0, len)))
      buf = buf.subarray(len)
    }
    this.#partial = buf
  }

  /** Queues a chunk (null = the source ended) behind what is already queued: order is never changed. */
  #enqueue(data: Buffer | null): void {
    const delay = this.proxy.mode === 'slow' ? this.proxy.delayMs : 0
    this.#queue.push({ at: performance.now() + delay, data })
    if (data !== null) this.#bytes += data.length
    if (this.#bytes > HIGH_WATER && !this.#paused) {
      this.#paused = true
      this.from.pause()
    }
    this.pump()
  }

  /** Forwards what is due, in order; in blackhole nothing is due until the mode changes. */
  pump(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.proxy.mode === 'blackhole' || this.proxy.mode === 'refuse') return
    const now = performance.now()
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!
      if (head.at > now) {
        this.#timer = setTimeout(() => this.pump(), Math.ceil(head.at - now))
        return
      }
      this.#queue.shift()
      if (head.data !== null) this.#bytes -= head.data.length
      if (this.to.destroyed) continue
      if (head.data === null) this.to.end()
      else this.to.write(head.data)
    }
    if (this.#paused && this.#bytes <= HIGH_WATER / 2) {
      this.#paused = false
      this.from.resume()
    }
  }

  /** Chunks (and end markers) not yet forwarded. */
  get pending(): number {
    return this.#queue.length
  }

  /** Drops everything queued (the connection is being destroyed). */
  clear(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#queue.length = 0
    this.#bytes = 0
    this.#partial = Buffer.alloc(0)
  }
}

/** A client's connection and the proxy's own to the target, with a lane each way. */
interface Pair {
  client: Socket
  server: Socket
  lanes: Lane[]
}

/** Connects an accepted client to the target through two lanes; `destroy` ends the pair. */
function joinPair(client: Socket, opts: FaultProxyOptions, state: { mode: ProxyMode; delayMs: number }, destroy: (p: Pair) => void): Pair {
  client.setNoDelay(true)
  const server = connect({ host: opts.targetHost ?? '127.0.0.1', port: opts.targetPort })
  server.setNoDelay(true)
  const up = new Lane(client, server, state)
  const down = new Lane(server, client, state, opts.rewriteFromServer)
  const pair: Pair = { client, server, lanes: [up, down] }
  client.on('data', (d: Buffer) => up.push(d))
  server.on('data', (d: Buffer) => down.push(d))
  // A half-close travels like data (it is queued behind the bytes before it): the server sees the
  // client's request, then its close, even when both were held by a blackhole.
  client.on('end', () => up.push(null))
  server.on('end', () => down.push(null))
  // An error or a full close on either side ends the pair: there is nothing left to forward to.
  // (Errors are expected here, e.g. ECONNRESET when a side is destroyed; they must not go unhandled.)
  client.on('error', () => destroy(pair))
  server.on('error', () => destroy(pair))
  // A side that closed with bytes still queued from it (held by a blackhole or a slow delay) keeps the
  // pair until they are delivered: its lane ends the other side after them, whose close ends the pair.
  client.on('close', () => {
    if (up.pending === 0 || server.destroyed) destroy(pair)
  })
  server.on('close', () => {
    if (down.pending === 0 || client.destroyed) destroy(pair)
  })
  return pair
}

/** Starts a proxy listening on 127.0.0.1 and forwarding to the target. */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const state = { mode: 'pass' as ProxyMode, delayMs: opts.delayMs ?? 200 }
  const pairs = new Set<Pair>()
  let accepted = 0
  let listener: Server | undefined
  let port = opts.listenPort ?? 0

  const destroyPair = (p: Pair): void => {
    if (!pairs.delete(p)) return
    for (const l of p.lanes) l.clear()
    p.client.destroy()
    p.server.destroy()
  }

  const onConnection = (client: Socket): void => {
    accepted++
    if (state.mode === 'refuse') {
      client.destroy()
      return
    }
    pairs.add(joinPair(client, opts, state, destroyPair))
  }

  const listen = async (): Promise<void> => {
    const srv = createServer(onConnection)
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject)
      srv.listen(port, '127.0.0.1', () => {
        srv.off('error', reject)
        resolve()
      })
    })
    // Listener errors after start (none expected) must not crash the process running the chaos suite.
    srv.on('error', () => {})
    port = (srv.address() as AddressInfo).port
    listener = srv
  }

  const unlisten = (): void => {
    // close() stops accepting at once; its callback would wait for connections, which we destroy anyway.
    listener?.close()
    listener = undefined
  }

  await listen()

  return {
    get port() {
      return port
    },
    get mode() {
      return state.mode
    },
    get connections() {
      return pairs.size
    },
    get accepted() {
      return accepted
    },
    async setMode(mode, o = {}) {
      if (o.delayMs !== undefined) state.delayMs = o.delayMs
      const was = state.mode
      state.mode = mode
      if (mode === 'refuse') {
        unlisten()
        for (const p of [...pairs]) destroyPair(p)
        return
      }
      if (was === 'refuse') {
        // The port was free for a moment; another process taking it is possible but unlikely on
        // loopback within seconds. Retry briefly rather than fail on a transient EADDRINUSE.
        for (let attempt = 0; ; attempt++) {
          try {
            await listen()
            break
          } catch (err) {
            if (attempt >= 20) throw err
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
        }
      }
      // Leaving blackhole (or changing the delay): forward what is due now.
      for (const p of pairs) for (const l of p.lanes) l.pump()
    },
    async close() {
      state.mode = 'refuse'
      unlisten()
      for (const p of [...pairs]) destroyPair(p)
    }
  }
}
