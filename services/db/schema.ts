/**
 * The collections as data: fields and their types, primary key, secondary indexes and maintained counters.
 * Both backends are driven by these specs, so an index declared here exists on LevelDB (as index keys)
 * and on MongoDB (through createIndexes) alike.
 */

/**
 * Field types. `key` is a non-empty string without control characters (U+0000..U+001F): it may appear
 * in keys and indexes, where control characters are separators. `int` is a non-negative safe integer
 * (indexable, order-preserving). `text` is any string, `number` any finite number, `keys` an array of
 * `key` strings, `json` any JSON value (stored as given).
 */
export type FieldType = 'key' | 'text' | 'int' | 'number' | 'keys' | 'json'

/** A field: its type and whether it may be absent. */
export interface FieldSpec {
  readonly type: FieldType
  readonly optional?: boolean
}

/** One field of an index with its MongoDB direction (LevelDB scans either way, so only MongoDB uses it). */
export interface IndexField {
  readonly field: string
  readonly dir: 1 | -1
}

/**
 * A secondary index. A unique index whose field is optional is sparse: documents without the field
 * are not in it (on MongoDB too, through `sparse: true`).
 */
export interface IndexSpec {
  readonly name: string
  readonly fields: readonly IndexField[]
  readonly unique?: boolean
}

/**
 * A maintained count: documents grouped by the last field, within each value of the fields before it.
 * `{ fields: ['user_id', 'status'] }` answers "how many of user U's documents are in each status".
 */
export interface CounterSpec {
  readonly name: string
  readonly fields: readonly string[]
}

/** A collection. */
export interface CollectionSpec {
  readonly name: string
  /** Primary key fields, all of type `key` or `int`; their tuple is unique. */
  readonly key: readonly string[]
  readonly fields: Readonly<Record<string, FieldSpec>>
  readonly indexes: readonly IndexSpec[]
  readonly counters: readonly CounterSpec[]
}

const asc = (field: string): IndexField => ({ field, dir: 1 })
const desc = (field: string): IndexField => ({ field, dir: -1 })
const req = (type: FieldType): FieldSpec => ({ type })
const opt = (type: FieldType): FieldSpec => ({ type, optional: true })

/** Every collection by name. */
export const COLLECTIONS = {
  users: {
    name: 'users',
    key: ['user_id'],
    fields: { user_id: req('key'), email: req('key'), tron_address: opt('key'), roles: req('keys'), status: req('key'), created_at: req('int') },
    indexes: [
      { name: 'email_unique', fields: [asc('email')], unique: true },
      { name: 'tron_address_unique', fields: [asc('tron_address')], unique: true },
      { name: 'status_created', fields: [asc('status'), desc('created_at')] }
    ],
    counters: [{ name: 'by_status', fields: ['status'] }]
  },
  sessions: {
    name: 'sessions',
    key: ['session_id'],
    fields: {
      session_id: req('key'),
      user_id: req('key'),
      status: req('key'),
      chunk_count: req('int'),
      created_at: req('int'),
      merkle_root: opt('key'),
      blockchain_anchor: opt('json')
    },
    indexes: [
      { name: 'user_created', fields: [asc('user_id'), desc('created_at')] },
      { name: 'status_created', fields: [asc('status'), desc('created_at')] },
      { name: 'created', fields: [desc('created_at')] }
    ],
    counters: [
      { name: 'by_status', fields: ['status'] },
      { name: 'by_user_status', fields: ['user_id', 'status'] }
    ]
  },
  chunks: {
    name: 'chunks',
    key: ['session_id', 'idx'],
    fields: { session_id: req('key'), idx: req('int'), ciphertext_sha256: req('key'), size_bytes: req('int'), created_at: req('int') },
    indexes: [],
    counters: []
  },
  blocks: {
    name: 'blocks',
    key: ['height'],
    fields: {
      height: req('int'),
      hash: req('key'),
      previous_hash: req('key'),
      transactions: req('keys'),
      merkle_root: req('key'),
      producer: req('key'),
      timestamp: req('int')
    },
    indexes: [
      { name: 'hash_unique', fields: [asc('hash')], unique: true },
      { name: 'producer_height', fields: [asc('producer'), desc('height')] }
    ],
    counters: []
  },
  transactions: {
    name: 'transactions',
    key: ['tx_id'],
    fields: { tx_id: req('key'), tx_type: req('key'), payload: req('json'), signature: req('key'), timestamp: req('int'), block_height: opt('int') },
    indexes: [
      { name: 'type_time', fields: [asc('tx_type'), desc('timestamp')] },
      { name: 'block', fields: [asc('block_height')] }
    ],
    counters: [{ name: 'by_type', fields: ['tx_type'] }]
  },
  task_proofs: {
    name: 'task_proofs',
    key: ['slot', 'node_id'],
    fields: { slot: req('int'), node_id: req('key'), epoch: req('int'), kind: req('key'), credits: req('number'), timestamp: req('int') },
    indexes: [
      { name: 'node_slot', fields: [asc('node_id'), desc('slot')] },
      { name: 'epoch_node', fields: [asc('epoch'), asc('node_id')] }
    ],
    counters: [{ name: 'by_epoch_kind', fields: ['epoch', 'kind'] }]
  },
  work_tally: {
    name: 'work_tally',
    key: ['epoch', 'entity_id'],
    fields: { epoch: req('int'), entity_id: req('key'), credits: req('number'), rank: req('int') },
    indexes: [{ name: 'epoch_rank', fields: [asc('epoch'), asc('rank')] }],
    counters: []
  },
  activity: {
    name: 'activity',
    key: ['activity_id'],
    fields: { activity_id: req('key'), user_id: req('key'), session_id: req('key'), status: req('key'), timestamp: req('int'), data: opt('json') },
    // The original test's five indexes: user_id, session_id, timestamp, status, (user_id, timestamp desc).
    // Every non-unique index entry ends with the primary key, so equal values come out in key order.
    indexes: [
      { name: 'user', fields: [asc('user_id')] },
      { name: 'session', fields: [asc('session_id')] },
      { name: 'time', fields: [asc('timestamp')] },
      { name: 'status', fields: [asc('status')] },
      { name: 'user_time', fields: [asc('user_id'), desc('timestamp')] }
    ],
    counters: [
      { name: 'by_status', fields: ['status'] },
      { name: 'by_user_status', fields: ['user_id', 'status'] }
    ]
  }
} as const satisfies Record<string, CollectionSpec>

/** A collection name. */
export type CollectionName = keyof typeof COLLECTIONS

/** Every collection spec, in a stable order. */
export const ALL_COLLECTIONS: readonly CollectionSpec[] = Object.values(COLLECTIONS)

/** The index of `spec` named `name`; throws a plain Error on a programming mistake (unknown name). */
export function indexOf(spec: CollectionSpec, name: string): IndexSpec {
  const ix = spec.indexes.find((i) => i.name === name)
  if (ix === undefined) throw new Error(`collection ${spec.name} has no index ${name}`)
  return ix
}

/** The counter of `spec` named `name`; throws a plain Error on a programming mistake. */
export function counterOf(spec: CollectionSpec, name: string): CounterSpec {
  const c = spec.counters.find((k) => k.name === name)
  if (c === undefined) throw new Error(`collection ${spec.name} has no counter ${name}`)
  return c
}
