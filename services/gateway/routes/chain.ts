/**
 * Chain routes (the BlockchainUser of the load contract, and the original tests' block and transaction
 * calls), answered through the ChainPort. Without a chain they answer 503 LUCID_ERR_5004.
 *
 *   GET  /chain/info                                               -> 200
 *   GET  /chain/blocks/latest, /blocks/latest        (blocks tier) -> 200 block
 *   GET  /chain/blocks/{height}, /blocks/{height}    (blocks tier) -> 200 block, 404 LUCID_ERR_5003
 *   POST /chain/anchor   {session_id, data_hash, timestamp?}  public -> 201 receipt with status_url, Location
 *   GET  /chain/anchor/{tx_id}, /transactions/{tx_id}              -> 200 status, 404 LUCID_ERR_5003
 *   GET  /chain/consensus/status                                   -> 200
 *   POST /transactions   {transaction_id?, type, data, timestamp} NodeOperator -> 202 receipt
 *   GET  /nodes/status                                             -> 200 nodes with credits and rank
 *   GET  /chain/export?from=H&limit=N                (blocks tier) -> 200 a page of final blocks
 *
 * POST /chain/anchor is a public timestamping service: it anchors SHA-256(data_hash) under the given
 * label (`session_id` is only a label here) as a data anchor, a different kind of item from a session's
 * own anchor, which only its owner submits at finalisation. So it can never alter a session's anchor.
 *
 * POST /transactions carries a transaction its sender signed (`data` = {from, nonce, payload, signature},
 * `timestamp` the signed one in ms): the chain's rules check it; the gateway never signs for a client.
 */
import { createHash } from 'node:crypto'
import { DEFAULT_PARAMS, labelProblem, submittedAtProblem } from '../../chain/index.ts'
import { errors } from '../../common/errors.ts'
import { guard, principalOf } from '../auth/guard.ts'
import type { GatewayContext } from '../context.ts'
import { BLOCK, type GatewayApp, RECEIPT, isWellFormed, responses, timestampMs } from '../schemas/common.ts'
import {
  CHAIN_INFO,
  CONSENSUS_STATUS,
  DATA_ANCHOR_BODY,
  DATA_RECEIPT,
  EXPORT_PAGE,
  EXPORT_PAGE_BLOCKS,
  EXPORT_QUERY,
  HEIGHT_PARAMS,
  NODES,
  TX_BODY,
  TX_PARAMS,
  TX_STATUS,
  type ExportQuery,
  type TxStatusView
} from '../schemas/chain.ts'
import { requireChain } from '../sessions.ts'
import type { BlockView } from '../chain-port.ts'

/** The JSON size an export page stops growing at (one block is always sent); its most blocks is EXPORT_PAGE_BLOCKS. */
const EXPORT_PAGE_BYTES = 8 * 1024 * 1024

/** Registers the chain routes. */
export async function chainRoutes(app: GatewayApp, ctx: GatewayContext): Promise<void> {
  const chain = (): ReturnType<typeof requireChain> => requireChain(ctx.chain)
  const blocks = { tier: 'blocks' as const }

  app.get(
    '/chain/info',
    {
      schema: {
        tags: ['chain'],
        summary: 'Chain id, height, finality, validators',
        response: responses({ 200: CHAIN_INFO })
      }
    },
    async () => await chain().info()
  )

  const latest = { config: blocks, schema: { tags: ['chain'], summary: 'The newest block', response: responses({ 200: BLOCK }) } }
  app.get('/chain/blocks/latest', latest, async () => await chain().latestBlock())
  app.get('/blocks/latest', latest, async () => await chain().latestBlock())

  const byHeight = {
    config: blocks,
    schema: {
      tags: ['chain'],
      summary: 'The block at a height',
      params: HEIGHT_PARAMS,
      response: responses({ 200: BLOCK })
    }
  }
  const blockAt = async (req: { params: { height: string } }): Promise<BlockView> => {
    const h = Number(req.params.height)
    const b = Number.isSafeInteger(h) ? await chain().blockAt(h) : undefined
    if (b === undefined) throw new errors.BlockNotFound(`height ${req.params.height}`)
    return b
  }
  app.get('/chain/blocks/:height', byHeight, blockAt)
  app.get('/blocks/:height', byHeight, blockAt)

  app.post(
    '/chain/anchor',
    {
      schema: {
        tags: ['chain'],
        summary: "Public timestamping: anchor SHA-256(data_hash) under a label; never a session's own anchor",
        body: DATA_ANCHOR_BODY,
        response: responses({ 201: DATA_RECEIPT })
      }
    },
    async (req, reply) => {
      const b = req.body
      if (!isWellFormed(b.session_id) || !isWellFormed(b.data_hash))
        throw new errors.InvalidRequest('session_id and data_hash must be well-formed Unicode (a lone surrogate is not)')
      // The chain's own rule, the same function: what passes here is never refused on chain for its label.
      const bad = labelProblem(b.session_id)
      if (bad !== undefined) throw new errors.InvalidRequest(`session_id (the label) ${bad}`)
      const now = ctx.config.clock.now()
      const submittedAt = timestampMs(b.timestamp, now)
      // The gateway stamps the transaction now: the chain's window around it (the gateway's chain has the default skew).
      const late = submittedAtProblem(submittedAt, now, DEFAULT_PARAMS.max_clock_skew_ms)
      if (late !== undefined) throw new errors.InvalidRequest(`timestamp: ${late}`)
      const digest = createHash('sha256').update(b.data_hash, 'utf8').digest('hex')
      const receipt = await chain().anchorData({ label: b.session_id, digest, timestamp: submittedAt })
      // 201, not 202: the reference system's own client counts only 200 and 201 as success here (issue 16,
      // item 6). What is created is the receipt, a resource of its own at its status URL, under the prefix
      // the request came by (root or /api/v1).
      const statusUrl = `${req.routeOptions.url ?? '/chain/anchor'}/${encodeURIComponent(receipt.tx_id)}`
      // The receipt is kept (synced) before it is answered: the chain's pool is not kept across a restart,
      // and a resource answered 201 must not vanish with it (its status URL then says `rejected`).
      await ctx.store.setDataAnchor(receipt.tx_id, { label: b.session_id, digest, accepted_at: receipt.accepted_at })
      return reply
        .code(201)
        .header('location', statusUrl)
        .send({ ...receipt, status_url: statusUrl })
    }
  )

  const txStatus = {
    schema: {
      tags: ['chain'],
      summary: 'Where a transaction (or anchor receipt) stands',
      params: TX_PARAMS,
      response: responses({ 200: TX_STATUS })
    }
  }
  const statusOf = async (req: { params: { id: string } }): Promise<TxStatusView> => {
    const s = await chain().transactionStatus(req.params.id)
    if (s !== undefined) return s
    // A data anchor this gateway acknowledged that the chain no longer has: pending at a restart (the
    // pool is not kept). Its receipt answers, as rejected: the client submits it again.
    if ((await ctx.store.dataAnchor(req.params.id)) !== undefined) {
      return {
        tx_id: req.params.id,
        status: 'rejected',
        block_height: null,
        block_hash: null,
        reason: 'pending when the gateway restarted (pending transactions are not kept) and in no block: submit the anchor again'
      }
    }
    throw new errors.BlockNotFound(`no transaction ${req.params.id}`)
  }
  app.get('/chain/anchor/:id', txStatus, statusOf)
  app.get('/transactions/:id', txStatus, statusOf)

  app.get(
    '/chain/consensus/status',
    {
      schema: {
        tags: ['chain'],
        summary: 'PoOT consensus: slot, epoch, leader, finality',
        response: responses({ 200: CONSENSUS_STATUS })
      }
    },
    async () => await chain().consensusStatus()
  )

  app.post(
    '/transactions',
    {
      preParsing: guard('NodeOperator'),
      schema: {
        tags: ['chain'],
        summary: 'Submit a chain transaction (NodeOperator)',
        security: [{ bearer: [] }],
        body: TX_BODY,
        response: responses({ 202: RECEIPT })
      }
    },
    async (req, reply) => {
      const b = req.body
      const receipt = await chain().submitTransaction({
        ...(b.transaction_id !== undefined ? { tx_id: b.transaction_id } : {}),
        type: b.type,
        data: b.data,
        timestamp: timestampMs(b.timestamp, ctx.config.clock.now()),
        submitter: principalOf(req).sub
      })
      return reply.code(202).send(receipt)
    }
  )

  // The page is sent as the chain's own JSON text (below): the reply is that string, the schema documents it.
  app.get<{ Querystring: ExportQuery; Reply: string }>(
    '/chain/export',
    {
      config: blocks,
      schema: {
        tags: ['chain'],
        summary: 'A page of final blocks with their certificates, as `lucid chain export` writes them (for --from URL)',
        querystring: EXPORT_QUERY,
        response: responses({ 200: EXPORT_PAGE })
      }
    },
    async (req, reply) => {
      const from = Math.max(1, Number(req.query.from ?? 1))
      const limit = Math.min(EXPORT_PAGE_BLOCKS, Math.max(1, Number(req.query.limit ?? EXPORT_PAGE_BLOCKS)))
      const page = await chain().exportPage(from, limit, EXPORT_PAGE_BYTES)
      // Sent as the chain's own JSON text: a response schema would keep only the fields it lists, and the
      // blocks must arrive exactly as they are hashed.
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(page))
    }
  )

  app.get(
    '/nodes/status',
    {
      schema: {
        tags: ['chain'],
        summary: 'Validator nodes with their PoOT work credits and rank',
        response: responses({ 200: NODES })
      }
    },
    async () => {
      const nodes = await chain().nodes()
      return { nodes, count: nodes.length }
    }
  )
}
