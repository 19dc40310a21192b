/**
 * The one HTTP client of the gateway's API, over undici, for everything that drives a gateway from outside: the
 * benchmark cases' set-up, the chaos suites and the tests (issue 20: there were four, with three ways of reading
 * an error code). It returns every answer (a 4xx or 5xx is an answer to judge, not an exception); only a
 * transport failure throws.
 */
import { request, type Dispatcher } from 'undici'

/** A JSON object's fields, to read one by one (each checked or cast where it is read). */
export type JsonRecord = Readonly<Record<string, unknown>>

/** One answer. */
export interface GatewayAnswer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly bytes: Buffer
  readonly text: string
  /** The body as parsed, or undefined when it is not JSON. */
  readonly parsed: unknown
  /** The body's fields when it is a JSON object, else `{}`. */
  readonly json: JsonRecord
}

/** Options of one call. */
export interface GatewayCallOptions {
  /** Bearer token. */
  readonly token?: string
  /** A JSON body (sent with `content-type: application/json` unless `headers` names another). */
  readonly json?: unknown
  /** A raw body. */
  readonly body?: string | Buffer | Uint8Array
  readonly headers?: Readonly<Record<string, string>>
  /** The undici dispatcher (an Agent bound to another local address, ...); default the global one. */
  readonly dispatcher?: Dispatcher
  /** Headers and body timeouts (default undici's, 300 s). */
  readonly timeoutMs?: number
}

/** Sends one request to the gateway at `base` and reads the whole answer; throws only when no answer came. */
export async function gatewayCall(base: string, method: string, path: string, o: GatewayCallOptions = {}): Promise<GatewayAnswer> {
  const headers: Record<string, string> = { ...o.headers }
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`
  let body: string | Buffer | Uint8Array | undefined = o.body
  if (o.json !== undefined) {
    body = JSON.stringify(o.json)
    headers['content-type'] ??= 'application/json'
  }
  const r = await request(base + path, {
    method: method as Dispatcher.HttpMethod,
    headers,
    body,
    ...(o.dispatcher !== undefined ? { dispatcher: o.dispatcher } : {}),
    ...(o.timeoutMs !== undefined ? { headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs } : {})
  })
  const bytes = Buffer.from(await r.body.arrayBuffer())
  const text = bytes.toString('utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  const json = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as JsonRecord) : {}
  return { status: r.statusCode, headers: r.headers, bytes, text, parsed, json }
}

/**
 * The same, for set-up steps that must not silently half-work: resolves to the parsed body of a 2xx answer (as
 * `T`, which the caller states), throws on any other status with the start of the body.
 */
export async function gatewayJson<T = JsonRecord>(base: string, method: string, path: string, o: GatewayCallOptions = {}): Promise<T> {
  const a = await gatewayCall(base, method, path, o)
  if (a.status < 200 || a.status > 299) throw new Error(`${method} ${path} answered ${a.status}: ${a.text.slice(0, 200)}`)
  return a.parsed as T
}

/** The catalogue code of an error answer's body, or undefined when it is not `{"error": {"code", "message"}}`. */
export function errorCodeOf(body: unknown): string | undefined {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error
  return typeof e?.code === 'string' && /^LUCID_ERR_[0-9]{4}$/.test(e.code) && typeof e.message === 'string' ? e.code : undefined
}
