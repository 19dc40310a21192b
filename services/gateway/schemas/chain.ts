/**
 * The chain routes' schemas (routes/chain.ts) and the types derived from them. The block and the receipt
 * are shared with other routes (common.ts).
 */
import { type Static, Type } from 'typebox'
import { TX_TYPES } from '../../chain/index.ts'
import { AnyObject, Nullable, Obj, RECEIPT, StringEnum, TIMESTAMP, UINT_STRING } from './common.ts'

/** Blocks per export page at most. */
export const EXPORT_PAGE_BLOCKS = 256

/** A transaction id in a path or body. */
export const TX_ID = Type.String({ pattern: '^[A-Za-z0-9_:.-]{1,128}$' })

/** Where a transaction (or anchor receipt) stands. */
export const TX_STATUS = Obj({
  tx_id: Type.String(),
  status: StringEnum(['pending', 'included', 'final', 'rejected']),
  block_height: Nullable(Type.Integer()),
  block_hash: Nullable(Type.String()),
  reason: Type.String()
})
/** TX_STATUS as a TypeScript type. */
export type TxStatusView = Static<typeof TX_STATUS>

/** `GET /chain/info` */
export const CHAIN_INFO = Obj({
  chain_id: Type.String(),
  consensus: Type.String(),
  height: Type.Integer(),
  latest_hash: Type.String(),
  finalized_height: Type.Integer(),
  validators: Type.Integer(),
  slot_ms: Type.Integer(),
  pending_transactions: Type.Integer()
})

/** `{ height }` path parameters. */
export const HEIGHT_PARAMS = Obj({ height: UINT_STRING }, { additionalProperties: false })

/** `POST /chain/anchor` */
export const DATA_ANCHOR_BODY = Obj(
  {
    session_id: Type.String({ minLength: 1, maxLength: 128, description: 'A label only.' }),
    data_hash: Type.String({ minLength: 1, maxLength: 1024 }),
    timestamp: Type.Optional(TIMESTAMP)
  },
  { additionalProperties: false }
)
/** DATA_ANCHOR_BODY as a TypeScript type. */
export type DataAnchorBody = Static<typeof DATA_ANCHOR_BODY>

/** The answer to a data anchor: the receipt and where it stands. */
export const DATA_RECEIPT = Obj({
  ...RECEIPT.properties,
  status_url: Type.String({ description: 'where the receipt stands (GET); also the Location header' })
})

/** `{ id }` path parameters of a transaction. */
export const TX_PARAMS = Obj({ id: TX_ID }, { additionalProperties: false })

/** `GET /chain/consensus/status` */
export const CONSENSUS_STATUS = Obj({
  algorithm: Type.String(),
  slot: Type.Integer(),
  epoch: Type.Integer(),
  leader: Type.String(),
  height: Type.Integer(),
  finalized_height: Type.Integer(),
  validators: Type.Integer(),
  quorum: Type.Number(),
  healthy: Type.Boolean()
})

/** `POST /transactions` */
export const TX_BODY = Obj(
  {
    transaction_id: Type.Optional(TX_ID),
    type: StringEnum(TX_TYPES),
    data: AnyObject({ maxProperties: 64, description: '{from, nonce, payload, signature}: the rest of a transaction its sender signed' }),
    // The timestamp is part of what the sender signed: without it there is nothing to check.
    timestamp: TIMESTAMP
  },
  { additionalProperties: false }
)
/** TX_BODY as a TypeScript type. */
export type TxBody = Static<typeof TX_BODY>

/** `GET /chain/export` query. */
export const EXPORT_QUERY = Obj(
  {
    from: Type.Optional(Type.String({ ...UINT_STRING, description: 'first height, default 1' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: `1..${EXPORT_PAGE_BLOCKS}, default ${EXPORT_PAGE_BLOCKS}` }))
  },
  { additionalProperties: false }
)
/** EXPORT_QUERY as a TypeScript type. */
export type ExportQuery = Static<typeof EXPORT_QUERY>

/** `GET /chain/export`: documented only; the page is sent as the chain's own JSON text. */
export const EXPORT_PAGE = Obj(
  {
    schema: Type.Optional(Type.String()),
    genesis: Type.Optional(AnyObject()),
    genesis_hash: Type.Optional(Type.String()),
    finalized_height: Type.Optional(Type.Integer()),
    blocks: Type.Optional(Type.Array(AnyObject()))
  },
  {
    description:
      'schema lucid-chain-export-page/2 (certificates carry their round; round-less ones are of blocks finalised before the voting rounds): genesis, genesis_hash, finalized_height, blocks [{block, hash, certificate}] from `from` (fewer than `limit` past 8 MiB)'
  }
)

/** `GET /nodes/status` */
export const NODES = Obj({
  nodes: Type.Array(Obj({ node_id: Type.String(), status: Type.String(), credits: Type.Number(), rank: Type.Integer(), uptime: Type.Number() })),
  count: Type.Integer()
})
