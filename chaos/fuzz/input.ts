/**
 * Hostile input for the fuzz suite, generated with fast-check from the gateway's own OpenAPI document:
 * for each route a well-formed skeleton (built from its JSON schemas, so the request would get past
 * validation), and mutations of it per class of attack. Generation is pure (no I/O): the suite supplies the
 * principals (tokens) and the ids of the resources under attack, and gets back requests with what may be
 * concluded from their answers.
 */
import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import type { Req } from '../gateway.ts'

/** A JSON schema fragment as the OpenAPI document carries it. */
export interface Schema {
  type?: string | string[]
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  enum?: unknown[]
  anyOf?: Schema[]
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  minItems?: number
}

/** One operation of the document. */
export interface Route {
  method: string
  /** Path template, e.g. `/api/v1/sessions/{id}`. */
  path: string
  pathParams: Record<string, Schema>
  query: Record<string, Schema>
  /** The JSON body schema, when the route takes one. */
  body?: Schema
  /** Other body media types it declares (octet-stream, multipart for chunk uploads). */
  consumes: string[]
  /** True when the document says it needs a bearer token. */
  secured: boolean
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ in: string; name: string; schema?: Schema }>
        requestBody?: { content?: Record<string, { schema?: Schema }> }
        security?: unknown[]
      }
    >
  >
}

/** The routes of an OpenAPI document (every method of every path, /api/v1 copies included). */
export function routesOf(doc: unknown): Route[] {
  const d = doc as OpenApiDoc
  const out: Route[] = []
  for (const [path, ops] of Object.entries(d.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? []
      const content = op.requestBody?.content ?? {}
      const json = content['application/json']?.schema
      out.push({
        method: method.toUpperCase(),
        path,
        pathParams: Object.fromEntries(params.filter((p) => p.in === 'path').map((p) => [p.name, p.schema ?? {}])),
        query: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema ?? {}])),
        ...(json !== undefined ? { body: json } : {}),
        consumes: Object.keys(content).filter((c) => c !== 'application/json'),
        secured: Array.isArray(op.security) && op.security.length > 0
      })
    }
  }
  return out
}

/** The route's path without the /api/v1 prefix (roles and resources are the same under both). */
export const bare = (path: string): string => path.replace(/^\/api\/v1(?=\/)/, '')

/**
 * The role a route needs beyond "a valid token". The document states only that a token is needed, so the
 * ladder is written here from docs/gateway.md's routes table; the fuzzer checks each against its answers.
 */
export function roleNeeded(r: Pick<Route, 'method' | 'path'>): 'User' | 'NodeOperator' | 'Admin' | 'SuperAdmin' | undefined {
  const p = bare(r.path)
  if (r.method === 'PUT' && p === '/admin/users/{id}/roles') return 'SuperAdmin'
  if (p.startsWith('/admin/') && p !== '/admin/auth/login') return 'Admin'
  if (r.method === 'POST' && p === '/transactions') return 'NodeOperator'
  return undefined
}

// ---------------------------------------------------------------------------------------------------------
// Skeletons: values that satisfy a schema

/** An arbitrary of values valid for `s` (strings from their pattern, numbers within bounds, required fields). */
export function validOf(s: Schema, name = ''): fc.Arbitrary<unknown> {
  if (s.enum !== undefined && s.enum.length > 0) return fc.constantFrom(...s.enum)
  if (s.anyOf !== undefined && s.anyOf.length > 0) return validOf(s.anyOf[0]!, name)
  const type = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type
  switch (type) {
    case 'object': {
      const props = s.properties ?? {}
      const required = new Set(s.required ?? [])
      // A transaction's `data` is free-form in the schema; give it the shape the chain expects.
      if (Object.keys(props).length === 0 && name === 'data')
        return fc.record({
          from: fc.stringMatching(/^[0-9a-f]{64}$/),
          nonce: fc.nat(1000),
          payload: fc.record({ label: fc.string({ maxLength: 16 }) }),
          signature: fc.stringMatching(/^[0-9a-f]{128}$/)
        })
      const entries = Object.entries(props)
      return fc.record(Object.fromEntries(entries.map(([k, v]) => [k, validOf(v, k)])), {
        requiredKeys: entries.map(([k]) => k).filter((k) => required.has(k))
      })
    }
    case 'array':
      return fc.array(validOf(s.items ?? {}, name), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, 3) })
    case 'integer':
      return fc.integer({ min: s.minimum ?? 0, max: Math.min(s.maximum ?? 1_000_000, 1_000_000_000) })
    case 'number':
      return fc.double({ min: s.minimum ?? 0, max: Math.min(s.maximum ?? 1e12, 1e12), noNaN: true, noDefaultInfinity: true })
    case 'boolean':
      return fc.boolean()
    case 'string': {
      if (s.pattern !== undefined) {
        try {
          return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length >= (s.minLength ?? 0) && x.length <= (s.maxLength ?? Infinity))
        } catch {
          /* a pattern JS cannot compile: fall through */
        }
      }
      if (name === 'tron_address') return fc.constant('TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7')
      return fc.string({ minLength: Math.max(1, s.minLength ?? 1), maxLength: Math.min(s.maxLength ?? 32, 32) })
    }
    default:
      return fc.constant(null)
  }
}

/** The JSON types a schema admits (anyOf unioned), for picking a wrong one. */
function typesOf(s: Schema): Set<string> {
  if (s.anyOf !== undefined) return new Set(s.anyOf.flatMap((x) => [...typesOf(x)]))
  const t = s.type === undefined ? ['any'] : Array.isArray(s.type) ? s.type : [s.type]
  const out = new Set(t)
  if (out.has('integer')) out.add('number_integral')
  return out
}

/** A value of a JSON type `s` does not admit (undefined when it admits any). */
function wrongTypeOf(s: Schema): fc.Arbitrary<unknown> | undefined {
  const ok = typesOf(s)
  if (ok.has('any')) return undefined
  const candidates: Array<[string, fc.Arbitrary<unknown>]> = [
    ['string', fc.oneof(fc.string(), fc.constantFrom('30', 'true', 'null', '[]', '{}', '1e400'))],
    ['number', fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e308, -0, 0.5, -1))],
    ['integer', fc.oneof(fc.integer(), fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1, 2 ** 53))],
    ['boolean', fc.boolean()],
    ['null', fc.constant(null)],
    ['array', fc.array(fc.jsonValue(), { maxLength: 4 })],
    ['object', fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 4 })]
  ]
  const wrong = candidates.filter(([t]) => !ok.has(t) && !(t === 'integer' && ok.has('number')) && !(t === 'number' && ok.has('integer')))
  return wrong.length === 0 ? undefined : fc.oneof(...wrong.map(([, a]) => a))
}

// ---------------------------------------------------------------------------------------------------------
// Tokens

const b64u = (v: string | Buffer): string => Buffer.from(v).toString('base64url')

/** A JWT signed with HMAC-`alg` and `key` (or unsigned for alg none), claims as given. */
export function signJwt(
  claims: Record<string, unknown>,
  key: Buffer | undefined,
  alg: 'HS256' | 'HS384' | 'HS512' | 'none' = 'HS256',
  headerExtra: Record<string, unknown> = {}
): string {
  const head = `${b64u(JSON.stringify({ alg, typ: 'JWT', ...headerExtra }))}.${b64u(JSON.stringify(claims))}`
  if (alg === 'none' || key === undefined) return `${head}.`
  const hash = alg === 'HS256' ? 'sha256' : alg === 'HS384' ? 'sha384' : 'sha512'
  return `${head}.${createHmac(hash, key).update(head).digest('base64url')}`
}

/** Who a request claims to be. */
export interface Principal {
  /** Name in findings. */
  name: string
  /** The Authorization header value (undefined: none sent). */
  authorization?: string
  /**
   * What the gateway should take it for: `valid` tokens identify `sub` with `roles`; `invalid` ones (forged,
   * expired, malformed, re-signed, a refresh token) must identify nobody.
   */
  kind: 'valid' | 'invalid' | 'none'
  sub?: string
  roles?: string[]
}

/**
 * Invalid credentials, each claiming the victim's identity (and the highest roles) so that a bypass
 * would show as an unauthorised success on the victim's resources. `key` is the gateway's real token key
 * when the suite runs it (expired and wrong-algorithm tokens then carry a genuine signature).
 */
export function forgedPrincipals(victim: { sub: string; token: string; refreshToken: string }, other: { token: string }, key: Buffer | undefined): Principal[] {
  const now = Math.floor(Date.now() / 1000)
  const claims = { sub: victim.sub, roles: ['User', 'NodeOperator', 'Admin', 'SuperAdmin'], typ: 'access', iat: now, exp: now + 900 }
  const [h, p, s] = other.token.split('.') as [string, string, string]
  const tamperedPayload = b64u(
    JSON.stringify({ ...(JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as object), sub: victim.sub, roles: claims.roles })
  )
  const bearer = (t: string): string => `Bearer ${t}`
  const list: Array<[string, string]> = [
    ['alg none', bearer(signJwt(claims, undefined, 'none'))],
    ['alg None, signature kept', bearer(`${signJwt(claims, undefined, 'none').slice(0, -1)}.${s}`)],
    ['HS256 with a wrong key', bearer(signJwt(claims, Buffer.alloc(32, 7)))],
    ['HS256 with an empty key', bearer(signJwt(claims, Buffer.alloc(0)))],
    ["another user's token with the victim as subject (signature kept)", bearer(`${h}.${tamperedPayload}.${s}`)],
    ["the victim's refresh token as an access token", bearer(victim.refreshToken)],
    ['truncated signature', bearer(victim.token.slice(0, -3))],
    ['four segments', bearer(`${victim.token}.${s}`)],
    ['kid header pointing at /dev/null', bearer(signJwt(claims, Buffer.alloc(0), 'HS256', { kid: '../../../../dev/null' }))],
    ['Basic scheme', `Basic ${b64u(`${victim.sub}:x`)}`],
    ['Bearer without a token', 'Bearer '],
    ['token with whitespace inside', `Bearer ${victim.token.slice(0, 20)} ${victim.token.slice(20)}`],
    ['10 KB token', bearer('a'.repeat(5000) + '.' + 'b'.repeat(5000) + '.c')]
  ]
  if (key !== undefined) {
    list.push(
      ['expired (genuine signature)', bearer(signJwt({ ...claims, roles: ['User'], iat: now - 7200, exp: now - 3600 }, key))],
      ['HS512 with the genuine key', bearer(signJwt(claims, key, 'HS512'))],
      ['HS384 with the genuine key', bearer(signJwt(claims, key, 'HS384'))],
      ['no typ (genuine signature)', bearer(signJwt({ sub: victim.sub, roles: ['User'], iat: now, exp: now + 900 }, key))],
      ['refresh typ (genuine signature)', bearer(signJwt({ sub: victim.sub, typ: 'refresh', jti: 'x', iat: now, exp: now + 900 }, key))],
      ['roles not an array (genuine signature)', bearer(signJwt({ ...claims, roles: 'SuperAdmin' }, key))]
    )
  }
  return list.map(([name, authorization]) => ({ name, authorization, kind: 'invalid' as const }))
}

// ---------------------------------------------------------------------------------------------------------
// Hostile strings and bodies

/** Ids that try to escape their field: traversal, injection, encodings, overlong. */
export const HOSTILE_IDS: readonly string[] = [
  '..',
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e%2f%2e%2e%2f',
  '....//....//',
  '..\\..\\windows',
  "' OR '1'='1",
  '1;DROP TABLE sessions',
  '{"$ne":null}',
  '%7B%22%24ne%22%3Anull%7D',
  '$where',
  '__proto__',
  'constructor',
  'prototype',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as the literal text
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '`id`',
  '$(id)',
  '|id',
  '%00',
  'a%00b',
  '%0d%0aSet-Cookie:x=1',
  '%E2%80%AE',
  '%FF%FE',
  '%C0%AF',
  '%E0%A4%A',
  '%',
  '-1',
  '1e400',
  '0x10',
  '9'.repeat(40),
  'x'.repeat(65),
  'x'.repeat(300),
  'NaN',
  'Infinity',
  'null',
  'undefined',
  '%20',
  '.',
  '~root',
  '*',
  '%2A',
  'A'.repeat(64)
]

/** encodeURIComponent, except that a lone surrogate (which it refuses) becomes the bytes of its UTF-8-like encoding. */
const encode = (s: string): string =>
  s.replace(/[\s\S]/gu, (c) => {
    try {
      return encodeURIComponent(c)
    } catch {
      return '%ED%A0%80'
    }
  })

/** Percent-encodes what a URL cannot carry raw, leaving `%` sequences already there as they are. */
const urlSafe = (s: string): string => s.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@%/]/gu, (c) => encode(c))

/** JSON texts that are not JSON. */
const malformedJson = (valid: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.nat({ max: Math.max(0, valid.length - 1) }).map((n) => valid.slice(0, n)),
    fc.constantFrom(
      '{',
      '}',
      '{"a":',
      '{"a":1,}',
      "{'a':1}",
      '{a:1}',
      '[1,2',
      'NaN',
      '{"a":NaN}',
      '{"a":Infinity}',
      '{"a":01}',
      '{"a":"\\x41"}',
      '{"a":"\\u12"}',
      '{"a":1}{"b":2}',
      '\u00ef\u00bb\u00bf{}',
      ' ',
      '{"a":1}\u0000',
      '/* c */{}',
      '{"__proto__":'
    ),
    fc.string({ unit: 'binary', maxLength: 64 }).map((s) => `{${s}`)
  )

/** Invalid UTF-8 and NUL bytes placed inside an otherwise valid JSON text. */
const badBytes: fc.Arbitrary<Buffer> = fc.constantFrom(
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
  Buffer.from([0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0x00]),
  Buffer.from('\\u0000', 'latin1'),
  Buffer.from('\\ud800', 'latin1'),
  Buffer.from('\\udfff\\ud800', 'latin1')
)

/** A deep nesting of arrays or objects, `depth` levels, under the route's first field. */
function deep(depth: number, objects: boolean, field: string | undefined): string {
  const inner = objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`
  return field === undefined ? inner : `{${JSON.stringify(field)}:${inner}}`
}

// ---------------------------------------------------------------------------------------------------------
// Generated requests

/** The classes of hostile input, named as their `<class>_count` metrics. */
export const CLASSES = [
  'malformed_json',
  'wrong_types',
  'bad_fields',
  'huge_body',
  'deep_nesting',
  'huge_headers',
  'wrong_content_type',
  'hostile_ids',
  'hostile_query',
  'bad_utf8',
  'bad_tokens',
  'cross_user',
  'cross_role',
  'wallet_replay',
  'chunk_upload',
  'odd_methods'
] as const
export type HostileClass = (typeof CLASSES)[number]

/** A generated request and what its answer may be. */
export interface Hostile {
  cls: HostileClass
  req: Req
  /** Who sent it. */
  principal: Principal
  /** The route it aims at (template), when one. */
  route?: Route
  /** True when any 2xx is wrong whoever sends it (malformed input that cannot be valid). */
  mustReject: boolean
  /** The id of a victim's resource it names (a 2xx answered to anyone but its owner is a breach). */
  victimResource?: string
}

/** What the generator needs from the suite's setup. */
export interface FuzzWorld {
  routes: Route[]
  /** The fuzzer's own valid principal (its requests reach the handlers). */
  fuzzer: Principal
  /** Another user's valid principal (cross-user attempts on the victim's resources). */
  other: Principal
  /** An admin's valid principal, when the gateway has one we can log in as. */
  admin?: Principal
  /** Invalid credentials claiming the victim's identity. */
  forged: Principal[]
  /** The victim's resource ids by kind. */
  victim: { sub: string; sessions: string[]; finalisedSessions: string[] }
  /** A session the fuzzer owns and may upload junk into. */
  fuzzerSession: string
  /** Largest chunk and JSON body the gateway accepts (from GET /config, else its defaults). */
  maxChunkBytes: number
  jsonBodyLimit: number
  /** How often (1 in N) a multi-megabyte body is generated; large N keeps the quick run quick. */
  hugeEvery: number
}

const withPrincipal = (p: Principal, headers: Record<string, string> = {}): Record<string, string> =>
  p.authorization === undefined ? headers : { ...headers, authorization: p.authorization }

/** The path of `route` with its parameters filled: the given values, else valid ones drawn from their schemas. */
function pathArb(route: Route, fixed: Record<string, string> = {}): fc.Arbitrary<string> {
  const names = Object.keys(route.pathParams)
  if (names.length === 0) return fc.constant(route.path)
  return fc
    .tuple(...names.map((n) => (fixed[n] !== undefined ? fc.constant(fixed[n]) : validOf(route.pathParams[n]!).map(String))))
    .map((vals) => names.reduce((p, n, i) => p.replace(`{${n}}`, encodeURIComponent(vals[i]!)), route.path))
}

/** What every class's generator shares: the routes by kind, the principals, and body and path helpers. */
interface Gen {
  readonly w: FuzzWorld
  readonly bodyRoutes: Route[]
  readonly idRoutes: Route[]
  readonly queryRoutes: Route[]
  readonly sessionRoutes: Route[]
  readonly roleRoutes: Route[]
  readonly chunkRoutes: Route[]
  /** Any principal: the fuzzer (twice as likely), the other user, the admin, the forged ones, none. */
  readonly anyPrincipal: fc.Arbitrary<Principal>
  /** The fuzzer's own valid principals (its requests reach the handlers). */
  readonly own: fc.Arbitrary<Principal>
  readonly json: (p: Principal) => Record<string, string>
  /** A valid body of a route, as an object. */
  readonly skeleton: (r: Route) => fc.Arbitrary<Record<string, unknown>>
  /** Body routes get the fuzzer's own session in their path, so the request reaches the handler. */
  readonly bodyPath: (r: Route) => fc.Arbitrary<string>
  /** The victim's session ids (or a placeholder). */
  readonly victimIds: string[]
}

/** The shared parts of the generators for a world. */
function genContext(w: FuzzWorld): Gen {
  const bodyRoutes = w.routes.filter((r) => r.body !== undefined)
  const idRoutes = w.routes.filter((r) => Object.keys(r.pathParams).length > 0)
  const queryRoutes = w.routes.filter((r) => Object.keys(r.query).length > 0 || r.method === 'GET')
  const sessionRoutes = w.routes.filter((r) => bare(r.path).startsWith('/sessions/{id}'))
  const roleRoutes = w.routes.filter((r) => roleNeeded(r) !== undefined)
  const chunkRoutes = w.routes.filter((r) => r.method === 'POST' && bare(r.path) === '/sessions/{id}/chunks')
  const principals = [w.fuzzer, ...(w.admin !== undefined ? [w.admin] : [])]
  const anyPrincipal = fc.constantFrom<Principal>(w.fuzzer, w.fuzzer, w.other, ...(w.admin !== undefined ? [w.admin] : []), ...w.forged, {
    name: 'none',
    kind: 'none'
  })
  const own = fc.constantFrom(...principals)
  const json = (p: Principal): Record<string, string> => withPrincipal(p, { 'content-type': 'application/json' })
  const skeleton = (r: Route): fc.Arbitrary<Record<string, unknown>> =>
    validOf(r.body ?? { type: 'object' }).map((v) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {}))
  const bodyPath = (r: Route): fc.Arbitrary<string> => pathArb(r, { id: w.fuzzerSession })

  const victimIds = w.victim.sessions.length > 0 ? w.victim.sessions : ['none']
  return { w, bodyRoutes, idRoutes, queryRoutes, sessionRoutes, roleRoutes, chunkRoutes, anyPrincipal, own, json, skeleton, bodyPath, victimIds }
}

/** Bodies that are not JSON (truncated, unbalanced, junk) on the body routes. */
function malformedArb(g: Gen): fc.Arbitrary<Hostile> {
  const { bodyRoutes, own, json, skeleton, bodyPath } = g
  return fc
    .constantFrom(...bodyRoutes)
    .chain((r) => fc.tuple(fc.constant(r), bodyPath(r), skeleton(r), own))
    .chain(([r, path, sk, p]) =>
      malformedJson(JSON.stringify(sk)).map(
        (body): Hostile => ({ cls: 'malformed_json', route: r, principal: p, mustReject: true, req: { method: r.method, path, headers: json(p), body } })
      )
    )
}

/** A field of the wrong JSON type in an otherwise valid body. */
function wrongTypesArb(g: Gen): fc.Arbitrary<Hostile> {
  const { bodyRoutes, own, json, skeleton, bodyPath } = g
  const typedRoutes = bodyRoutes.filter((r) => Object.values(r.body?.properties ?? {}).some((s) => wrongTypeOf(s) !== undefined))
  return fc
    .constantFrom(...typedRoutes)
    .chain((r) => {
      const fields = Object.entries(r.body!.properties!).filter(([, s]) => wrongTypeOf(s) !== undefined)
      return fc.tuple(
        fc.constant(r),
        bodyPath(r),
        skeleton(r),
        own,
        fc.constantFrom(...fields).chain(([k, s]) => fc.tuple(fc.constant(k), wrongTypeOf(s)!))
      )
    })
    .map(
      ([r, path, sk, p, [k, v]]): Hostile => ({
        cls: 'wrong_types',
        route: r,
        principal: p,
        mustReject: true,
        req: { method: r.method, path, headers: json(p), body: JSON.stringify({ ...sk, [k]: v }) }
      })
    )
}

/** A required field dropped, or a field the schema does not know (prototype keys among them). */
function badFieldsArb(g: Gen): fc.Arbitrary<Hostile> {
  const { bodyRoutes, own, json, skeleton, bodyPath } = g
  return fc
    .constantFrom(...bodyRoutes)
    .chain((r) =>
      fc.tuple(
        fc.constant(r),
        bodyPath(r),
        skeleton(r),
        own,
        fc.oneof(
          fc.constantFrom('__proto__', 'constructor', 'prototype', '$where', '$ne', 'zzz', 'roles', 'owner', 'user_id_'),
          fc.string({ minLength: 1, maxLength: 12 })
        ),
        fc.jsonValue({ maxDepth: 2 }),
        fc.boolean()
      )
    )
    .map(([r, path, sk, p, key, value, drop]): Hostile => {
      const req = r.body?.required ?? []
      const known = Object.keys(r.body?.properties ?? {})
      // Either drop a required field, or add one the schema does not know (written into the text, so
      // `__proto__` is a key of the JSON, not the prototype of the object it was built from).
      if (drop && req.length > 0) {
        const { [req[0]!]: _gone, ...rest } = sk
        return { cls: 'bad_fields', route: r, principal: p, mustReject: true, req: { method: r.method, path, headers: json(p), body: JSON.stringify(rest) } }
      }
      const unknown = known.includes(key) ? `${key}_x` : key
      const text = JSON.stringify(sk)
      const body =
        text === '{}'
          ? `{${JSON.stringify(unknown)}:${JSON.stringify(value) ?? 'null'}}`
          : `{${JSON.stringify(unknown)}:${JSON.stringify(value) ?? 'null'},${text.slice(1)}`
      return { cls: 'bad_fields', route: r, principal: p, mustReject: true, req: { method: r.method, path, headers: json(p), body } }
    })
}

/** Bodies past the field limits, one in `hugeEvery` past the body limit. */
function hugeArb(g: Gen): fc.Arbitrary<Hostile> {
  const { w, bodyRoutes, own, json, bodyPath } = g
  return fc
    .constantFrom(...bodyRoutes)
    .chain((r) => fc.tuple(fc.constant(r), bodyPath(r), own, fc.nat(64 * 1024), fc.nat(w.hugeEvery - 1), fc.constantFrom('string', 'array', 'keys')))
    .map(([r, path, p, extra, roll, shape]): Hostile => {
      // Most are just past the field limits (cheap); one in `hugeEvery` is past the body limit (a megabyte).
      const size = roll === 0 ? w.jsonBodyLimit + 1 + extra : 4096 + extra
      const first = Object.keys(r.body?.properties ?? {})[0] ?? 'x'
      const body =
        shape === 'string'
          ? `{${JSON.stringify(first)}:"${'A'.repeat(size)}"}`
          : shape === 'array'
            ? `{${JSON.stringify(first)}:[${'1,'.repeat(size / 2)}1]}`
            : `{${Array.from({ length: Math.ceil(size / 12) }, (_, i) => `"k${i}":1`).join(',')}}`
      return { cls: 'huge_body', route: r, principal: p, mustReject: true, req: { method: r.method, path, headers: json(p), body } }
    })
}

/** Deeply nested arrays or objects. */
function deepNestArb(g: Gen): fc.Arbitrary<Hostile> {
  const { w, bodyRoutes, own, json, bodyPath } = g
  return fc
    .constantFrom(...bodyRoutes)
    .chain((r) => fc.tuple(fc.constant(r), bodyPath(r), own, fc.integer({ min: 100, max: Math.floor(w.jsonBodyLimit / 6) }), fc.boolean()))
    .map(([r, path, p, depth, objects]): Hostile => {
      const field = Object.keys(r.body?.properties ?? {})[0]
      return {
        cls: 'deep_nesting',
        route: r,
        principal: p,
        mustReject: true,
        req: { method: r.method, path, headers: json(p), body: deep(depth, objects, field) }
      }
    })
}

/** Large headers, or many of them. */
function hugeHeadersArb(g: Gen): fc.Arbitrary<Hostile> {
  const { w, own } = g
  return fc
    .tuple(
      fc.constantFrom(...w.routes),
      own,
      fc.oneof(fc.integer({ min: 1000, max: 15_000 }), fc.integer({ min: 16_000, max: 60_000 })),
      fc.integer({ min: 1, max: 200 }),
      fc.boolean()
    )
    .chain(([r, p, size, count, many]) =>
      pathArb(r, { id: w.fuzzerSession }).map((path): Hostile => {
        const headers = withPrincipal(p)
        if (many) for (let i = 0; i < count; i++) headers[`x-fuzz-${i}`] = 'v'.repeat(Math.floor(size / count))
        else headers['x-fuzz'] = 'v'.repeat(size)
        return { cls: 'huge_headers', route: r, principal: p, mustReject: false, req: { method: r.method, path, headers } }
      })
    )
}

/** A JSON body sent with another content type. */
function wrongTypeArb(g: Gen): fc.Arbitrary<Hostile> {
  const { bodyRoutes, own, skeleton, bodyPath } = g
  return fc
    .constantFrom(...bodyRoutes.filter((r) => r.consumes.length === 0))
    .chain((r) =>
      fc.tuple(
        fc.constant(r),
        bodyPath(r),
        skeleton(r),
        own,
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
          'application/octet-stream',
          'multipart/form-data; boundary=x',
          'application/jsonx',
          'image/png',
          'application/json\u00ff',
          'x'.repeat(2000),
          '*/*'
        )
      )
    )
    .map(
      ([r, path, sk, p, type]): Hostile => ({
        cls: 'wrong_content_type',
        route: r,
        principal: p,
        mustReject: true,
        req: { method: r.method, path, headers: withPrincipal(p, { 'content-type': type }), body: JSON.stringify(sk) }
      })
    )
}

/** Hostile path ids: traversal, injection, control characters, odd Unicode, any principal. */
function hostileIdsArb(g: Gen): fc.Arbitrary<Hostile> {
  const { idRoutes, anyPrincipal, json, skeleton } = g
  return fc
    .constantFrom(...idRoutes)
    .chain((r) =>
      fc.tuple(
        fc.constant(r),
        anyPrincipal,
        fc.oneof(
          fc.constantFrom(...HOSTILE_IDS),
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).map(encode),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map(urlSafe)
        ),
        skeleton(r)
      )
    )
    .map(([r, p, id, sk]): Hostile => {
      const path = Object.keys(r.pathParams).reduce((acc, n) => acc.replace(`{${n}}`, id), r.path)
      // An all-digit id may be a real block height or chunk index: only a 4xx is then not required.
      return {
        cls: 'hostile_ids',
        route: r,
        principal: p,
        mustReject: !/^[0-9]{1,15}$/.test(id),
        req: {
          method: r.method,
          path,
          headers: r.body !== undefined ? json(p) : withPrincipal(p),
          ...(r.body !== undefined ? { body: JSON.stringify(sk) } : {})
        }
      }
    })
}

/** Hostile query strings: wrong types, repeats, brackets, prototype keys, huge values. */
function hostileQueryArb(g: Gen): fc.Arbitrary<Hostile> {
  const { w, queryRoutes, own } = g
  return fc
    .constantFrom(...queryRoutes)
    .chain((r) =>
      fc.tuple(
        fc.constant(r),
        pathArb(r, { id: w.fuzzerSession }),
        own,
        fc.oneof(
          fc.constantFrom(
            'limit=abc',
            'limit=-1',
            'limit=99999',
            'limit=1&limit=2',
            'limit[]=1',
            'limit[$gt]=0',
            '__proto__[x]=1',
            'constructor[prototype][x]=1',
            'limit=%00',
            'limit=%FF',
            'status=..%2F..',
            'from=1e400',
            'limit=' + '9'.repeat(500),
            '&&&',
            '=',
            'a=' + 'b'.repeat(8000)
          ),
          fc
            .array(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })), { minLength: 1, maxLength: 6 })
            .map((kv) => kv.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'))
        )
      )
    )
    .map(
      ([r, path, p, q]): Hostile => ({
        cls: 'hostile_query',
        route: r,
        principal: p,
        mustReject: false,
        req: { method: r.method, path: `${path}?${q}`, headers: withPrincipal(p) }
      })
    )
}

/** Invalid UTF-8 bytes inside a string value of the body. */
function badUtf8Arb(g: Gen): fc.Arbitrary<Hostile> {
  const { bodyRoutes, own, json, skeleton, bodyPath } = g
  return fc
    .constantFrom(...bodyRoutes)
    .chain((r) => fc.tuple(fc.constant(r), bodyPath(r), skeleton(r), own, badBytes))
    .map(([r, path, sk, p, bytes]): Hostile => {
      const text = JSON.stringify(Object.keys(sk).length > 0 ? sk : { x: 'y' })
      // Inside the first string value: after the first `":"` of the text.
      const at = text.indexOf('":"')
      const cut = at < 0 ? text.length - 1 : at + 3
      const body = Buffer.concat([Buffer.from(text.slice(0, cut)), bytes, Buffer.from(text.slice(cut))])
      return { cls: 'bad_utf8', route: r, principal: p, mustReject: false, req: { method: r.method, path, headers: json(p), body } }
    })
}

/** Every secured route (and the victim's resources) with credentials that must identify nobody; a valid
 * body and the victim's ids, so only the authentication stands between the request and a 2xx. */
function badTokensArb(g: Gen): fc.Arbitrary<Hostile> {
  const { w, json, skeleton, victimIds } = g
  // Every secured route (and the victim's resources) with credentials that must identify nobody; a valid
  // body and the victim's ids, so only the authentication stands between the request and a 2xx.
  const securedRoutes = w.routes.filter((r) => r.secured)
  return fc
    .constantFrom(...securedRoutes)
    .chain((r) =>
      fc.tuple(fc.constant(r), fc.constantFrom(...w.forged, { name: 'none', kind: 'none' } as Principal), fc.constantFrom(...victimIds), skeleton(r), fc.nat(3))
    )
    .chain(([r, p, id, sk, idx]) =>
      pathArb(r, { id, index: String(idx) }).map(
        (path): Hostile => ({
          cls: 'bad_tokens',
          route: r,
          principal: p,
          mustReject: true,
          ...(r.path.includes('{id}') && bare(r.path).startsWith('/sessions/') ? { victimResource: id } : {}),
          req: {
            method: r.method,
            path,
            headers: r.body !== undefined ? json(p) : withPrincipal(p),
            ...(r.body !== undefined ? { body: JSON.stringify(sk) } : {})
          }
        })
      )
    )
}

/** Another user's (and, for writes, an admin's) valid token on the victim's sessions. */
function crossUserArb(g: Gen): fc.Arbitrary<Hostile> | undefined {
  const { w, sessionRoutes, victimIds } = g
  return sessionRoutes.length === 0
    ? undefined
    : fc
        .constantFrom(...sessionRoutes)
        .chain((r) =>
          fc.tuple(
            fc.constant(r),
            fc.constantFrom(w.other, w.fuzzer, ...(w.admin !== undefined && r.method !== 'GET' ? [w.admin] : [])),
            fc.constantFrom(...victimIds),
            fc.nat(3)
          )
        )
        .chain(([r, p, id, idx]) =>
          pathArb(r, { id, index: String(idx) }).map(
            (path): Hostile => ({
              cls: 'cross_user',
              route: r,
              principal: p,
              mustReject: true,
              victimResource: id,
              req: r.consumes.includes('application/octet-stream')
                ? {
                    method: r.method,
                    path,
                    headers: withPrincipal(p, { 'content-type': 'application/octet-stream' }),
                    body: Buffer.from('swapped in from another session')
                  }
                : { method: r.method, path, headers: withPrincipal(p) }
            })
          )
        )
}

/** A plain user's valid token on routes that need a higher role; for role changes, onto itself. */
function crossRoleArb(g: Gen): fc.Arbitrary<Hostile> | undefined {
  const { w, roleRoutes, json, skeleton } = g
  return roleRoutes.length === 0
    ? undefined
    : fc
        .constantFrom(...roleRoutes)
        .chain((r) => fc.tuple(fc.constant(r), fc.constantFrom(w.fuzzer, w.other), skeleton(r)))
        .chain(([r, p, sk]) =>
          pathArb(r, { id: p.sub ?? 'x' }).map((path): Hostile => {
            const body =
              bare(r.path) === '/admin/users/{id}/roles'
                ? JSON.stringify({ roles: ['User', 'Admin', 'SuperAdmin'] })
                : r.body !== undefined
                  ? JSON.stringify(sk)
                  : undefined
            return {
              cls: 'cross_role',
              route: r,
              principal: p,
              mustReject: true,
              req: { method: r.method, path, headers: body !== undefined ? json(p) : withPrincipal(p), ...(body !== undefined ? { body } : {}) }
            }
          })
        )
}

/** The kinds of broken chunk upload. */
const CHUNK_DAMAGE = [
  'sha mismatch',
  'index ahead',
  'index huge',
  'empty',
  'multipart no file',
  'multipart two files',
  'multipart bad boundary',
  'multipart truncated',
  'multipart bad metadata',
  'multipart wrong field',
  'multipart metadata index negative',
  'octet query junk',
  'oversize'
] as const

/** One broken chunk upload of kind `kind` to `path` by `p`, with `data` as its content. */
function chunkRequest(kind: (typeof CHUNK_DAMAGE)[number], path: string, p: Principal, data: Buffer, maxChunkBytes: number): Req {
  const octet = (q: string, body: Buffer): Req => ({
    method: 'POST',
    path: `${path}${q}`,
    headers: withPrincipal(p, { 'content-type': 'application/octet-stream' }),
    body
  })
  const part = (name: string, value: string | Buffer, file = false): Buffer =>
    Buffer.concat([
      Buffer.from(`--B\r\ncontent-disposition: form-data; name="${name}"${file ? '; filename="c.bin"\r\ncontent-type: application/octet-stream' : ''}\r\n\r\n`),
      Buffer.from(value),
      Buffer.from('\r\n')
    ])
  const multi = (parts: Buffer[], end = '--B--\r\n'): Req => ({
    method: 'POST',
    path,
    headers: withPrincipal(p, { 'content-type': 'multipart/form-data; boundary=B' }),
    body: Buffer.concat([...parts, Buffer.from(end)])
  })
  switch (kind) {
    case 'sha mismatch':
      return octet(`?sha256=${'ab'.repeat(32)}`, data)
    case 'index ahead':
      return octet('?chunk_index=1000000', data)
    case 'index huge':
      return octet(`?chunk_index=${'9'.repeat(15)}`, data)
    case 'empty':
      return octet('', Buffer.alloc(0))
    case 'multipart no file':
      return multi([part('metadata', '{"chunk_index":0}')])
    case 'multipart two files':
      return multi([part('chunk_data', data, true), part('chunk_data', data, true)])
    case 'multipart bad boundary':
      return { ...multi([part('chunk_data', data, true)]), headers: withPrincipal(p, { 'content-type': 'multipart/form-data; boundary=' }) }
    case 'multipart truncated':
      return multi([part('chunk_data', data, true).subarray(0, 40)], '')
    case 'multipart bad metadata':
      return multi([part('metadata', '{"chunk_index":'), part('chunk_data', data, true)])
    case 'multipart wrong field':
      return multi([part('evil', 'x'), part('chunk_data', data, true)])
    case 'multipart metadata index negative':
      return multi([part('metadata', '{"chunk_index":-1,"sha256":"zz"}'), part('chunk_data', data, true)])
    case 'octet query junk':
      return octet('?chunk_index=1&chunk_index=2', data)
    default:
      return octet('', Buffer.alloc(maxChunkBytes + 1, 1))
  }
}

/** Broken chunk uploads into the fuzzer's own session: checksums, indexes, empty, multipart damage, oversize. */
function chunkArb(g: Gen): fc.Arbitrary<Hostile> | undefined {
  const { w, chunkRoutes, own } = g
  if (chunkRoutes.length === 0) return undefined
  return fc
    .tuple(fc.constantFrom(...chunkRoutes), own, fc.nat(w.hugeEvery * 4 - 1), fc.constantFrom(...CHUNK_DAMAGE), fc.uint8Array({ minLength: 1, maxLength: 256 }))
    .map(([r, p, roll, kind, bytes]): Hostile => {
      const path = r.path.replace('{id}', w.fuzzerSession)
      const req = chunkRequest(roll === 0 ? 'oversize' : kind, path, p, Buffer.from(bytes), w.maxChunkBytes)
      return { cls: 'chunk_upload', route: r, principal: p, mustReject: true, req }
    })
}

/** Methods no route declares. */
function oddMethodsArb(g: Gen): fc.Arbitrary<Hostile> {
  const { w, own } = g
  return fc
    .tuple(fc.constantFrom(...w.routes), own, fc.constantFrom('PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'LOCK', 'SEARCH', 'PURGE', 'M-SEARCH'))
    .chain(([r, p, m]) =>
      pathArb(r, { id: w.fuzzerSession }).map(
        (path): Hostile => ({ cls: 'odd_methods', route: r, principal: p, mustReject: true, req: { method: m, path, headers: withPrincipal(p) } })
      )
    )
}

/** Builds the generator of hostile requests for a world. */
export function hostileRequests(w: FuzzWorld): fc.Arbitrary<Hostile> {
  const g = genContext(w)
  const arbs: Array<fc.Arbitrary<Hostile>> = [
    malformedArb(g),
    wrongTypesArb(g),
    badFieldsArb(g),
    hugeArb(g),
    deepNestArb(g),
    hugeHeadersArb(g),
    wrongTypeArb(g),
    hostileIdsArb(g),
    hostileQueryArb(g),
    badUtf8Arb(g),
    badTokensArb(g),
    ...[crossUserArb(g), crossRoleArb(g), chunkArb(g)].filter((a): a is fc.Arbitrary<Hostile> => a !== undefined),
    oddMethodsArb(g)
  ]
  return fc.oneof(...arbs)
}
