import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createRng } from '../../services/common/rng.ts'
import { ManualClock, systemClock } from '../../services/common/clock.ts'
import { errors, isLucidError, LucidError } from '../../services/common/errors.ts'
import { readFileSync } from 'node:fs'

describe('seeded RNG', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const a = createRng(9)
    const b = createRng(9)
    const c = createRng(10)
    const seq = (r: ReturnType<typeof createRng>): number[] => Array.from({ length: 20 }, () => r.next())
    const sa = seq(a)
    assert.deepEqual(sa, seq(b))
    assert.notDeepEqual(sa, seq(c))
    assert.ok(sa.every((x) => x >= 0 && x < 1))
  })
  it('draws integers in range, roughly uniformly, and fills bytes', () => {
    const r = createRng(1)
    const counts = new Array<number>(6).fill(0)
    for (let i = 0; i < 60_000; i++) {
      const v = r.int(1, 6)
      assert.ok(v >= 1 && v <= 6)
      counts[v - 1]!++
    }
    for (const n of counts) assert.ok(n > 9000 && n < 11000, `counts ${counts.join(',')}`)
    const buf = r.fill(new Uint8Array(1001))
    assert.ok(new Set(buf).size > 200)
  })
})

describe('clock', () => {
  it('moves a manual clock forward only', () => {
    const c = new ManualClock(1000)
    c.advance(500)
    assert.equal(c.now(), 1500)
    assert.throws(() => c.advance(-1), RangeError)
    assert.ok(Math.abs(systemClock.now() - Date.now()) < 1000)
  })
})

describe('error catalogue', () => {
  it('gives every error a stable code, a status, a cause and the shared base class', () => {
    const cause = new Error('ECONNREFUSED')
    const e = new errors.DatabaseUnreachable('127.0.0.1:27017', { cause })
    assert.ok(e instanceof LucidError)
    assert.ok(isLucidError(e, 'LUCID_ERR_4005'))
    assert.equal(isLucidError(e, 'LUCID_ERR_4001'), false)
    assert.equal(e.code, 'LUCID_ERR_4005')
    assert.equal(e.statusCode, 503)
    assert.equal(e.cause, cause)
    assert.equal(e.message, 'Database unreachable: 127.0.0.1:27017')
    assert.equal(e.name, 'LucidError')
    assert.equal(errors.RateLimited.statusCode, 429)
  })
  it('keeps codes in their ranges, matching their keys, and documented', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    const codes = new Set<string>()
    for (const [name, E] of Object.entries(errors)) {
      assert.equal(E.errorName, name)
      assert.equal(E.name, name)
      assert.match(name, /^[A-Z][A-Za-z]+$/)
      assert.match(E.code, /^LUCID_ERR_[1-59]\d{3}$/)
      assert.equal(codes.has(E.code), false, `${E.code} used twice`)
      codes.add(E.code)
      assert.ok(doc.includes(`\`${E.code}\` | \`${name}\``), `${E.code} (${name}) is documented in docs/errors.md`)
    }
  })
})
