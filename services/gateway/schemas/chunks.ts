/** The chunk routes' schemas (routes/chunks.ts) and the types derived from them. */
import { type Static, Type } from 'typebox'
import { Obj, SESSION_ID, UINT_STRING } from './common.ts'

/** The answer to a chunk upload. */
export const CHUNK_RECEIPT = Obj({
  session_id: Type.String(),
  chunk_index: Type.Integer(),
  plaintext_bytes: Type.Integer(),
  compressed_bytes: Type.Integer(),
  stored_bytes: Type.Integer(),
  ciphertext_sha256: Type.String(),
  chunk_count: Type.Integer()
})
/** CHUNK_RECEIPT as a TypeScript type. */
export type ChunkUploadView = Static<typeof CHUNK_RECEIPT>

/** `POST /sessions/{id}/chunks` path parameters. */
export const UPLOAD_PARAMS = Obj({ id: SESSION_ID }, { additionalProperties: false })

/** `POST /sessions/{id}/chunks` query (the raw octet-stream form). */
export const UPLOAD_QUERY = Obj(
  { chunk_index: Type.Optional(UINT_STRING), sha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })) },
  { additionalProperties: false }
)

/** `GET /sessions/{id}/chunks/{index}` path parameters. */
export const PLAY_PARAMS = Obj({ id: SESSION_ID, index: UINT_STRING }, { additionalProperties: false })

/** A chunk's plaintext, sent as bytes. */
export const CHUNK_BYTES = Type.Unsafe<Buffer>({ description: "the chunk's plaintext", type: 'string', format: 'binary' })
