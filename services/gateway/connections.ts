/**
 * Open TCP connections of the gateway's server, behind `api_gateway_active_connections`. Counted on the
 * server's `connection` event and the socket's `close`, i.e. per connection, never per request: a
 * keep-alive client holding one connection for a million requests costs two increments.
 */
import type { Server } from 'node:net'

/** Counts a server's open connections. */
export class ConnectionCount {
  #open = 0

  /** Connections open now. */
  get open(): number {
    return this.#open
  }

  /** Starts counting `server`'s connections (those accepted from now on). */
  track(server: Server): void {
    server.on('connection', (socket) => {
      this.#open++
      socket.once('close', () => {
        this.#open--
      })
    })
  }
}
