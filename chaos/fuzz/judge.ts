/**
 * The fuzz suite's judging (index.ts drives the run), as pure code: each answer judged against the request
 * that caused it (Judge.record), the integrity comparison of snapshots (diff), and the suite's verdict over
 * what was counted (fuzzVerdict). Unit-tested in test/chaos/verdicts.test.ts.
 */
import { hasRole } from '../../services/gateway/auth/roles.ts'
import { type Verdict, verdictOf } from '../verdict.ts'
import { CLASSES, roleNeeded, type Hostile, type HostileClass } from './input.ts'
import { SHEDDING_CODES, describeReq, describeRes, errorCodeOf, type Res } from '../gateway.ts'

/** Findings of one kind kept in full; the rest are counted. */
const MAX_FINDINGS_PER_KIND = 10

/** Tallies and findings of a run: judges each answer as it comes. */
export class Judge {
  readonly perClass = new Map<HostileClass, number>(CLASSES.map((c) => [c, 0]))
  readonly counts = {
    requests: 0,
    server_errors: 0,
    shed: 0,
    rate_limited: 0,
    responses_without_code: 0,
    unauthorised_successes: 0,
    unexpected_accepts: 0,
    transport_errors: 0,
    accepted: 0,
    rejected: 0
  }
  readonly findings: string[] = []
  readonly #perKind = new Map<string, number>()

  constructor(
    private readonly victim: { sub: string; sessions: string[] },
    private readonly seed: number
  ) {}

  #find(kind: string, text: string): void {
    const n = (this.#perKind.get(kind) ?? 0) + 1
    this.#perKind.set(kind, n)
    if (n <= MAX_FINDINGS_PER_KIND) this.findings.push(text)
  }

  /** Judges one answer. */
  record(h: Hostile, r: Res, index: number): void {
    this.counts.requests++
    this.perClass.set(h.cls, (this.perClass.get(h.cls) ?? 0) + 1)
    const repro = `[${h.cls}, principal ${h.principal.name}, seed ${this.seed} #${index}] ${describeReq(h.req)} -> ${describeRes(r)}`
    if (r.kind === 'transport') {
      // The server closing the connection on an oversize body or header is allowed HTTP; whether it
      // survived is checked separately (process alive, /health).
      this.counts.transport_errors++
      return
    }
    const code = errorCodeOf(r.json)
    if (r.status >= 500) {
      if (r.status === 503 && code !== undefined && SHEDDING_CODES.has(code)) {
        this.counts.shed++
        return
      }
      this.counts.server_errors++
      this.#find('5xx', `server error: ${repro}`)
      return
    }
    if (r.status >= 400) {
      this.counts.rejected++
      if (r.status === 429) this.counts.rate_limited++
      if (code === undefined) {
        this.counts.responses_without_code++
        this.#find(`nocode ${r.status}`, `4xx without a LUCID_ERR code: ${repro}`)
      }
      return
    }
    this.counts.accepted++
    const breach = this.#breach(h, r)
    if (breach !== undefined) {
      this.counts.unauthorised_successes++
      this.#find(`breach ${h.cls}`, `unauthorised success (${breach}): ${repro}`)
    } else if (h.mustReject && r.status < 300) {
      this.counts.unexpected_accepts++
      this.#find(`accept ${h.cls}`, `input that cannot be valid was accepted: ${repro}`)
    }
  }

  /** Why a 2xx was a breach, or undefined when the caller was entitled to it. */
  #breach(h: Hostile, r: Res & { kind: 'answer' }): string | undefined {
    const p = h.principal
    const isVictim = p.kind === 'valid' && p.sub === this.victim.sub
    const admin = p.kind === 'valid' && hasRole(p.roles ?? [], 'Admin')
    if (h.route?.secured === true && p.kind !== 'valid') return 'a secured route answered credentials that identify nobody'
    const needed = h.route !== undefined ? roleNeeded(h.route) : undefined
    if (needed !== undefined && !hasRole(p.roles ?? [], needed)) return `the route needs ${needed}`
    if (h.victimResource !== undefined && !isVictim && !(admin && h.req.method === 'GET')) return `${p.name} reached the victim's session ${h.victimResource}`
    // Public routes are public by design: the chain's blocks list every session anchor, ids included.
    if (h.route?.secured === true && !isVictim && !admin && this.victim.sessions.some((id) => r.text.includes(id)))
      return "the answer shows the victim's session ids"
    return undefined
  }
}

/** What differs between two snapshots, one line per item. */
export function diff(who: string, before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = []
  for (const [k, v] of before) {
    const w = after.get(k)
    if (w !== v) out.push(`integrity: ${who}'s ${k} changed during the fuzz run: was ${v.slice(0, 200)}, now ${(w ?? '(gone)').slice(0, 200)}`)
  }
  for (const k of after.keys()) if (!before.has(k)) out.push(`integrity: ${who} has ${k} that it did not create`)
  return out
}

/** What a fuzz run counted, beside the per-answer tallies. */
export interface FuzzObservations {
  readonly counts: Judge['counts']
  /** Times the gateway process exited or stopped answering /health. */
  readonly crashes: number
  /** Lines of the integrity check (diff): A's or B's data changed, roles escalated. */
  readonly integrityViolations: number
}

/** Why the fuzz suite failed. */
export type FuzzFailure = 'crashes' | 'server_errors' | 'responses_without_code' | 'unauthorised_successes' | 'unexpected_accepts' | 'integrity_violations'

/**
 * The fuzz suite's verdict: no crash, no 5xx but the intended shedding, every 4xx with a catalogue code, no
 * unauthorised success, no input that cannot be valid accepted, and nothing of A or B changed. (Each of
 * these is also a finding; transport errors, shedding and rate limiting are counted, not failures.)
 */
export function fuzzVerdict(o: FuzzObservations): Verdict<FuzzFailure> {
  return verdictOf<FuzzFailure>({
    crashes: o.crashes > 0,
    server_errors: o.counts.server_errors > 0,
    responses_without_code: o.counts.responses_without_code > 0,
    unauthorised_successes: o.counts.unauthorised_successes > 0,
    unexpected_accepts: o.counts.unexpected_accepts > 0,
    integrity_violations: o.integrityViolations > 0
  })
}
