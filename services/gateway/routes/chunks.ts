/**
 * Chunk upload into the session pipeline and verified playback.
 *
 *   POST /sessions/{id}/chunks   raw body (`application/octet-stream`, optional `?chunk_index=N&sha256=HEX`)
 *                                or multipart/form-data with `chunk_data` (the bytes) and an optional
 *                                `metadata` JSON field `{chunk_index?, sha256?}`           -> 201 receipt
 *   GET  /sessions/{id}/chunks/{index}   the chunk's plaintext, verified (finalised sessions) -> 200 bytes
 *
 * `sha256` is the SHA-256 of the plaintext as the client computed it: a mismatch (bytes damaged on the
 * way) is refused with 422 LUCID_ERR_2008 before anything is stored. Bodies above `maxChunkBytes` are
 * refused with 413 LUCID_ERR_1007 while streaming in. The body parsers live in this module's own plugin
 * context, so no other route accepts octet-stream or multipart bodies.
 */
import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import multipart from '@fastify/multipart'
import { LucidError, errors } from '../../common/errors.ts'
import { guard, principalOf } from '../auth/guard.ts'
import type { GatewayContext } from '../context.ts'
import { type GatewayApp, responses } from '../schemas/common.ts'
import { CHUNK_BYTES, CHUNK_RECEIPT, PLAY_PARAMS, UPLOAD_PARAMS, UPLOAD_QUERY } from '../schemas/chunks.ts'

interface ChunkMeta {
  chunkIndex?: number
  sha256?: string
}

/**
 * Reads a multipart upload: exactly one `chunk_data` file, at most one `metadata` field. A body the
 * multipart parser cannot read (no boundary, cut short) is the client's error: busboy throws a plain Error
 * for it, which would otherwise answer 500.
 */
async function readMultipart(req: FastifyRequest, maxBytes: number): Promise<{ data: Buffer; meta: ChunkMeta }> {
  try {
    return await readParts(req, maxBytes)
  } catch (err) {
    const status = (err as { statusCode?: unknown }).statusCode
    if (err instanceof LucidError || (typeof status === 'number' && status >= 400 && status < 500)) throw err
    throw new errors.InvalidRequest(`malformed multipart body (${err instanceof Error ? err.message : String(err)})`, { cause: err })
  }
}

async function readParts(req: FastifyRequest, maxBytes: number): Promise<{ data: Buffer; meta: ChunkMeta }> {
  let data: Buffer | undefined
  let meta: ChunkMeta = {}
  for await (const part of req.parts({ limits: { fileSize: maxBytes, files: 1, fields: 1, parts: 2, fieldSize: 64 * 1024 } })) {
    if (part.type === 'file') {
      if (part.fieldname !== 'chunk_data') {
        part.file.resume()
        throw new errors.InvalidRequest(`unexpected file field ${JSON.stringify(part.fieldname.slice(0, 64))} (send chunk_data)`)
      }
      data = await part.toBuffer()
    } else if (part.fieldname === 'metadata') {
      meta = parseMeta(typeof part.value === 'string' ? part.value : '')
    } else {
      throw new errors.InvalidRequest(`unexpected field ${JSON.stringify(part.fieldname.slice(0, 64))} (metadata and chunk_data only)`)
    }
  }
  if (data === undefined) throw new errors.InvalidRequest('multipart upload without a chunk_data file')
  return { data, meta }
}

/** `{chunk_index?, sha256?}` from the metadata field's JSON. */
function parseMeta(text: string): ChunkMeta {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw new errors.InvalidRequest('metadata is not JSON')
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new errors.InvalidRequest('metadata must be a JSON object')
  const o = v as Record<string, unknown>
  const meta: ChunkMeta = {}
  const idx = o.chunk_index ?? o.index
  if (idx !== undefined) {
    if (typeof idx !== 'number' || !Number.isSafeInteger(idx) || idx < 0) throw new errors.InvalidRequest('metadata.chunk_index must be a non-negative integer')
    meta.chunkIndex = idx
  }
  if (o.sha256 !== undefined) {
    if (typeof o.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(o.sha256)) throw new errors.InvalidRequest('metadata.sha256 must be 64 hex digits')
    meta.sha256 = o.sha256
  }
  return meta
}

/** Registers the chunk routes (in their own context, with their body parsers). */
export async function chunkRoutes(app: GatewayApp, ctx: GatewayContext): Promise<void> {
  const max = ctx.config.maxChunkBytes
  await app.register(multipart, { limits: { fileSize: max, files: 1, fields: 1, parts: 2, fieldSize: 64 * 1024 }, throwFileSizeLimit: true })
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: max }, (_req, body, done) => {
    done(null, body)
  })

  app.post(
    '/sessions/:id/chunks',
    {
      preParsing: guard('User'),
      bodyLimit: max,
      schema: {
        tags: ['sessions'],
        summary: 'Upload the next chunk (raw octet-stream or multipart chunk_data + metadata)',
        security: [{ bearer: [] }],
        consumes: ['application/octet-stream', 'multipart/form-data'],
        params: UPLOAD_PARAMS,
        querystring: UPLOAD_QUERY,
        response: responses({ 201: CHUNK_RECEIPT })
      }
    },
    async (req, reply) => {
      const p = principalOf(req)
      let data: Buffer
      let meta: ChunkMeta
      if (req.isMultipart()) {
        ;({ data, meta } = await readMultipart(req, max))
      } else if (Buffer.isBuffer(req.body)) {
        data = req.body
        meta = {
          ...(req.query.chunk_index !== undefined ? { chunkIndex: Number(req.query.chunk_index) } : {}),
          ...(req.query.sha256 !== undefined ? { sha256: req.query.sha256 } : {})
        }
      } else {
        throw new errors.UnsupportedMediaType('send the chunk as application/octet-stream or multipart/form-data')
      }
      if (data.length === 0) throw new errors.InvalidRequest('empty chunk')
      if (meta.sha256 !== undefined) {
        const got = createHash('sha256').update(data).digest('hex')
        if (got !== meta.sha256.toLowerCase()) throw new errors.ChunkHashMismatch(`the upload's SHA-256 is ${got}, the client sent ${meta.sha256}`)
      }
      ctx.uploads?.take(p.sub, data.length)
      const receipt = await ctx.sessions.appendChunk(p, req.params.id, data, meta.chunkIndex)
      return reply.code(201).send(receipt)
    }
  )

  app.get(
    '/sessions/:id/chunks/:index',
    {
      preParsing: guard('User'),
      schema: {
        tags: ['sessions'],
        summary: 'Play back one chunk: its plaintext after every integrity check (finalised sessions)',
        security: [{ bearer: [] }],
        produces: ['application/octet-stream'],
        params: PLAY_PARAMS,
        response: responses({ 200: CHUNK_BYTES })
      }
    },
    async (req, reply) => {
      const bytes = await ctx.sessions.playChunk(principalOf(req), req.params.id, Number(req.params.index))
      return reply.type('application/octet-stream').send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    }
  )
}
