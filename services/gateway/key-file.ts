/**
 * Secret keys the gateway keeps in its data directory (the token HMAC key, the chain account's Ed25519
 * seed): hex in a file of mode 0600, created whole or not at all and never over an existing one
 * (services/common/atomic-file.ts), so neither a kill during creation nor two processes starting at once
 * can leave a damaged or overwritten key. A key is never printed; only its path is.
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { writeFileAtomic } from '../common/atomic-file.ts'
import { errors } from '../common/errors.ts'

/**
 * Reads the key in `path`, or creates it (`bytes` random bytes) when the file is missing. A file holding
 * fewer than `bytes` bytes of hex (or more, when `exact`) is LUCID_ERR_9003.
 */
export async function loadOrCreateKey(path: string, bytes: number, exact = false): Promise<{ key: Uint8Array; created: boolean }> {
  try {
    const hex = (await readFile(path, 'utf8')).trim()
    const ok = /^([0-9a-f]{2})+$/.test(hex) && (exact ? hex.length === 2 * bytes : hex.length >= 2 * bytes)
    if (!ok) throw new errors.BadValue(`key file ${path} (expected ${exact ? 'exactly' : 'at least'} ${bytes} bytes as hex)`)
    return { key: new Uint8Array(Buffer.from(hex, 'hex')), created: false }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const key = randomBytes(bytes)
  await writeFileAtomic(path, key.toString('hex') + '\n', { mode: 'create', permissions: 0o600 })
  return { key: new Uint8Array(key), created: true }
}
