/**
 * Where the CLI's master key comes from: LUCID_MASTER_KEY (32 bytes as 64 hex digits or as base64), else a
 * key file beside the data, created with a fresh random key and mode 0600 when recording. The key is never
 * printed; messages name the file only.
 */
import { readFile } from 'node:fs/promises'
import { writeFileAtomic } from '../common/atomic-file.ts'
import { randomBytes } from 'node:crypto'
import { errors } from '../common/errors.ts'
import { MASTER_KEY_BYTES } from './keys.ts'

/** Name of the environment variable holding the master key. */
export const MASTER_KEY_ENV = 'LUCID_MASTER_KEY'

/** 32 key bytes from hex or base64 text; LUCID_ERR_9003 naming `source` otherwise (never echoing the text). */
export function parseMasterKey(text: string, source: string): Uint8Array {
  const t = text.trim()
  let key: Buffer | undefined
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex')
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) key = Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64')
  if (key?.length !== MASTER_KEY_BYTES) throw new errors.BadValue(`${source} (expected ${MASTER_KEY_BYTES} bytes as 64 hex digits or base64)`)
  return new Uint8Array(key)
}

/** Where a key came from, for messages. */
export type KeySource = { kind: 'env' } | { kind: 'file'; path: string; created: boolean }

/**
 * The master key: from the environment if set, else from `keyFile`. With `create`, a missing key file is
 * created with a new random key (mode 0600, whole or not at all, never over an existing key).
 * LUCID_ERR_9003 when the key file is absent and `create` is false, or when it holds no valid key.
 */
export async function loadMasterKey(keyFile: string, create: boolean, env: NodeJS.ProcessEnv = process.env): Promise<{ key: Uint8Array; source: KeySource }> {
  const fromEnv = env[MASTER_KEY_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return { key: parseMasterKey(fromEnv, MASTER_KEY_ENV), source: { kind: 'env' } }
  try {
    return { key: parseMasterKey(await readFile(keyFile, 'utf8'), `key file ${keyFile}`), source: { kind: 'file', path: keyFile, created: false } }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    if (!create) throw new errors.BadValue(`${MASTER_KEY_ENV}: not set, and no key file at ${keyFile}`)
  }
  const key = new Uint8Array(randomBytes(MASTER_KEY_BYTES))
  // Whole or not at all: a kill mid-creation must not leave a key file of no key (refused at every start).
  await writeFileAtomic(keyFile, Buffer.from(key).toString('hex') + '\n', { mode: 'create', permissions: 0o600 })
  return { key, source: { kind: 'file', path: keyFile, created: true } }
}
