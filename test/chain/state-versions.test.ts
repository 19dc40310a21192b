/**
 * The final state is copy-on-write (state.ts): every state of one lineage in the process reads one version, and
 * a commit moves a state to another version without touching what any other state reads. These tests check
 * that isolation: a node sees or changes another node's state only through blocks it takes itself.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { canonicalJson } from '../../services/common/hash.ts'
import { createRng } from '../../services/common/rng.ts'
import { ChainState, lineageAfter } from '../../services/chain/state.ts'
import { Ledger, ed25519Verifier, immediateSink, validateBlock, type FinalBlock } from '../../services/chain/index.ts'
import type { Json } from '../../services/chain/types.ts'
import { smallChain } from './helpers.ts'

const chain = smallChain(4)
const genesis = chain.genesis
const verifier = ed25519Verifier()

/** Commits `writes` to `s`, to the shared lineage `step` leads to (or, without a step, to a lineage of its own). */
function commit(s: ChainState, writes: Record<string, Json>, step?: string): void {
  const d = s.begin()
  for (const [k, v] of Object.entries(writes)) d.set(k, v)
  s.commit(d, step === undefined ? undefined : lineageAfter(s.lineage, step))
}

test('a write in one state is invisible to the states of its lineage and to its parent version', () => {
  const [a, b, c] = [new ChainState(genesis), new ChainState(genesis), new ChainState(genesis)]
  commit(a, { x: 1 }, 'test-isolation/1')
  commit(b, { x: 1 }, 'test-isolation/1')
  assert.equal(a.lineage, b.lineage)
  // A node that changes its own state (a lying node): its own view only.
  commit(a, { x: 2, y: 'mine' })
  assert.equal(a.get('x'), 2)
  assert.equal(a.get('y'), 'mine')
  assert.notEqual(a.lineage, b.lineage)
  assert.equal(b.get('x'), 1)
  assert.equal(b.get('y'), undefined)
  assert.equal(c.get('x'), undefined, 'the parent version is unchanged')
  // And the next shared step from b's version does not see a's private write either.
  commit(b, { z: 3 }, 'test-isolation/2')
  assert.equal(b.get('y'), undefined)
  assert.equal(a.get('z'), undefined)
  assert.equal(c.get('z'), undefined)
})

test('a fork of two lineages keeps both, however the root moves between them', () => {
  const [a, b, base] = [new ChainState(genesis), new ChainState(genesis), new ChainState(genesis)]
  commit(a, { k: 'trunk' }, 'test-fork/trunk')
  commit(b, { k: 'trunk' }, 'test-fork/trunk')
  commit(base, { k: 'trunk' }, 'test-fork/trunk')
  for (let i = 0; i < 10; i++) {
    commit(a, { k: `a${i}`, [`a/${i}`]: i }, `test-fork/a${i}`)
    commit(b, { k: `b${i}`, [`b/${i}`]: i }, `test-fork/b${i}`)
  }
  assert.equal(a.get('k'), 'a9')
  assert.equal(b.get('k'), 'b9')
  assert.equal(base.get('k'), 'trunk')
  for (let i = 0; i < 10; i++) {
    assert.equal(a.get(`a/${i}`), i)
    assert.equal(a.get(`b/${i}`), undefined)
    assert.equal(b.get(`b/${i}`), i)
    assert.equal(b.get(`a/${i}`), undefined)
    assert.equal(base.get(`a/${i}`), undefined)
  }
  assert.equal(a.size, base.size + 10)
  assert.equal(b.size, base.size + 10)
})

test('states of one lineage read one version; what they share is frozen', () => {
  const ledger = (): Ledger => {
    const l = new Ledger(genesis)
    for (let h = 1; h <= 3; h++) {
      const f = chain.ledger.at(h) as FinalBlock
      l.append(validateBlock(l.state, f.block, { sigs: immediateSink(verifier) }), f.certificate)
    }
    return l
  }
  const [a, b] = [ledger(), ledger()]
  assert.equal(a.state.lineage, b.state.lineage)
  assert.equal(a.state.get('nodes'), b.state.get('nodes'))
  assert.equal(a.state.head(), b.state.head())
  const nodes = a.state.get('nodes') as Json[]
  assert.throws(() => nodes.push(['intruder', 0]), TypeError)
  assert.equal(a.state.head().height, 3)
  assert.equal(a.state.digest(), b.state.digest())
})

test('a state left far behind still reads its own version (and then its own map)', () => {
  const [ahead, behind] = [new ChainState(genesis), new ChainState(genesis)]
  commit(ahead, { lag: 0 }, 'test-lag/0')
  commit(behind, { lag: 0 }, 'test-lag/0')
  for (let i = 1; i <= 200; i++) commit(ahead, { lag: i, [`lag/${i}`]: i }, `test-lag/${i}`)
  assert.equal(behind.get('lag'), 0)
  assert.equal(behind.get('lag/5'), undefined)
  assert.equal(ahead.get('lag'), 200)
  assert.equal(ahead.get('lag/5'), 5)
  // Catching up to the shared lineage reads the shared version again.
  let lineage = behind.lineage
  for (let i = 1; i <= 200; i++) lineage = lineageAfter(lineage, `test-lag/${i}`)
  behind.commit(behind.begin(), lineage)
  assert.equal(behind.lineage, ahead.lineage)
  assert.equal(behind.get('lag/5'), 5)
  assert.equal(behind.digest(), ahead.digest())
})

test('many states, random shared and private commits: each reads exactly its own history', () => {
  const rng = createRng(24)
  const keys = ['head', 'recent', 'nodes', 'eb/0', ...Array.from({ length: 24 }, (_, i) => `k/${i}`)]
  const states: ChainState[] = []
  const models: Array<Map<string, Json>> = []
  const add = (): void => {
    const s = new ChainState(genesis)
    const m = new Map<string, Json>()
    for (const k of keys) {
      const v = s.get(k)
      if (v !== undefined) m.set(k, v)
    }
    states.push(s)
    models.push(m)
  }
  for (let i = 0; i < 6; i++) add()
  const digestOf = (m: Map<string, Json>): string => {
    const h = createHash('sha256')
    for (const k of [...m.keys()].sort()) h.update(canonicalJson([k, m.get(k) as Json]) + '\n')
    return h.digest('hex')
  }
  for (let step = 0; step < 3000; step++) {
    const i = rng.int(0, states.length - 1)
    const s = states[i] as ChainState
    const m = models[i] as Map<string, Json>
    const roll = rng.next()
    if (roll < 0.02) add()
    else if (roll < 0.9) {
      // A shared step: its writes are a function of the parent lineage and the step, as a block's are.
      const name = `test-random/${rng.int(0, 2)}`
      const tag = `${s.lineage}/${name}`
      const writes: Record<string, Json> = { [`k/${(s.lineage * 7 + name.length) % 24}`]: tag, [`k/${s.lineage % 24}`]: [tag] }
      commit(s, writes, name)
      for (const [k, v] of Object.entries(writes)) m.set(k, v)
    } else {
      const writes: Record<string, Json> = { [`k/${rng.int(0, 23)}`]: rng.int(0, 1e6) }
      commit(s, writes)
      for (const [k, v] of Object.entries(writes)) m.set(k, v)
    }
    // Every state, every key, after every step.
    for (let j = 0; j < states.length; j++) {
      const model = models[j] as Map<string, Json>
      for (const k of keys) assert.deepEqual((states[j] as ChainState).get(k), model.get(k), `state ${j}, key ${k}, step ${step}`)
    }
  }
  for (let j = 0; j < states.length; j++) assert.equal((states[j] as ChainState).digest(), digestOf(models[j] as Map<string, Json>))
})
