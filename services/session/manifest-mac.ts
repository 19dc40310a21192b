/**
 * The manifest's authentication: an HMAC-SHA256 over its `manifest_hash`, under a key derived from the
 * recording's master key with a label of its own (docs/session.md, "Authenticated manifest"):
 *
 *   mac_key      = HKDF-SHA256(ikm = master key, salt = empty, info = "lucid/session/v1/manifest-mac", L = 32)
 *   manifest_mac = HMAC-SHA256(mac_key, "LUCID-MANIFEST-V1" ‖ the 32 bytes of manifest_hash), hex
 *
 * Over the hash, not the file: `manifest_hash` stays what the chain anchors (the MAC is not part of what it
 * hashes), and the MAC then covers every field the hash covers (chunk count, Merkle root, owner, times,
 * codec). Without the master key nobody can re-authenticate an edited manifest, so a cut tail or an edited
 * field fails playback (LUCID_ERR_2013) even when the attacker rewrote the manifest's hashes and the
 * metadata database consistently. A holder of the key can; against that the chain anchor is the defence
 * (anchor.ts).
 */
import { timingSafeEqual } from 'node:crypto'
import { fromHex } from '../common/hash.ts'
import type { CryptoKey } from './keys.ts'

const MAC_KEY_INFO = 'lucid/session/v1/manifest-mac'
/** Domain tag before the hash, so this MAC can never be taken for one over other 32 bytes. */
const MAC_DOMAIN = 'LUCID-MANIFEST-V1'
const utf8 = new TextEncoder()

async function macKey(master: CryptoKey): Promise<CryptoKey> {
  return await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(MAC_KEY_INFO) },
    master,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign']
  )
}

/** The `manifest_mac` of a manifest with this `manifest_hash` (64 hex digits) under the master key. */
export async function manifestMac(master: CryptoKey, manifestHash: string): Promise<string> {
  const hash = fromHex(manifestHash)
  if (hash.length !== 32) throw new RangeError('manifest_hash must be 32 bytes')
  const msg = new Uint8Array(MAC_DOMAIN.length + 32)
  msg.set(utf8.encode(MAC_DOMAIN), 0)
  msg.set(hash, MAC_DOMAIN.length)
  return Buffer.from(await crypto.subtle.sign('HMAC', await macKey(master), msg)).toString('hex')
}

/** True when `mac` is the manifest_mac of `manifestHash` under the master key (compared in constant time). */
export async function manifestMacValid(master: CryptoKey, manifestHash: string, mac: string): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(mac) || !/^[0-9a-f]{64}$/.test(manifestHash)) return false
  return timingSafeEqual(Buffer.from(await manifestMac(master, manifestHash), 'hex'), Buffer.from(mac, 'hex'))
}
