/**
 * Input validation shared by both backends, run by the public methods before any backend hook: a
 * malformed document is LUCID_ERR_4003, a malformed key or query LUCID_ERR_4009. Validation returns a
 * clean copy (known fields only, no `undefined`), so what is stored is exactly what the schema says.
 */
import { errors } from '../common/errors.ts'
import type { CollectionSpec, FieldType } from './schema.ts'

/** A stored document, field name to value. */
export type Doc = Record<string, unknown>

/** A value that can appear in a key, an index or a query bound. */
export type Scalar = string | number

// Control characters are the separators of the LevelDB key layout (docs/db.md), so indexable strings exclude them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: it finds control characters, to refuse them
const CONTROL = /[\u0000-\u001f]/
const MAX_KEY_LENGTH = 1024

/** Why `v` is not a valid `type`, or undefined when it is. */
export function typeProblem(type: FieldType, v: unknown): string | undefined {
  switch (type) {
    case 'key':
      if (typeof v !== 'string' || v.length === 0 || v.length > MAX_KEY_LENGTH || CONTROL.test(v)) {
        return `a non-empty string of at most ${MAX_KEY_LENGTH} characters without control characters`
      }
      return undefined
    case 'text':
      return typeof v === 'string' ? undefined : 'a string'
    case 'int':
      return Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'a non-negative safe integer'
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : 'a finite number'
    case 'keys':
      return Array.isArray(v) && v.every((e) => typeProblem('key', e) === undefined) ? undefined : 'an array of non-empty strings without control characters'
    case 'json':
      return isJson(v, 0) ? undefined : 'a JSON value (null, boolean, finite number, string, array or plain object)'
  }
}

function isJson(v: unknown, depth: number): boolean {
  if (depth > 64) return false
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return true
  if (typeof v === 'number') return Number.isFinite(v)
  if (Array.isArray(v)) return v.every((e) => isJson(e, depth + 1))
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.values(v as object).every((e) => isJson(e, depth + 1))
  }
  return false
}

/** Validates a whole document against its collection; returns a clean copy or throws LUCID_ERR_4003. */
export function validateDoc(spec: CollectionSpec, input: unknown): Doc {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new errors.InvalidDocument(`${spec.name}: a document must be a plain object`)
  }
  const src = input as Record<string, unknown>
  for (const name of Object.keys(src)) {
    if (!(name in spec.fields) && src[name] !== undefined) throw new errors.InvalidDocument(`${spec.name}: unknown field ${name}`)
  }
  const out: Doc = {}
  for (const [name, f] of Object.entries(spec.fields)) {
    const v = src[name]
    if (v === undefined) {
      if (f.optional === true) continue
      throw new errors.InvalidDocument(`${spec.name}: missing field ${name}`)
    }
    const problem = typeProblem(f.type, v)
    if (problem !== undefined) throw new errors.InvalidDocument(`${spec.name}: field ${name} must be ${problem}`)
    // Deep-copy JSON and arrays so later mutation of the caller's object cannot change a buffered write.
    out[name] = f.type === 'json' || f.type === 'keys' ? structuredClone(v) : v
  }
  return out
}

/** Validates the primary key tuple of `spec`; throws LUCID_ERR_4009 (a lookup with a malformed id). */
export function validateKey(spec: CollectionSpec, key: readonly unknown[]): Scalar[] {
  if (key.length !== spec.key.length) throw new errors.InvalidQuery(`${spec.name}: key needs ${spec.key.join(', ')}`)
  return spec.key.map((name, i) => validateValue(spec, name, key[i]))
}

/** Validates one value of an indexed or key field; throws LUCID_ERR_4009. */
export function validateValue(spec: CollectionSpec, field: string, v: unknown): Scalar {
  const f = spec.fields[field]
  if (f === undefined) throw new errors.InvalidQuery(`${spec.name}: unknown field ${field}`)
  const problem = typeProblem(f.type, v)
  if (problem !== undefined) throw new errors.InvalidQuery(`${spec.name}.${field} must be ${problem}`)
  return v as Scalar
}

/** The largest page any query may ask for: bigger reads are done page by page. */
export const MAX_LIMIT = 10_000

/** Validates a result limit (1..MAX_LIMIT), applying `fallback` when absent; throws LUCID_ERR_4009. */
export function validateLimit(limit: unknown, fallback: number): number {
  const n = limit ?? fallback
  if (!Number.isSafeInteger(n) || (n as number) < 1 || (n as number) > MAX_LIMIT) {
    throw new errors.InvalidQuery(`limit must be an integer in 1..${MAX_LIMIT}`)
  }
  return n as number
}

/** The primary key tuple of a (validated) document. */
export function keyOf(spec: CollectionSpec, doc: Doc): Scalar[] {
  return spec.key.map((k) => doc[k] as Scalar)
}

/** A readable form of a key for error messages: `session_1/3`. */
export function showKey(key: readonly Scalar[]): string {
  return key.map(String).join('/')
}
