/**
 * The compression seam of the session pipeline: gzip level 6, standard RFC 1952 gzip that any gunzip reads,
 * behind one interface with two implementations (codec-zlib.ts, default; codec-pako.ts, pure JS). Both emit
 * the same format, so either decodes the other's output.
 *
 * Large inputs are cut into independent gzip members (members.ts) compressed in parallel: RFC 1952 defines a
 * gzip file as a series of members and every gunzip concatenates them, so parallelism costs no format change,
 * only the dictionary each member restarts with (measured in the benchmarks and docs/session.md).
 */
import { errors } from '../common/errors.ts'

/** The codecs there are. */
export type CodecName = 'zlib' | 'pako'

/** The codec names, for parsing flags. */
export const CODEC_NAMES: readonly CodecName[] = ['zlib', 'pako']

/** gzip level used everywhere (the seed's "Compression Performance: gzip level 6"). */
export const GZIP_LEVEL = 6

/** A gzip codec. */
export interface Codec {
  readonly name: CodecName
  /** gzip (level 6) of `data`; one member per `memberSize` bytes of input, compressed in parallel. */
  compress(data: Uint8Array): Promise<Uint8Array>
  /**
   * Inverse of compress for any standard gzip (single or multi-member). `expectedSize` is the exact
   * decompressed length: decompression stops past it (no zip bomb) and any other length is an error.
   * Throws LUCID_ERR_2006 on corrupt input or a length mismatch.
   */
  decompress(gz: Uint8Array, expectedSize: number): Promise<Uint8Array>
  /** Releases worker threads, if the codec has any. Idempotent. */
  close(): Promise<void>
}

/** Options common to both codecs. */
export interface CodecOptions {
  /**
   * Input bytes per gzip member (default 1 MiB). Inputs up to this size are one member. A fixed size, not
   * "one member per core", so the bytes a recording contains do not depend on the machine that made it.
   */
  memberSize?: number
}

/** Default bytes of input per gzip member. */
export const DEFAULT_MEMBER_SIZE = 1024 * 1024

/**
 * The LUCID_ERR_2006 thrown for bytes after the last gzip member. The rule (docs/envelope.md, step 4): the
 * stream is gzip members and nothing else. A standard `windowBits = 31` loop refuses anything after a member
 * that is not another member; node's gunzip and pako stop at a zero byte and ignore the rest (padding, they
 * assume), as Python's `gzip.decompress` does, so both codecs count the bytes inflate consumed themselves.
 */
export function trailingBytes(codec: CodecName, trailing: number): Error {
  return new errors.DecompressionFailed(`${codec}: ${trailing} bytes after the last gzip member`)
}

/** The LUCID_ERR_2006 thrown when output length differs from the recorded plaintext length. */
export function lengthMismatch(codec: CodecName, got: number, expected: number): Error {
  return new errors.DecompressionFailed(`${codec}: ${got} bytes decompressed, ${expected} expected`)
}
