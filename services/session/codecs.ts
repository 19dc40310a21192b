/**
 * Codec by name: the one place that maps `--codec zlib|pako` to an implementation.
 */
import type { Codec, CodecName, CodecOptions } from './codec.ts'
import { createZlibCodec } from './codec-zlib.ts'
import { createPakoCodec } from './codec-pako.ts'

/** A fresh codec of the given name (zlib is the default everywhere). */
export function createCodec(name: CodecName = 'zlib', opts: CodecOptions = {}): Codec {
  return name === 'pako' ? createPakoCodec(opts) : createZlibCodec(opts)
}
