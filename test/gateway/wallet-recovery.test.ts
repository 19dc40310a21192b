/**
 * The two secp256k1 recoveries behind the wallet login (native libsecp256k1, @noble/curves) agree on every
 * signature: valid ones recover the signer, and forged, malformed or out-of-range ones recover no one
 * (or someone else), the same way on both. The native binding must actually load here (the package's own
 * entry point would fall back silently to pure JS).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import {
  loadNativeRecovery,
  nobleRecovery,
  recoverTronSigner,
  signTronMessage,
  tronAddressFromPublicKey,
  tronMessageDigest,
  walletRecovery
} from '../../services/gateway/index.ts'

const native = loadNativeRecovery()

test('the native binding loads on this machine and is the one the gateway uses', () => {
  assert.ok(native !== undefined, 'secp256k1/bindings did not load: the prebuilt binary is missing')
  assert.equal(walletRecovery.name, native.name)
  assert.match(native.name, /native/)
})

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const hex32 = (n: bigint): string => n.toString(16).padStart(64, '0')

test('native and noble recover the same signer, and refuse the same bad signatures', () => {
  const impls = [nobleRecovery, native ?? nobleRecovery]
  for (let i = 0; i < 20; i++) {
    const { secretKey, publicKey } = secp256k1.keygen()
    const address = tronAddressFromPublicKey(publicKey)
    const message = `login ${i}`
    const sig = signTronMessage(message, secretKey)
    const r = BigInt(`0x${sig.slice(0, 64)}`)
    const s = BigInt(`0x${sig.slice(64, 128)}`)
    const v = sig.slice(128)
    const variants: Array<[string, string]> = [
      ['valid', sig],
      ['other message', sig],
      ['v flipped', sig.slice(0, 128) + (v === '1b' ? '1c' : '1b')],
      ['v as 0/1', sig.slice(0, 128) + (v === '1b' ? '00' : '01')],
      ['high s', hex32(r) + hex32(N - s) + (v === '1b' ? '1c' : '1b')],
      ['r = 0', hex32(0n) + hex32(s) + v],
      ['s = 0', hex32(r) + hex32(0n) + v],
      ['r = n', hex32(N) + hex32(s) + v],
      ['s > n', hex32(r) + 'f'.repeat(64) + v],
      ['v = 29', sig.slice(0, 128) + '1d'],
      ['short', sig.slice(0, 128)]
    ]
    for (const [name, candidate] of variants) {
      const m = name === 'other message' ? `${message}!` : message
      const got = impls.map((impl) => recoverTronSigner(m, candidate, impl))
      assert.equal(got[0], got[1], `${name}: noble ${got[0]} vs native ${got[1]}`)
      // The high-s twin recovers the signer on both, as before the native path: the challenge it signs is
      // single use, so a second form of one signature grants nothing.
      if (name === 'valid' || name === 'v as 0/1' || name === 'high s') assert.equal(got[0], address, name)
      else assert.notEqual(got[0], address, name)
    }
  }
})

test('native and noble sign alike (RFC 6979, low s), so clients get the same signature either way', () => {
  const { secretKey } = secp256k1.keygen()
  const digestOf = (m: string): Uint8Array => tronMessageDigest(m)
  for (const m of ['a', 'Lucid RDP login\nnonce: 1', 'x'.repeat(500)]) {
    const rec = secp256k1.sign(digestOf(m), secretKey, { prehash: false, format: 'recovered' })
    const noble = Buffer.concat([rec.subarray(1), Buffer.of(27 + (rec[0] as number))]).toString('hex')
    assert.equal(signTronMessage(m, secretKey), noble)
  }
})
