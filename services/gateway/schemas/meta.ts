/** The schemas of /health, /config and /debug/timing (routes/health.ts, routes/observability.ts) and the types derived from them. */
import { type Static, Type } from 'typebox'
import { Dictionary, Obj, StringEnum } from './common.ts'

/** `GET /health` (sent as a prepared string: the schema documents it). */
export const HEALTH = Obj({ status: StringEnum(['healthy']), service: Type.String() })

/** `GET /config`: the conditions in effect. */
export const CONFIG = Obj({
  kdf: Type.String(),
  kdf_params: Obj({ N: Type.Integer(), r: Type.Integer(), p: Type.Integer() }),
  kdf_concurrency: Type.Integer(),
  kdf_queue_limit: Type.Integer(),
  rate_limits: Type.String(),
  load_test: Type.Boolean(),
  db: Type.String(),
  chain: Type.String(),
  access_token_ttl_s: Type.Integer(),
  refresh_token_ttl_s: Type.Integer(),
  max_chunk_bytes: Type.Integer(),
  durability: Type.String()
})

/** One route's entry in GET /debug/timing. */
export const ROUTE_TIMING = Obj({
  method: Type.String(),
  /** The route template, e.g. `/sessions/:id` (`(unmatched)` for requests no route matched). */
  route: Type.String(),
  /** Answers below 400 in the histogram. */
  count: Type.Integer(),
  /** Every answer since the window began, by status code (4xx and 5xx are counted here, not timed). */
  statuses: Dictionary(Type.Integer()),
  /** The HdrHistogram compressed-base64 encoding, values in µs (decode with hdr-histogram-js). */
  histogram: Type.String()
})
/** ROUTE_TIMING as a TypeScript type. */
export type RouteTimingView = Static<typeof ROUTE_TIMING>

/** `GET /debug/timing` */
export const TIMING = Obj({
  unit: StringEnum(['us']),
  /** Start of the window (gateway start or the last reset), ms since the epoch. */
  since: Type.Integer(),
  /** When this answer was taken, ms since the epoch. */
  until: Type.Integer(),
  /** True when this call cleared the histograms (a new window starts at `until`). */
  reset: Type.Boolean(),
  /** Keyed `METHOD route`, e.g. `GET /health`; routes with no answer in the window are left out. */
  routes: Dictionary(ROUTE_TIMING)
})
/** TIMING as a TypeScript type. */
export type TimingView = Static<typeof TIMING>

/** `GET /debug/timing` query. */
export const TIMING_QUERY = Obj({ reset: Type.Optional(StringEnum(['0', '1'])) }, { additionalProperties: false })
