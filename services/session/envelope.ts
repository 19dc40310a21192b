/**
 * The chunk envelope, format version 1: the bytes stored for one chunk. docs/envelope.md is the
 * specification; this file implements it. All integers big-endian.
 *
 *   offset    size  field
 *   0         4     magic "LUCS" (4C 55 43 53)
 *   4         1     format version = 1
 *   5         1     compression = 1 (gzip, RFC 1952, one or more members)
 *   6         2     flags = 0 (reserved; a reader rejects anything else)
 *   8         8     chunk index (u64)
 *   16        8     plaintext size: bytes after decompression (u64, at most MAX_CHUNK_BYTES)
 *   24        32    HKDF salt of the key this chunk is encrypted under
 *   56        12    AES-GCM nonce
 *   68        2     session id length L (u16, 1..MAX_SESSION_ID_BYTES)
 *   70        L     session id, UTF-8
 *   70+L      n     AES-256-GCM ciphertext of the gzip stream
 *   70+L+n    16    GCM tag
 *
 * The header (bytes 0 .. 70+L) is the GCM additional authenticated data: session id, chunk index and
 * format version (and everything else in the header) are authenticated with the ciphertext, so a chunk
 * moved to another index or session, or relabelled, fails its tag.
 */
import { errors } from '../common/errors.ts'
import { SALT_BYTES } from './keys.ts'
import { NONCE_BYTES } from './nonce.ts'

/** "LUCS" */
export const MAGIC = Uint8Array.of(0x4c, 0x55, 0x43, 0x53)
/** The format version this code writes and reads. */
export const FORMAT_VERSION = 1
/** Compression id of gzip. */
export const COMPRESSION_GZIP = 1
/** Bytes of the fixed part of the header, before the session id. */
export const FIXED_HEADER_BYTES = 70
/** Bytes of the GCM tag. */
export const TAG_BYTES = 16
/** Largest session id, in UTF-8 bytes. */
export const MAX_SESSION_ID_BYTES = 512
/** Largest chunk plaintext (64 MiB): bounds memory on both sides; larger input is LUCID_ERR_2004. */
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024

/** The header fields of an envelope. */
export interface EnvelopeHeader {
  readonly version: number
  readonly compression: number
  readonly index: number
  readonly plaintextSize: number
  readonly salt: Uint8Array
  readonly nonce: Uint8Array
  readonly sessionId: string
}

/** An envelope split into its header (the AAD) and body (ciphertext ‖ tag). */
export interface ParsedEnvelope {
  readonly header: EnvelopeHeader
  /** The raw header bytes: the AAD. */
  readonly aad: Uint8Array
  /** Ciphertext followed by the 16-byte tag. */
  readonly body: Uint8Array
}

const utf8 = new TextEncoder()
const utf8Strict = new TextDecoder('utf-8', { fatal: true })

/** The UTF-8 bytes of a session id, checked against the envelope's limits (RangeError otherwise). */
export function sessionIdBytes(sessionId: string): Uint8Array {
  const b = utf8.encode(sessionId)
  if (b.length < 1 || b.length > MAX_SESSION_ID_BYTES) throw new RangeError(`session id must be 1..${MAX_SESSION_ID_BYTES} UTF-8 bytes`)
  return b
}

function checkCounters(index: number, plaintextSize: number): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`bad chunk index ${index}`)
  if (!Number.isSafeInteger(plaintextSize) || plaintextSize < 0 || plaintextSize > MAX_CHUNK_BYTES) throw new RangeError(`bad plaintext size ${plaintextSize}`)
}

/** Serialises a header (the AAD of its chunk). */
export function encodeHeader(h: EnvelopeHeader): Uint8Array {
  const sid = sessionIdBytes(h.sessionId)
  if (h.salt.length !== SALT_BYTES || h.nonce.length !== NONCE_BYTES) throw new RangeError('bad salt or nonce length')
  checkCounters(h.index, h.plaintextSize)
  const out = new Uint8Array(FIXED_HEADER_BYTES + sid.length)
  const v = new DataView(out.buffer)
  out.set(MAGIC, 0)
  v.setUint8(4, h.version)
  v.setUint8(5, h.compression)
  v.setUint16(6, 0)
  putU64(out, 8, h.index)
  putU64(out, 16, h.plaintextSize)
  out.set(h.salt, 24)
  out.set(h.nonce, NONCE_OFFSET)
  v.setUint16(68, sid.length)
  out.set(sid, FIXED_HEADER_BYTES)
  return out
}

/** Offset of the AES-GCM nonce in a header (the layout above). */
export const NONCE_OFFSET = 56

/** Writes a safe non-negative integer as a big-endian u64 into `b` at `at`, byte by byte (no DataView). */
function putU64(b: Uint8Array, at: number, n: number): void {
  const hi = Math.floor(n / 0x1_0000_0000)
  const lo = n >>> 0
  b[at] = hi >>> 24
  b[at + 1] = (hi >>> 16) & 0xff
  b[at + 2] = (hi >>> 8) & 0xff
  b[at + 3] = hi & 0xff
  b[at + 4] = lo >>> 24
  b[at + 5] = (lo >>> 16) & 0xff
  b[at + 6] = (lo >>> 8) & 0xff
  b[at + 7] = lo & 0xff
}

/**
 * The headers of one recording segment. Version, compression, salt and session id are fixed for a segment, so
 * they are encoded and checked once; each chunk copies the template and writes its index, plaintext size and
 * nonce, byte by byte. At 1 KiB chunks a seal costs a few µs in all, and encoding every field each time was
 * ~0.9 µs of it. `encode` gives exactly `encodeHeader`'s bytes (tested).
 */
export class HeaderTemplate {
  readonly #bytes: Uint8Array

  /** @param fixed the fields every chunk of the segment shares */
  constructor(fixed: Omit<EnvelopeHeader, 'index' | 'plaintextSize' | 'nonce'>) {
    this.#bytes = encodeHeader({ ...fixed, index: 0, plaintextSize: 0, nonce: new Uint8Array(NONCE_BYTES) })
  }

  /** Bytes of every header of the segment. */
  get length(): number {
    return this.#bytes.length
  }

  /**
   * Writes one chunk's header at the start of `out` (at least `length` bytes), its nonce left as zeros for the
   * caller to write at NONCE_OFFSET (RangeError on a bad index or size, as encodeHeader).
   */
  writeInto(out: Uint8Array, index: number, plaintextSize: number): void {
    checkCounters(index, plaintextSize)
    out.set(this.#bytes, 0)
    putU64(out, 8, index)
    putU64(out, 16, plaintextSize)
  }

  /** The header of one chunk as a new array (RangeError on a bad index, size or nonce, as encodeHeader). */
  encode(index: number, plaintextSize: number, nonce: Uint8Array): Uint8Array {
    if (nonce.length !== NONCE_BYTES) throw new RangeError('bad nonce length')
    const out = new Uint8Array(this.#bytes.length)
    this.writeInto(out, index, plaintextSize)
    out.set(nonce, NONCE_OFFSET)
    return out
  }
}

/**
 * Splits stored envelope bytes into header and body, checking every structural rule of docs/envelope.md.
 * Throws LUCID_ERR_2001 (naming `label`, e.g. "chunk 7") on any violation, LUCID_ERR_2004 when the header
 * announces a plaintext above MAX_CHUNK_BYTES. Authenticity is not checked here (that is the tag's job).
 */
export function parseEnvelope(bytes: Uint8Array, label: string): ParsedEnvelope {
  const bad = (why: string): Error => new errors.MalformedChunkEnvelope(`${label}: ${why}`)
  if (bytes.length < FIXED_HEADER_BYTES + 1 + TAG_BYTES) throw bad(`${bytes.length} bytes is shorter than any envelope`)
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) throw bad('not a Lucid chunk envelope (bad magic)')
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = v.getUint8(4)
  if (version !== FORMAT_VERSION) throw bad(`unsupported format version ${version}`)
  const compression = v.getUint8(5)
  if (compression !== COMPRESSION_GZIP) throw bad(`unknown compression ${compression}`)
  if (v.getUint16(6) !== 0) throw bad('reserved flags set')
  const index = v.getBigUint64(8)
  if (index > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('chunk index out of range')
  const plaintextSize = v.getBigUint64(16)
  if (plaintextSize > BigInt(MAX_CHUNK_BYTES))
    throw new errors.ChunkTooLarge(`${label}: plaintext of ${plaintextSize} bytes announced, limit ${MAX_CHUNK_BYTES}`)
  const sidLen = v.getUint16(68)
  if (sidLen < 1 || sidLen > MAX_SESSION_ID_BYTES) throw bad(`session id length ${sidLen}`)
  const headerLen = FIXED_HEADER_BYTES + sidLen
  if (bytes.length < headerLen + TAG_BYTES) throw bad('truncated: no room for the tag')
  let sessionId: string
  try {
    sessionId = utf8Strict.decode(bytes.subarray(FIXED_HEADER_BYTES, headerLen))
  } catch {
    throw bad('session id is not UTF-8')
  }
  return {
    header: {
      version,
      compression,
      index: Number(index),
      plaintextSize: Number(plaintextSize),
      salt: bytes.slice(24, 24 + SALT_BYTES),
      nonce: bytes.slice(NONCE_OFFSET, NONCE_OFFSET + NONCE_BYTES),
      sessionId
    },
    aad: bytes.subarray(0, headerLen),
    body: bytes.subarray(headerLen)
  }
}
