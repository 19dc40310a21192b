/**
 * The textual specs of `lucid sim chain` (docs/sim.md, "Specs"), parsed into the simulator's options. Every
 * bad spec throws LUCID_ERR_9003 naming the flag, so the CLI prints one line and exits 2.
 *
 *   TIME     = NUMBER UNIT [NUMBER UNIT ...], UNIT one of ms s m h d      30m, 1h30m, 0.5s
 *   LATENCY  = TIME | TIME-TIME (uniform) | TIME~TIME (normal: mean~sd)  50ms, 20ms-80ms, 50ms~10ms
 *   NODES    = INDEX[-INDEX][,INDEX[-INDEX]...]                          0-10,16-57
 *   PARTITION= FROM-TO:NODES|NODES[|NODES...][;PARTITION...]            30m-45m:0-49|50-99
 *   CRASH    = FROM-TO:NODES[;CRASH...]                                 2h-2h30m:3,17
 *
 * Times count from genesis. Nodes are numbered by their rank in the first epoch, so 0..K-1 are the finality
 * committee. In a partition the nodes no group names form one more group together.
 */
import { errors } from '../../services/common/errors.ts'
import type { Latency } from './links.ts'

/** A partition: from `fromMs` to `toMs` after genesis, messages cross no group boundary. */
export interface PartitionWindow {
  readonly fromMs: number
  readonly toMs: number
  /** Node indices per group; nodes in none form one more group. */
  readonly groups: ReadonlyArray<readonly number[]>
}

/** A crash: the nodes stop at `fromMs` and restart at `toMs` (after genesis). */
export interface CrashWindow {
  readonly fromMs: number
  readonly toMs: number
  readonly nodes: readonly number[]
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Milliseconds of a TIME (`30m`, `1h30m`, `0.5s`); throws LUCID_ERR_9003 naming `flag`. */
export function parseTime(text: string, flag: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new errors.BadValue(`${flag}: '${text}' (a time like 50ms, 30m or 1h30m)`)
  return parts.reduce((ms, p) => ms + Number(p[1]) * (UNIT_MS[p[2] as string] as number), 0)
}

/** A LATENCY: constant, uniform (`20ms-80ms`) or normal (`50ms~10ms`). */
export function parseLatency(text: string, flag = '--latency'): Latency {
  const uniform = /^([^-~]+)-([^-~]+)$/.exec(text)
  if (uniform !== null) {
    const minMs = parseTime(uniform[1] as string, flag)
    const maxMs = parseTime(uniform[2] as string, flag)
    if (maxMs < minMs) throw new errors.BadValue(`${flag}: '${text}' (the lower bound comes first)`)
    return { kind: 'uniform', minMs, maxMs }
  }
  const normal = /^([^-~]+)~([^-~]+)$/.exec(text)
  if (normal !== null) return { kind: 'normal', meanMs: parseTime(normal[1] as string, flag), sdMs: parseTime(normal[2] as string, flag) }
  return { kind: 'constant', ms: parseTime(text, flag) }
}

/** A loss probability: `1%` or `0.01`, in [0, 1). */
export function parseLoss(text: string, flag = '--loss'): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text)
  const p = m === null ? NaN : Number(m[1]) / (m[2] === '%' ? 100 : 1)
  if (!(p >= 0 && p < 1)) throw new errors.BadValue(`${flag}: '${text}' (a probability like 1% or 0.01, below 1)`)
  return p
}

/** NODES: indices and inclusive ranges, `0-10,16`; each below `nodes`. */
export function parseNodes(text: string, nodes: number, flag: string): number[] {
  const out: number[] = []
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part)
    if (m === null) throw new errors.BadValue(`${flag}: '${part}' (node indices like 0-10,16)`)
    const a = Number(m[1])
    const b = m[2] === undefined ? a : Number(m[2])
    if (b < a || b >= nodes) throw new errors.BadValue(`${flag}: '${part}' (indices from 0 to ${nodes - 1}, the lower first)`)
    for (let i = a; i <= b; i++) out.push(i)
  }
  return out
}

/** FROM-TO:REST, FROM before TO. */
function window(text: string, flag: string): { fromMs: number; toMs: number; rest: string } {
  const m = /^([0-9.a-z]+)-([0-9.a-z]+):(.+)$/.exec(text)
  if (m === null) throw new errors.BadValue(`${flag}: '${text}' (FROM-TO:NODES..., e.g. 30m-45m:0-49|50-99)`)
  const fromMs = parseTime(m[1] as string, flag)
  const toMs = parseTime(m[2] as string, flag)
  if (toMs <= fromMs) throw new errors.BadValue(`${flag}: '${text}' (the window must end after it starts)`)
  return { fromMs, toMs, rest: m[3] as string }
}

/** PARTITION windows for a network of `nodes`. */
export function parsePartitions(text: string, nodes: number, flag = '--partition'): PartitionWindow[] {
  return text.split(';').map((w) => {
    const { fromMs, toMs, rest } = window(w, flag)
    const groups = rest.split('|').map((g) => parseNodes(g, nodes, flag))
    const seen = new Set<number>()
    for (const i of groups.flat()) {
      if (seen.has(i)) throw new errors.BadValue(`${flag}: node ${i} is in two groups of '${w}'`)
      seen.add(i)
    }
    if (groups.length < 2 && seen.size === nodes) throw new errors.BadValue(`${flag}: '${w}' names one group holding every node (nothing is cut)`)
    return { fromMs, toMs, groups }
  })
}

/** CRASH windows for a network of `nodes`. */
export function parseCrashes(text: string, nodes: number, flag = '--crash'): CrashWindow[] {
  return text.split(';').map((w) => {
    const { fromMs, toMs, rest } = window(w, flag)
    return { fromMs, toMs, nodes: parseNodes(rest, nodes, flag) }
  })
}
