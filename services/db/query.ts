/**
 * The one query shape every repository query compiles to: walk one index (or the primary key), with
 * equality on a prefix of its fields, an optional range on the next field, an optional `$in` filter on
 * another field, in ascending or descending order, up to a limit. It maps one to one onto a LevelDB key
 * range and onto a MongoDB find with sort and limit, which is why both backends answer it identically.
 */
import { errors } from '../common/errors.ts'
import type { CollectionSpec, IndexField } from './schema.ts'
import { type Doc, type Scalar, validateLimit, validateValue } from './validate.ts'

/** Bounds on one field; any subset. */
export interface Range {
  readonly gte?: Scalar
  readonly gt?: Scalar
  readonly lte?: Scalar
  readonly lt?: Scalar
}

/** The pseudo-index name of the primary key. */
export const PRIMARY = '_key'

/** A query along one index. */
export interface IndexQuery {
  /** An index name of the collection, or PRIMARY. */
  readonly index: string
  /** Values of the first `eq.length` index fields. */
  readonly eq: readonly Scalar[]
  /** Bounds on index field number `eq.length`. */
  readonly range?: Range
  /** Keep only documents whose `field` is one of `in` (checked on the document, not the index). */
  readonly where?: { readonly field: string; readonly in: readonly Scalar[] }
  /** Direction of the field values after the equality prefix; ties are ordered by primary key the same way. */
  readonly order: 'asc' | 'desc'
  readonly limit: number
}

/** The fields a query walks: the index's fields, or the primary key's. */
export function queryFields(spec: CollectionSpec, index: string): readonly IndexField[] {
  if (index === PRIMARY) return spec.key.map((field) => ({ field, dir: 1 as const }))
  const ix = spec.indexes.find((i) => i.name === index)
  if (ix === undefined) throw new errors.InvalidQuery(`${spec.name} has no index ${index}`)
  return ix.fields
}

/** Validates every part of a query against the schema; throws LUCID_ERR_4009. */
export function validateQuery(spec: CollectionSpec, q: IndexQuery): IndexQuery {
  const fields = queryFields(spec, q.index)
  if (q.eq.length > fields.length) throw new errors.InvalidQuery(`${spec.name}.${q.index}: too many equality values`)
  q.eq.forEach((v, i) => {
    validateValue(spec, (fields[i] as IndexField).field, v)
  })
  if (q.range !== undefined) {
    const f = fields[q.eq.length]
    if (f === undefined) throw new errors.InvalidQuery(`${spec.name}.${q.index}: no field left for a range`)
    for (const b of ['gte', 'gt', 'lte', 'lt'] as const) {
      const v = q.range[b]
      if (v !== undefined) validateValue(spec, f.field, v)
    }
  }
  if (q.where !== undefined) {
    if (!Array.isArray(q.where.in) || q.where.in.length === 0) throw new errors.InvalidQuery(`${spec.name}: $in needs at least one value`)
    for (const v of q.where.in) validateValue(spec, q.where.field, v)
  }
  if (q.order !== 'asc' && q.order !== 'desc') throw new errors.InvalidQuery(`order must be asc or desc`)
  validateLimit(q.limit, q.limit)
  return q
}

/**
 * Compares two scalars the way both backends order them: numbers numerically, strings by UTF-8 bytes
 * (LevelDB compares bytes; MongoDB's default binary collation does the same).
 */
export function compareScalars(a: Scalar, b: Scalar): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return compareUtf8(String(a), String(b))
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the range is all of ASCII, control characters included
const ASCII = /^[\u0000-\u007f]*$/

/**
 * Compares two strings by their UTF-8 bytes, as LevelDB orders keys. JavaScript's `<` compares UTF-16
 * code units, which disagrees for characters above U+FFFF against U+E000..U+FFFF; ASCII takes the fast path.
 */
export function compareUtf8(a: string, b: string): number {
  if (ASCII.test(a) && ASCII.test(b)) return a < b ? -1 : a > b ? 1 : 0
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/**
 * The test "does this document satisfy the query's conditions" for one query, with the index's fields looked
 * up once: a scan checks every document it yields (hundreds per query), and a transaction its own writes.
 */
export function matcher(spec: CollectionSpec, q: IndexQuery): (doc: Doc) => boolean {
  const fields = queryFields(spec, q.index).map((f) => f.field)
  const eq = q.eq
  const r = q.range
  const rangeField = fields[eq.length] as string
  const where = q.where
  return (doc) => {
    for (let i = 0; i < eq.length; i++) {
      const v = doc[fields[i] as string]
      // Equal values are the common case (the scan walked their index entries): skip the byte comparison.
      if (v === undefined || (v !== eq[i] && compareScalars(v as Scalar, eq[i] as Scalar) !== 0)) return false
    }
    // An index with an absent field has no entry for the document (sparse), so it cannot match.
    for (const f of fields) if (doc[f] === undefined) return false
    if (r !== undefined) {
      const v = doc[rangeField] as Scalar
      if (r.gte !== undefined && compareScalars(v, r.gte) < 0) return false
      if (r.gt !== undefined && compareScalars(v, r.gt) <= 0) return false
      if (r.lte !== undefined && compareScalars(v, r.lte) > 0) return false
      if (r.lt !== undefined && compareScalars(v, r.lt) >= 0) return false
    }
    if (where !== undefined) {
      const v = doc[where.field]
      if (v === undefined || !where.in.some((w) => v === w || compareScalars(v as Scalar, w) === 0)) return false
    }
    return true
  }
}

/** Orders documents as the query returns them: by the index fields after the prefix, then primary key. */
export function comparator(spec: CollectionSpec, q: IndexQuery): (a: Doc, b: Doc) => number {
  const order = [
    ...queryFields(spec, q.index)
      .slice(q.eq.length)
      .map((f) => f.field),
    ...spec.key
  ]
  const sign = q.order === 'asc' ? 1 : -1
  return (a, b) => {
    for (const f of order) {
      const c = compareScalars(a[f] as Scalar, b[f] as Scalar)
      if (c !== 0) return sign * c
    }
    return 0
  }
}
