/**
 * The one rule for the names the chain stores under (a data anchor's label, a session anchor's session id) and
 * for a data anchor's claimed time, shared by the chain's validation and the gateway's input checks so the two
 * can never disagree (issue 23: the gateway counted code points, the chain UTF-16 units, so 100 emoji passed
 * one and failed the other). docs/chain.md, "Transactions", states it for independent checkers.
 *
 * A label is 1..128 **code points** of well-formed Unicode (no lone surrogate), **printable**: none of U+0000..
 * U+001F, U+007F..U+009F (the C0 and C1 controls and DEL), U+2028 and U+2029 (line and paragraph separators,
 * which break lines in logs and JSON-in-JavaScript), and no `/` (so a name cannot forge another state key).
 * Everything else is allowed: the list is fixed ranges, not a Unicode category, so it does not change with
 * the Unicode version a checker's library knows.
 *
 * These are the rules of `anchor_rules` 2; a genesis without the parameter (a chain made before them) keeps
 * rules 1 (rules.ts) so that its archived blocks still replay.
 */

/** Most code points in a label or session id. */
export const MAX_LABEL_CODE_POINTS = 128

/** How far before its transaction's timestamp a data anchor's `submitted_at` may lie (10 minutes). */
export const SUBMITTED_AT_PAST_MS = 10 * 60 * 1000

/** The anchor rules a new genesis gets. */
export const CURRENT_ANCHOR_RULES = 2

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point of this test
const NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029/]/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** What is wrong with `s` as a label or session id under the rule above, or undefined when nothing is. */
export function labelProblem(s: string): string | undefined {
  if (LONE_SURROGATE.test(s)) return 'is not well-formed Unicode (a lone surrogate)'
  let n = 0
  for (const _ of s) n++
  if (n < 1 || n > MAX_LABEL_CODE_POINTS) return `must be 1..${MAX_LABEL_CODE_POINTS} code points, not ${n}`
  if (NOT_PRINTABLE.test(s)) return "holds a control character, U+2028, U+2029 or '/'"
  return undefined
}

/**
 * What is wrong with a data anchor's `submitted_at` (ms) for a transaction stamped `txTimestamp`, or undefined:
 * it must lie within [txTimestamp - 10 min, txTimestamp + max clock skew]. The lower bound is what makes the
 * time a claim the chain vouches for: without it any past time could be anchored as "submitted" now.
 */
export function submittedAtProblem(submittedAt: number, txTimestamp: number, maxClockSkewMs: number): string | undefined {
  if (submittedAt > txTimestamp + maxClockSkewMs) return `submitted_at ${submittedAt} is after the transaction's timestamp ${txTimestamp} plus the clock skew`
  if (submittedAt < txTimestamp - SUBMITTED_AT_PAST_MS)
    return `submitted_at ${submittedAt} is more than ${SUBMITTED_AT_PAST_MS / 60_000} minutes before the transaction's timestamp ${txTimestamp}`
  return undefined
}
