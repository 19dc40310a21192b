/**
 * The LevelDB key layout (docs/db.md). Every key is a tuple of strings, each part followed by U+0000:
 *
 *   d␀{collection}␀{pk…}             -> the document, JSON
 *   u␀{collection}␀{index}␀{values…} -> the primary key tuple of its one document (unique index)
 *   i␀{collection}␀{index}␀{values…}{pk…} -> '' (non-unique index: the key itself is the entry)
 *   c␀{collection}␀{counter}␀{values…} -> a decimal count (maintained grouped count)
 *
 * Indexable strings contain no control characters (validate.ts), so U+0000 sorts below every character
 * of a part and U+0001 bounds "this prefix and everything after it": a key range is a tuple prefix.
 * Integers are 16 hex digits, so their byte order is their numeric order.
 */
import type { CollectionSpec, CounterSpec, FieldType, IndexSpec } from '../schema.ts'
import type { IndexQuery } from '../query.ts'
import { PRIMARY, compareUtf8, queryFields } from '../query.ts'
import type { Doc, Scalar } from '../validate.ts'

const SEP = '\u0000'
const AFTER = '\u0001'

/** A key range: `gte <= key < lt`. */
export interface KeyRange {
  readonly gte: string
  readonly lt: string
}

/** Encodes one scalar of a field type as a key part. */
export function encodePart(type: FieldType, v: Scalar): string {
  return type === 'int' ? (v as number).toString(16).padStart(16, '0') : String(v)
}

/** Decodes a key part back to its scalar. */
export function decodePart(type: FieldType, s: string): Scalar {
  return type === 'int' ? Number.parseInt(s, 16) : s
}

/** The tuple encoding of parts. */
export function tuple(parts: readonly string[]): string {
  let out = ''
  for (const p of parts) out += p + SEP
  return out
}

const typeOf = (spec: CollectionSpec, field: string): FieldType => (spec.fields[field] as { type: FieldType }).type

/** The encoded primary key tuple. */
export function pkTuple(spec: CollectionSpec, key: readonly Scalar[]): string {
  return tuple(spec.key.map((f, i) => encodePart(typeOf(spec, f), key[i] as Scalar)))
}

/** The key of a document. */
export function docKey(spec: CollectionSpec, key: readonly Scalar[]): string {
  return tuple(['d', spec.name]) + pkTuple(spec, key)
}

/** The document key of an encoded primary key tuple. */
export function docKeyOfTuple(spec: CollectionSpec, pk: string): string {
  return tuple(['d', spec.name]) + pk
}

/** The encoded values of `fields` in `doc`, or undefined when one is absent (the index is sparse). */
function valuesOf(spec: CollectionSpec, fields: readonly string[], doc: Doc): string | undefined {
  let out = ''
  for (const f of fields) {
    const v = doc[f]
    if (v === undefined) return undefined
    out += encodePart(typeOf(spec, f), v as Scalar) + SEP
  }
  return out
}

/** One index entry of a document: its key and value. */
export interface IndexEntry {
  readonly key: string
  readonly value: string
  readonly unique: boolean
}

/** The index entries of a document (none for an index with an absent field). */
export function indexEntries(spec: CollectionSpec, doc: Doc): IndexEntry[] {
  const pk = pkTuple(
    spec,
    spec.key.map((k) => doc[k] as Scalar)
  )
  const out: IndexEntry[] = []
  for (const ix of spec.indexes) {
    const vals = valuesOf(
      spec,
      ix.fields.map((f) => f.field),
      doc
    )
    if (vals === undefined) continue
    out.push(
      ix.unique === true
        ? { key: tuple(['u', spec.name, ix.name]) + vals, value: pk, unique: true }
        : { key: tuple(['i', spec.name, ix.name]) + vals + pk, value: '', unique: false }
    )
  }
  return out
}

/** The counter name every collection keeps: its number of documents. */
export const TOTAL = '_total'

/** The counter keys a document counts under (one per counter, plus the collection total). */
export function counterKeys(spec: CollectionSpec, doc: Doc): string[] {
  const out = [tuple(['c', spec.name, TOTAL])]
  for (const c of spec.counters) {
    const vals = valuesOf(spec, c.fields, doc)
    if (vals !== undefined) out.push(tuple(['c', spec.name, c.name]) + vals)
  }
  return out
}

/** The key range of one counter within `prefix` values, and how to read the group from a key in it. */
export function counterRange(spec: CollectionSpec, c: CounterSpec, prefix: readonly Scalar[]): KeyRange & { group: (key: string) => string } {
  const p = tuple(['c', spec.name, c.name]) + tuple(prefix.map((v, i) => encodePart(typeOf(spec, c.fields[i] as string), v)))
  const groupType = typeOf(spec, c.fields[c.fields.length - 1] as string)
  return { ...prefixRange(p), group: (key) => String(decodePart(groupType, key.slice(p.length, -1))) }
}

/** The range of every key starting with tuple prefix `p`. */
export function prefixRange(p: string): KeyRange {
  return { gte: p, lt: p.slice(0, -1) + AFTER }
}

/** What a query scans: a key range, and what kind of entries lie in it. */
export interface ScanPlan extends KeyRange {
  /** `doc`: values are documents; `unique`: values are pk tuples; `index`: keys end with the pk tuple. */
  readonly kind: 'doc' | 'unique' | 'index'
  /** The index walked (undefined for the primary key). */
  readonly index?: IndexSpec
  /** The key space the range lies in: the index's (or the documents') key prefix (range-cache.ts). */
  readonly space: string
}

/** The key range a validated query walks. */
export function scanPlan(spec: CollectionSpec, q: IndexQuery): ScanPlan {
  const fields = queryFields(spec, q.index)
  const index = q.index === PRIMARY ? undefined : spec.indexes.find((i) => i.name === q.index)
  const kind = index === undefined ? 'doc' : index.unique === true ? 'unique' : 'index'
  const base = index === undefined ? tuple(['d', spec.name]) : tuple([kind === 'unique' ? 'u' : 'i', spec.name, index.name])
  const p = base + tuple(q.eq.map((v, i) => encodePart(typeOf(spec, (fields[i] as { field: string }).field), v)))
  let { gte, lt } = prefixRange(p)
  const r = q.range
  if (r !== undefined) {
    const t = typeOf(spec, (fields[q.eq.length] as { field: string }).field)
    // Every key continues after a part with U+0000, so "part >= X" starts at p+X and "part <= X" ends before p+X+U+0001.
    const lo = [r.gte !== undefined ? p + encodePart(t, r.gte) : undefined, r.gt !== undefined ? p + encodePart(t, r.gt) + AFTER : undefined]
    const hi = [r.lte !== undefined ? p + encodePart(t, r.lte) + AFTER : undefined, r.lt !== undefined ? p + encodePart(t, r.lt) : undefined]
    for (const b of lo) if (b !== undefined && compareUtf8(b, gte) > 0) gte = b
    for (const b of hi) if (b !== undefined && compareUtf8(b, lt) < 0) lt = b
  }
  return index === undefined ? { gte, lt, kind, space: base } : { gte, lt, kind, index, space: base }
}

/** The pk tuple at the end of a non-unique index key of `spec`. */
export function pkOfIndexKey(_spec: CollectionSpec, index: IndexSpec, key: string): string {
  // Skip 'i', the collection, the index name and the index values: what remains is the pk tuple.
  let at = 0
  for (let n = 3 + index.fields.length; n > 0; n--) at = key.indexOf(SEP, at) + 1
  return key.slice(at)
}
