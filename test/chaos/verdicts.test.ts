/**
 * Each chaos suite's own judgement as a pure function of what a run observed (issue 20): a passing run, and
 * every failure reason on its own, for faults (and its outage, validator-process and power-cut checks),
 * fuzz, overload and soak. No server is started here.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { verdictOf } from '../../chaos/verdict.ts'
import { type FaultsObservations, faultsVerdict, powerCutVerdict, validatorKillVerdict } from '../../chaos/faults/verdict.ts'
import { type OpRecord, type PhaseWindow, judgeOps, outageVerdict, phaseLatencies } from '../../chaos/faults/mongo-judge.ts'
import { type OverloadObservations, overloadVerdict } from '../../chaos/overload/verdict.ts'
import { Judge, diff, fuzzVerdict } from '../../chaos/fuzz/judge.ts'
import type { Hostile, Route } from '../../chaos/fuzz/input.ts'
import type { Res } from '../../chaos/gateway.ts'
import { soakVerdict } from '../../chaos/soak/verdict.ts'
import type { LeakVerdict } from '../../chaos/soak/fit.ts'

/** For each failure name of a clean observation, the observation with only that failure: exactly it must be reported. */
function eachFailure<O, R extends string>(clean: O, broken: Record<R, Partial<O>>, verdict: (o: O) => { passed: boolean; failures: readonly R[] }): void {
  const ok = verdict(clean)
  assert.deepEqual({ passed: ok.passed, failures: ok.failures }, { passed: true, failures: [] })
  for (const [reason, change] of Object.entries(broken) as Array<[R, Partial<O>]>) {
    const v = verdict({ ...clean, ...change })
    assert.equal(v.passed, false, reason)
    assert.deepEqual(v.failures, [reason], reason)
  }
}

test('verdictOf: failures in the order given, passed only with none', () => {
  assert.deepEqual(verdictOf({ a: false, b: false }), { passed: true, failures: [] })
  assert.deepEqual(verdictOf({ b: true, a: true, c: false }), { passed: false, failures: ['b', 'a'] })
})

test('faults: a clean run passes; each count or failed check fails it for its own reason', () => {
  const clean: FaultsObservations = {
    cycles: 24,
    lostWrites: 0,
    tornRecords: 0,
    nonceCollisions: 0,
    revertedBlocks: 0,
    startupFailures: 0,
    unexpectedAnswers: 0,
    chainStalls: 0,
    mongoPassed: true,
    validatorProcessesPassed: true,
    powerCutPassed: true
  }
  eachFailure(
    clean,
    {
      no_cycles: { cycles: 0 },
      lost_writes: { lostWrites: 1 },
      torn_records: { tornRecords: 2 },
      nonce_collisions: { nonceCollisions: 1 },
      reverted_blocks: { revertedBlocks: 1 },
      startup_failures: { startupFailures: 1 },
      unexpected_answers: { unexpectedAnswers: 3 },
      chain_stalls: { chainStalls: 1 },
      mongo_outage: { mongoPassed: false },
      validator_processes: { validatorProcessesPassed: false },
      power_cut: { powerCutPassed: false }
    },
    faultsVerdict
  )
})

test('power cuts and validator processes: clean passes, each failure named', () => {
  eachFailure(
    { cuts: 30, lostWrites: 0, tornRecords: 0, revertedBlocks: 0, startupFailures: 0, unexpectedAnswers: 0 },
    {
      no_cuts: { cuts: 0 },
      lost_writes: { lostWrites: 1 },
      torn_records: { tornRecords: 1 },
      reverted_blocks: { revertedBlocks: 1 },
      startup_failures: { startupFailures: 1 },
      unexpected_answers: { unexpectedAnswers: 1 }
    },
    powerCutVerdict
  )
  eachFailure(
    { cycles: 8, reverted: 0, stalls: 0, failedCatchUps: 0 },
    { no_cycles: { cycles: 0 }, reverted: { reverted: 1 }, stalls: { stalls: 1 }, failed_catch_ups: { failedCatchUps: 1 } },
    validatorKillVerdict
  )
})

// The outage check's phases on a time line (ms): blackhole 100-200, refuse 300-400, bound 50.
const WINDOWS: PhaseWindow[] = [
  { name: 'baseline', from: 0, to: 50 },
  { name: 'slow', from: 50, to: 100 },
  { name: 'blackhole', from: 100, to: 200 },
  { name: 'heal', from: 200, to: 300 },
  { name: 'refuse', from: 300, to: 400 },
  { name: 'restored', from: 400, to: 500 }
]
const BOUND = 50
const op = (o: Partial<OpRecord> & Pick<OpRecord, 'phase' | 'start' | 'end'>): OpRecord => ({ kind: 'read', ok: true, ...o })
/** Successes outside the outages, and typed failures within the bound during both. */
const CLEAN_OPS: OpRecord[] = [
  op({ phase: 'baseline', start: 10, end: 12 }),
  op({ phase: 'slow', start: 60, end: 90 }),
  op({ phase: 'blackhole', start: 110, end: 140, ok: false, code: 'LUCID_ERR_4005' }),
  op({ phase: 'refuse', start: 310, end: 315, ok: false, code: 'LUCID_ERR_4005' }),
  op({ phase: 'restored', start: 460, end: 470 })
]

test('mongo outage, the operations: clean ones find nothing; each kind of bad operation is counted and described', () => {
  const clean = judgeOps(CLEAN_OPS, WINDOWS, BOUND)
  assert.deepEqual(clean.findings, [])
  assert.equal(clean.failedInOutage, 2)
  assert.deepEqual(clean.errorLatencies, [30, 5])
  assert.equal(clean.codes.get('LUCID_ERR_4005'), 2)
  // An error outside the catalogue.
  const untyped = judgeOps(
    [...CLEAN_OPS, op({ phase: 'blackhole', start: 120, end: 130, ok: false, code: 'untyped: TypeError', message: 'x' })],
    WINDOWS,
    BOUND
  )
  assert.equal(untyped.untyped, 1)
  assert.match(untyped.findings[0]!, /without a catalogue code: untyped: TypeError: x/)
  // A success that started and ended in an outage went around the proxy.
  const bypass = judgeOps([...CLEAN_OPS, op({ phase: 'blackhole', start: 150, end: 160 })], WINDOWS, BOUND)
  assert.equal(bypass.bypass, 1)
  assert.match(bypass.findings[0]!, /traffic went around the proxy/)
  // A failure in the slow phase, far from an outage.
  const slow = judgeOps([...CLEAN_OPS, op({ phase: 'slow', start: 20, end: 40, ok: false, code: 'LUCID_ERR_4005' })], WINDOWS, BOUND)
  assert.equal(slow.slowFailed, 1)
  assert.match(slow.findings[0]!, /failed outside an outage \(started in slow\)/)
  // A failure during an outage later than the bound, timed from the outage's start (not the operation's).
  const late = judgeOps([...CLEAN_OPS, op({ phase: 'slow', start: 60, end: 180, ok: false, code: 'LUCID_ERR_4005' })], WINDOWS, BOUND)
  assert.equal(late.overBound, 1)
  assert.match(late.findings[0]!, /took 80 ms to fail \(bound 50 ms\)/)
  // No failure during the outages: the faults did not reach the driver.
  const none = judgeOps([CLEAN_OPS[0]!, CLEAN_OPS[1]!, CLEAN_OPS[4]!], WINDOWS, BOUND)
  assert.equal(none.failedInOutage, 0)
  assert.deepEqual(none.findings, ['no operation failed during the outages: the faults did not reach the driver'])
  // Latencies of a phase leave out what an outage reached.
  assert.deepEqual(phaseLatencies([...CLEAN_OPS, op({ phase: 'heal', start: 210, end: 220 })], WINDOWS, BOUND, 'heal'), [])
  assert.deepEqual(phaseLatencies(CLEAN_OPS, WINDOWS, BOUND, 'slow'), [30])
})

test('mongo outage, the verdict: clean passes, each failure named', () => {
  const ops = { untyped: 0, bypass: 0, overBound: 0, slowFailed: 0, failedInOutage: 4 }
  const clean = { settled: true, recovered: true, lost: 0, torn: 0, ops }
  eachFailure(
    clean,
    {
      hung_operations: { settled: false },
      not_recovered: { recovered: false },
      acked_lost: { lost: 1 },
      torn: { torn: 1 },
      untyped_errors: { ops: { ...ops, untyped: 1 } },
      bypassed_proxy: { ops: { ...ops, bypass: 1 } },
      errors_over_bound: { ops: { ...ops, overBound: 1 } },
      slow_ops_failed: { ops: { ...ops, slowFailed: 1 } },
      no_outage_failures: { ops: { ...ops, failedInOutage: 0 } }
    },
    outageVerdict
  )
})

test('overload: clean passes without findings; each failure named, with its finding', () => {
  const clean: OverloadObservations = {
    crashes: 0,
    burstS: 60,
    timeScale: 4,
    floodClients: 96,
    probes: 1200,
    failedProbes: 0,
    recovered: true,
    recoveryWindowS: 60,
    lastMix: '120 ms',
    serverErrors: 0,
    withoutCode: 0,
    shed: 10,
    limited: 0,
    examples: []
  }
  assert.deepEqual(overloadVerdict(clean).findings, [])
  eachFailure(
    clean,
    {
      crash: { crashes: 1, recovered: false },
      health_failed: { failedProbes: 3 },
      not_recovered: { recovered: false, lastMix: 'login: HTTP 503' },
      server_errors: { serverErrors: 2, examples: ['server error: POST /auth/login -> 500'] },
      responses_without_code: { withoutCode: 1, examples: ['without code: GET /x -> 404'] },
      nothing_shed: { shed: 0, limited: 0 }
    },
    overloadVerdict
  )
  assert.deepEqual(overloadVerdict({ ...clean, failedProbes: 3 }).findings, ['/health failed 3 of 1200 probes during the burst'])
  assert.deepEqual(overloadVerdict({ ...clean, probes: 0 }).failures, ['health_failed'])
  assert.match(overloadVerdict({ ...clean, crashes: 1, recovered: false }).findings[0]!, /^crash: .*burst 60 s at 4x .*96-client login flood/)
  assert.deepEqual(overloadVerdict({ ...clean, recovered: false, lastMix: 'slow' }).findings, [
    'not recovered 60 s after the burst: the last normal request mix: slow'
  ])
  assert.deepEqual(overloadVerdict({ ...clean, limited: 5, shed: 0 }).passed, true)
  assert.match(overloadVerdict({ ...clean, shed: 0 }).findings[0]!, /^no load was shed/)
})

const VICTIM = { sub: 'user-a', sessions: ['sess-a1', 'sess-a2'] }
const route = (method: string, path: string, secured: boolean): Route => ({ method, path, pathParams: {}, query: {}, consumes: [], secured })
const answer = (status: number, json: unknown = {}): Res => ({ kind: 'answer', status, text: JSON.stringify(json), json, ms: 1, headers: {} })
const hostile = (h: Partial<Hostile>): Hostile => ({
  cls: 'wrong_types',
  req: { method: 'GET', path: '/sessions' },
  principal: { name: 'F', kind: 'valid', sub: 'user-f', roles: ['User'], authorization: 'Bearer f' },
  mustReject: false,
  ...h
})

test('fuzz, each answer: 5xx, 4xx without code, breaches and unexpected accepts are found; shedding, 429 and coded 4xx are not', () => {
  const j = new Judge(VICTIM, 7)
  j.record(hostile({}), answer(400, { error: { code: 'LUCID_ERR_1001', message: 'bad' } }), 0)
  j.record(hostile({}), answer(429, { error: { code: 'LUCID_ERR_3001', message: 'slow down' } }), 1)
  j.record(hostile({}), answer(503, { error: { code: 'LUCID_ERR_3002', message: 'busy' } }), 2)
  j.record(hostile({}), { kind: 'transport', error: 'ECONNRESET', ms: 1 }, 3)
  j.record(hostile({ route: route('GET', '/sessions', true) }), answer(200, { sessions: [] }), 4)
  assert.deepEqual(j.findings, [])
  assert.equal(j.counts.rate_limited, 1)
  assert.equal(j.counts.shed, 1)
  assert.equal(j.counts.transport_errors, 1)

  j.record(hostile({}), answer(500, { error: { code: 'LUCID_ERR_9999', message: 'oops' } }), 5)
  assert.match(j.findings.at(-1)!, /^server error: \[wrong_types, principal F, seed 7 #5\]/)
  j.record(hostile({}), answer(404, { message: 'no code' }), 6)
  assert.match(j.findings.at(-1)!, /^4xx without a LUCID_ERR code/)
  j.record(hostile({ route: route('GET', '/sessions', true), principal: { name: 'forged', kind: 'invalid' } }), answer(200), 7)
  assert.match(j.findings.at(-1)!, /unauthorised success \(a secured route answered credentials that identify nobody\)/)
  j.record(hostile({ route: route('GET', '/admin/users', true) }), answer(200), 8)
  assert.match(j.findings.at(-1)!, /the route needs Admin/)
  j.record(hostile({ victimResource: 'sess-a1', req: { method: 'GET', path: '/sessions/sess-a1' } }), answer(200), 9)
  assert.match(j.findings.at(-1)!, /F reached the victim's session sess-a1/)
  j.record(hostile({ route: route('GET', '/sessions', true) }), answer(200, { sessions: ['sess-a2'] }), 10)
  assert.match(j.findings.at(-1)!, /shows the victim's session ids/)
  j.record(hostile({ mustReject: true }), answer(201), 11)
  assert.match(j.findings.at(-1)!, /^input that cannot be valid was accepted/)
  assert.deepEqual(
    { ...j.counts },
    {
      requests: 12,
      server_errors: 1,
      shed: 1,
      rate_limited: 1,
      responses_without_code: 1,
      unauthorised_successes: 4,
      unexpected_accepts: 1,
      transport_errors: 1,
      accepted: 6,
      rejected: 3
    }
  )
  // The owner and an admin reading are entitled to the victim's session.
  const k = new Judge(VICTIM, 7)
  k.record(hostile({ victimResource: 'sess-a1', principal: { name: 'A', kind: 'valid', sub: 'user-a', roles: ['User'] } }), answer(200), 0)
  k.record(hostile({ victimResource: 'sess-a1', principal: { name: 'admin', kind: 'valid', sub: 'adm', roles: ['Admin'] } }), answer(200), 1)
  assert.deepEqual(k.findings, [])
})

test('fuzz, the verdict: clean passes; each failure named', () => {
  const counts = new Judge(VICTIM, 1).counts
  eachFailure(
    { counts, crashes: 0, integrityViolations: 0 },
    {
      crashes: { crashes: 1 },
      server_errors: { counts: { ...counts, server_errors: 1 } },
      responses_without_code: { counts: { ...counts, responses_without_code: 1 } },
      unauthorised_successes: { counts: { ...counts, unauthorised_successes: 1 } },
      unexpected_accepts: { counts: { ...counts, unexpected_accepts: 1 } },
      integrity_violations: { integrityViolations: 1 }
    },
    fuzzVerdict
  )
  // Shedding, rate limiting and transport errors are counted, not failures.
  assert.equal(fuzzVerdict({ counts: { ...counts, shed: 5, rate_limited: 5, transport_errors: 5 }, crashes: 0, integrityViolations: 0 }).passed, true)
})

test('fuzz, integrity: what changed, vanished or appeared between two snapshots', () => {
  const before = new Map([
    ['/users/me', 'a'],
    ['/sessions/1', 'x']
  ])
  assert.deepEqual(diff('A', before, new Map(before)), [])
  const after = new Map([
    ['/users/me', 'b'],
    ['/sessions/2', 'y']
  ])
  assert.deepEqual(diff('A', before, after), [
    "integrity: A's /users/me changed during the fuzz run: was a, now b",
    "integrity: A's /sessions/1 changed during the fuzz run: was x, now (gone)",
    'integrity: A has /sessions/2 that it did not create'
  ])
})

test('soak: clean passes; a leak, too few samples and too many errors each fail it', () => {
  const flat: LeakVerdict = { fit: undefined, hourlyGrowthRatio: 0, leak: false, reason: 'rss: flat' }
  const leak: LeakVerdict = { fit: undefined, hourlyGrowthRatio: 0.5, leak: true, reason: 'heap_live: LEAK (50 % an hour)' }
  const clean = { verdicts: { rss: flat, heap_live: flat }, samples: 600, errorRatio: 0.01 }
  assert.deepEqual(soakVerdict(clean), { passed: true, failures: [], findings: [] })
  assert.deepEqual(soakVerdict({ ...clean, verdicts: { rss: flat, heap_live: leak } }), {
    passed: false,
    failures: ['leak'],
    findings: ['heap_live: LEAK (50 % an hour)']
  })
  assert.deepEqual(soakVerdict({ ...clean, samples: 2 }), { passed: false, failures: ['too_few_samples'], findings: [] })
  assert.deepEqual(soakVerdict({ ...clean, errorRatio: 0.2 }), {
    passed: false,
    failures: ['error_ratio'],
    findings: ["error ratio 0.200 under moderate traffic (contract users' failures)"]
  })
  assert.equal(soakVerdict({ ...clean, errorRatio: 0.05 }).passed, true)
})
