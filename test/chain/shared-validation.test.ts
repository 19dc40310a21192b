/**
 * The nodes of one process share a shared block's validation when their final states are of one lineage
 * (validate.ts, state.ts), and the verified signatures once per process (sink.ts): neither may change what any
 * node decides, verifies or is charged for.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isLucidError } from '../../services/common/errors.ts'
import { deepFreeze } from '../../services/common/frozen.ts'
import { Ledger, VerifiedCache, ed25519Verifier, immediateSink, validateBlock, type FinalBlock, type SignatureSink } from '../../services/chain/index.ts'
import { smallChain } from './helpers.ts'

const chain = smallChain(4)
const verifier = ed25519Verifier()

/** The generated chain's blocks up to `height`, validated into a ledger of its own. */
function ledgerTo(height: number): Ledger {
  const l = new Ledger(chain.genesis)
  for (let h = 1; h <= height; h++) {
    const f = chain.ledger.at(h) as FinalBlock
    l.append(validateBlock(l.state, f.block, { sigs: immediateSink(verifier) }), f.certificate)
  }
  return l
}

/** A sink of a node of its own (its own verified cache) that records which checks it was asked for. */
function node(): { sink: SignatureSink; checks: string[] } {
  const inner = immediateSink(verifier, new VerifiedCache())
  const checks: string[] = []
  return {
    checks,
    sink: {
      check(publicKey, message, signature, fail) {
        checks.push(`${publicKey}/${signature}`)
        inner.check(publicKey, message, signature, fail)
      }
    }
  }
}

test('a shared block on two states of one lineage: one result, every signature check made by each node', () => {
  const a = ledgerTo(2)
  const b = ledgerTo(2)
  assert.equal(a.state.lineage, b.state.lineage)
  const f = chain.ledger.at(3) as FinalBlock
  const block = deepFreeze(structuredClone(f.block))
  const [na, nb] = [node(), node()]
  const va = validateBlock(a.state, block, { sigs: na.sink })
  const vb = validateBlock(b.state, block, { sigs: nb.sink })
  assert.ok(na.checks.length > 0)
  assert.deepEqual(nb.checks, na.checks)
  assert.equal(vb.hash, va.hash)
  assert.deepEqual(vb.txIds, va.txIds)
  assert.equal(vb.delta.base, b.state)
  assert.deepEqual([...vb.delta.writes()], [...va.delta.writes()])
  a.append(va, f.certificate)
  b.append(vb, f.certificate)
  assert.equal(b.state.digest(), a.state.digest())
  assert.equal(b.state.lineage, a.state.lineage)
  assert.equal(a.state.digest(), ledgerTo(3).state.digest())
})

test('the clock is checked for each node: a block from its future is refused as validation alone would', () => {
  const f = chain.ledger.at(3) as FinalBlock
  const block = deepFreeze(structuredClone(f.block))
  validateBlock(ledgerTo(2).state, block, { sigs: node().sink, now: block.header.timestamp })
  const early = block.header.timestamp - 60_000
  const refusal = (run: () => unknown): string => {
    try {
      run()
    } catch (err) {
      assert.ok(isLucidError(err))
      return `${err.code} ${err.message}`
    }
    return 'accepted'
  }
  const shared = refusal(() => validateBlock(ledgerTo(2).state, block, { sigs: node().sink, now: early }))
  const alone = refusal(() => validateBlock(ledgerTo(2).state, structuredClone(f.block), { sigs: node().sink, now: early }))
  assert.notEqual(shared, 'accepted')
  assert.equal(shared, alone)
})

test('a state changed outside a ledger gets a lineage of its own', () => {
  const l = ledgerTo(2)
  const before = l.state.lineage
  l.state.commit(l.state.begin())
  assert.notEqual(l.state.lineage, before)
  assert.notEqual(l.state.lineage, ledgerTo(2).state.lineage)
})

test('VerifiedCache: one entry per triple in the process, each cache its own answers and generations', () => {
  const [a, b] = [new VerifiedCache(100, 1), new VerifiedCache(100, 1)]
  const m = Uint8Array.of(1, 2, 3)
  a.add('k', 's', m)
  assert.ok(a.has('k', 's', m))
  assert.equal(b.has('k', 's', m), false)
  b.add('k', 's', m)
  a.blockFinal()
  a.blockFinal()
  assert.equal(a.has('k', 's', m), false)
  assert.ok(b.has('k', 's', m))
  assert.equal(a.size, 0)
  assert.equal(b.size, 1)
})
