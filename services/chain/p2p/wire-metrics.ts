/**
 * Bytes on the wire, counted where libp2p hands a raw connection to its upgrader: what crosses the TCP socket
 * (Noise handshake, encryption, yamux frames, multistream negotiation and gossipsub's control traffic
 * included), not the JSON the chain hands to the transport. This is the figure the benchmarks divide by the
 * blocks: what a block costs the network as deployed. Everything else libp2p would record is dropped.
 */
import type { Metrics, MultiaddrConnection } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Running byte counts of every connection a host had. */
export interface WireCounters {
  bytesIn: number
  bytesOut: number
  connections: number
}

type Chunk = Uint8Array | Uint8ArrayList

/** A metric that records nothing: libp2p registers dozens; only the byte counts matter here. */
const NOOP_METRIC = {
  update() {},
  increment() {},
  decrement() {},
  reset() {},
  observe() {},
  timer: () => () => {}
}

/** A libp2p Metrics implementation that counts raw connection bytes into `counters`. */
export function wireMetrics(counters: WireCounters): () => Metrics {
  const register = (): typeof NOOP_METRIC => NOOP_METRIC
  const metrics = {
    trackMultiaddrConnection(maConn: MultiaddrConnection): void {
      counters.connections++
      const source = maConn.source
      maConn.source = (async function* () {
        for await (const chunk of source) {
          counters.bytesIn += chunk.byteLength
          yield chunk
        }
      })()
      const sink = maConn.sink.bind(maConn)
      maConn.sink = async (src) => {
        await sink(
          (async function* () {
            for await (const chunk of src as AsyncIterable<Chunk>) {
              counters.bytesOut += chunk.byteLength
              yield chunk
            }
          })()
        )
      }
    },
    trackProtocolStream(): void {},
    registerMetric: register,
    registerMetricGroup: register,
    registerCounter: register,
    registerCounterGroup: register,
    registerHistogram: register,
    registerHistogramGroup: register,
    registerSummary: register,
    registerSummaryGroup: register,
    traceFunction: <F>(_name: string, fn: F): F => fn,
    createTrace: (): undefined => undefined
  }
  return () => metrics as unknown as Metrics
}
