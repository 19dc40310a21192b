import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import {
  canonicalJson,
  fromHex,
  hashCanonical,
  merkleLeafHash,
  merkleNodeHash,
  merkleProof,
  merkleRoot,
  merkleRootOfHashes,
  sha256,
  toHex,
  u64be,
  verifyMerkleProof
} from '../services/common/hash.ts'

const leaf = (i: number): Uint8Array => new TextEncoder().encode(`leaf-${i}`)
const H = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest())

test('sha256 matches the FIPS 180-2 vector and hashes parts as their concatenation', () => {
  assert.equal(toHex(sha256(new TextEncoder().encode('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  assert.deepEqual(sha256(Uint8Array.of(1, 2), Uint8Array.of(3)), sha256(Uint8Array.of(1, 2, 3)))
  assert.equal(toHex(sha256()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
})

test('u64be is unsigned 64-bit big-endian and rejects what it cannot represent', () => {
  assert.equal(toHex(u64be(1)), '0000000000000001')
  assert.equal(toHex(u64be(0x0102030405)), '0000000102030405')
  assert.equal(toHex(u64be(0xffffffffffffffffn)), 'ffffffffffffffff')
  assert.throws(() => u64be(-1), RangeError)
  assert.throws(() => u64be(1.5), RangeError)
  assert.throws(() => u64be(2 ** 64 * 1.0), RangeError)
})

test('hex round-trips and rejects non-hex', () => {
  assert.deepEqual(fromHex('00ff10'), Uint8Array.of(0, 255, 16))
  assert.throws(() => fromHex('abc'), RangeError)
  assert.throws(() => fromHex('zz'), RangeError)
})

test('Merkle roots follow RFC 6962 prefixes with the odd node promoted', () => {
  const [a, b, c] = [leaf(0), leaf(1), leaf(2)]
  const la = H(Uint8Array.of(0), a)
  const lb = H(Uint8Array.of(0), b)
  const lc = H(Uint8Array.of(0), c)
  assert.deepEqual(merkleRoot([]), H())
  assert.deepEqual(merkleRoot([a]), la)
  assert.deepEqual(merkleRoot([a, b]), H(Uint8Array.of(1), la, lb))
  // three leaves: c is promoted unchanged, never paired with itself
  assert.deepEqual(merkleRoot([a, b, c]), H(Uint8Array.of(1), H(Uint8Array.of(1), la, lb), lc))
  assert.notDeepEqual(merkleRoot([a, b, c]), merkleRoot([a, b, c, c]))
  assert.deepEqual(merkleLeafHash(a), la)
  assert.deepEqual(merkleNodeHash(la, lb), H(Uint8Array.of(1), la, lb))
})

test('every inclusion proof verifies for trees of 1..33 leaves, and fails on any change', () => {
  for (let n = 1; n <= 33; n++) {
    const hashes = Array.from({ length: n }, (_, i) => merkleLeafHash(leaf(i)))
    const root = merkleRootOfHashes(hashes)
    for (let i = 0; i < n; i++) {
      const proof = merkleProof(hashes, i)
      const h = hashes[i] as Uint8Array
      assert.ok(verifyMerkleProof(h, i, n, proof, root), `n=${n} i=${i}`)
      assert.ok(!verifyMerkleProof(merkleLeafHash(leaf(i + 1000)), i, n, proof, root), 'other leaf')
      if (n > 1) assert.ok(!verifyMerkleProof(h, (i + 1) % n, n, proof, root), 'other index')
      assert.ok(!verifyMerkleProof(h, i, i, proof, root), 'index outside the count')
      assert.ok(!verifyMerkleProof(h, i, n, [...proof, h], root), 'proof too long')
      if (proof.length > 0) {
        assert.ok(!verifyMerkleProof(h, i, n, proof.slice(1), root), 'proof too short')
        const bent = proof.map((p) => p.slice())
        ;(bent[0] as Uint8Array)[0] = ((bent[0] as Uint8Array)[0] as number) ^ 1
        assert.ok(!verifyMerkleProof(h, i, n, bent, root), 'sibling changed')
      }
      const badRoot = root.slice()
      badRoot[31] = (badRoot[31] as number) ^ 0x80
      assert.ok(!verifyMerkleProof(h, i, n, proof, badRoot), 'root changed')
    }
  }
  assert.ok(!verifyMerkleProof(merkleLeafHash(leaf(0)), 0, 0, [], sha256()), 'empty tree has no leaf')
  assert.throws(() => merkleProof([merkleLeafHash(leaf(0))], 1), RangeError)
})

test('JCS sorts keys and normalises numbers (RFC 8785); hashCanonical hashes that text', () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1e21, y: 0.5 } }), '{"a":[true,null,"x"],"b":1,"c":{"y":0.5,"z":1e+21}}')
  assert.deepEqual(hashCanonical({ b: 2, a: 1 }), sha256(new TextEncoder().encode('{"a":1,"b":2}')))
  assert.throws(() => canonicalJson(undefined), TypeError)
})
