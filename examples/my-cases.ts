/**
 * Your own benchmark cases, run by the same runner as the built-in ones:
 *
 *   npx lucid bench --cases examples/my-cases.ts --profile smoke
 *
 * A hand-written serialiser for one record shape, measured beside JSON.stringify on the same records in the
 * same run (its baseline: the report adds `ops_per_s_vs_json_stringify_x`), judged by its own targets: its
 * output must be JSON.stringify's byte for byte, and it must serialise more than 10,000 records a second.
 * Each case runs in its own child process, which imports this file again and finds the case by its id: so
 * export every case, and keep this file's top level cheap (load heavy modules inside `run`).
 */
import { type CaseContext, type CaseResult, defineCase, target } from 'lucid-perf'

interface Row {
  id: number
  name: string
  tags: string[]
  active: boolean
}

/** Records of the shape the serialiser knows, from the case's seeded generator (the same in both cases). */
function rows(ctx: CaseContext, n: number): Row[] {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'quote"d', 'back\\slash', 'tab\there', 'émigré']
  const pick = (): string => words[ctx.rng.int(0, words.length - 1)] ?? ''
  return Array.from({ length: n }, (_, i) => ({ id: i, name: `${pick()}-${i}`, tags: [pick(), pick()], active: ctx.rng.int(0, 1) === 1 }))
}

/** True when JSON.stringify would write `s` as it is, quoted: no control character, quote, backslash or surrogate. */
function plain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false
  }
  return true
}
// Strings JSON.stringify would escape go through it; the rest are quoted as they are.
const str = (s: string): string => (plain(s) ? `"${s}"` : JSON.stringify(s))

/** The serialiser under test: `JSON.stringify(row)` for a Row, written out by hand. */
export function serialise(r: Row): string {
  let tags = ''
  for (let i = 0; i < r.tags.length; i++) tags += (i > 0 ? ',' : '') + str(r.tags[i] ?? '')
  return `{"id":${r.id},"name":${str(r.name)},"tags":[${tags}],"active":${r.active}}`
}

/** Serialises the records over and over for the profile's time; ops/s and how many outputs differ from JSON.stringify. */
function measure(ctx: CaseContext, fn: (r: Row) => string): CaseResult {
  const data = rows(ctx, 1000)
  const mismatches = data.filter((r) => fn(r) !== JSON.stringify(r)).length
  const seconds = ctx.seconds(2, { smoke: 0.3 })
  const start = performance.now()
  let ops = 0
  let bytes = 0
  while (performance.now() - start < seconds * 1000) {
    for (const r of data) bytes += fn(r).length
    ops += data.length
  }
  const elapsedS = (performance.now() - start) / 1000
  ctx.progress(`${ops} records in ${elapsedS.toFixed(2)} s`)
  return {
    status: 'completed',
    metrics: { ops_per_s: ops / elapsedS, mismatch_count: mismatches, output_bytes: bytes / ops },
    conditions: { records: data.length }
  }
}

/** The baseline: JSON.stringify on the same records. */
export const jsonStringify = defineCase({
  id: 'example.json_stringify',
  description: 'JSON.stringify of 1000 small records (the baseline)',
  run: async (ctx) => measure(ctx, (r) => JSON.stringify(r))
})

/** The case: the hand-written serialiser, divided by the baseline's rate. */
export const handSerialise = defineCase({
  id: 'example.hand_serialise',
  description: 'a hand-written serialiser for one record shape, beside JSON.stringify',
  baselines: [{ id: 'example.json_stringify', metrics: { ops_per_s: 'ops_per_s' } }],
  targets: [
    target('mismatch_count', '<=', 0, "correctness: the output is JSON.stringify's, byte for byte"),
    target('ops_per_s', '>', 10_000, 'our budget: more than 10,000 records a second')
  ],
  goals: [target('ops_per_s_vs_json_stringify_x', '>=', 1, 'worth keeping only if faster than JSON.stringify')],
  timeoutS: { smoke: 60, quick: 120 },
  run: async (ctx) => measure(ctx, serialise)
})
