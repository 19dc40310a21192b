/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for the /metrics tests: it throws on
 * anything a Prometheus server would reject or that the format forbids (a malformed name, label or value,
 * HELP or TYPE given twice or after the family's samples, a sample of an undeclared family, a series given
 * twice, histogram buckets that shrink or whose +Inf bucket is not the count), so a test that parses
 * /metrics proves it is valid, not just that some substrings appear.
 *
 * And the other direction: the metric names a PromQL expression reads, for checking that the dashboard and
 * the alert rules name only what /metrics exports.
 */

/** One sample line. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** A metric family: its TYPE, HELP and samples (histogram families own their _bucket/_sum/_count lines). */
export interface Family {
  readonly name: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  help: string
  readonly samples: Sample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

function parseValue(s: string, line: string): number {
  if (s === '+Inf') return Infinity
  if (s === '-Inf') return -Infinity
  // Prometheus reads values with Go's ParseFloat, which takes NaN in any case; prom-client prints `Nan`
  // for a gauge computed from an empty histogram (event-loop lag before its first sample).
  if (/^nan$/i.test(s)) return NaN
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`bad value ${JSON.stringify(s)} in: ${line}`)
  return Number(s)
}

/** Reads `{a="x",b="y"}` starting at `i` (at the brace); returns the labels and the index after `}`. */
function parseLabels(line: string, i: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {}
  i++
  while (line[i] !== '}') {
    const eq = line.indexOf('=', i)
    if (eq < 0) throw new Error(`bad labels in: ${line}`)
    const name = line.slice(i, eq)
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${JSON.stringify(name)} in: ${line}`)
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`)
    if (line[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`)
    let j = eq + 2
    let value = ''
    for (;;) {
      const c = line[j]
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`)
      if (c === '"') break
      if (c === '\\') {
        const n = line[j + 1]
        if (n === 'n') value += '\n'
        else if (n === '\\' || n === '"') value += n
        else throw new Error(`bad escape \\${String(n)} in: ${line}`)
        j += 2
      } else {
        value += c
        j++
      }
    }
    labels[name] = value
    i = j + 1
    if (line[i] === ',') i++
    else if (line[i] !== '}') throw new Error(`expected , or } after label ${name} in: ${line}`)
  }
  return { labels, end: i + 1 }
}

/** The family a sample name belongs to, given the declared families. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name)
  if (direct !== undefined) return direct
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue
    const f = families.get(name.slice(0, -suffix.length))
    if (f !== undefined && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f
  }
  return undefined
}

/** Parses an exposition strictly; returns its families by name. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline')
  const families = new Map<string, Family>()
  const seenSeries = new Set<string>()
  const sampled = new Set<string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
      if (m === null) continue // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string]
      if (!NAME.test(name)) throw new Error(`bad metric name in: ${line}`)
      if (sampled.has(name)) throw new Error(`${kind} of ${name} after its samples`)
      const f = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] }
      families.set(name, f)
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`bad type in: ${line}`)
        if (f.type !== 'untyped') throw new Error(`TYPE of ${name} twice`)
        f.type = rest as Family['type']
      } else {
        if (f.help !== '') throw new Error(`HELP of ${name} twice`)
        f.help = rest
      }
      continue
    }
    const nameEnd = line.search(/[{ ]/)
    if (nameEnd <= 0) throw new Error(`bad sample line: ${line}`)
    const name = line.slice(0, nameEnd)
    if (!NAME.test(name)) throw new Error(`bad metric name in: ${line}`)
    let labels: Record<string, string> = {}
    let i = nameEnd
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i))
    if (line[i] !== ' ') throw new Error(`expected a space before the value in: ${line}`)
    const parts = line.slice(i + 1).split(' ')
    if (parts.length < 1 || parts.length > 2) throw new Error(`bad value/timestamp in: ${line}`)
    const value = parseValue(parts[0] as string, line)
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`bad timestamp in: ${line}`)
    const family = familyOf(name, families)
    if (family === undefined) throw new Error(`sample of undeclared family: ${line}`)
    const key = `${name}{${Object.entries(labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`
    if (seenSeries.has(key)) throw new Error(`series twice: ${key}`)
    seenSeries.add(key)
    sampled.add(family.name)
    family.samples.push({ name, labels, value })
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f)
  return families
}

/** Buckets never shrink with `le`, and the +Inf bucket equals _count, series by series. */
function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>()
  for (const s of f.samples) {
    const { le, ...rest } = s.labels
    const key = JSON.stringify(Object.entries(rest).sort())
    const e = series.get(key) ?? { buckets: [] }
    series.set(key, e)
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}_bucket without le`)
      e.buckets.push([parseValue(le, s.name), s.value])
    } else if (s.name === `${f.name}_count`) e.count = s.value
    else if (s.name === `${f.name}_sum`) e.sum = s.value
  }
  for (const [key, e] of series) {
    const sorted = [...e.buckets].sort((a, b) => a[0] - b[0])
    if (sorted.at(-1)?.[0] !== Infinity) throw new Error(`${f.name} ${key}: no +Inf bucket`)
    for (let i = 1; i < sorted.length; i++)
      if ((sorted[i] as [number, number])[1] < (sorted[i - 1] as [number, number])[1]) throw new Error(`${f.name} ${key}: buckets shrink`)
    if (e.count !== (sorted.at(-1) as [number, number])[1]) throw new Error(`${f.name} ${key}: +Inf bucket is not _count`)
    if (e.sum === undefined) throw new Error(`${f.name} ${key}: no _sum`)
  }
}

/** The value of the one sample of `name` whose labels include `labels`; throws unless exactly one matches. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const all = [...families.values()].flatMap((f) => f.samples)
  const hits = all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (hits.length !== 1) throw new Error(`${hits.length} samples of ${name} ${JSON.stringify(labels)}`)
  return (hits[0] as Sample).value
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan'])

/**
 * The metric names a PromQL expression selects: identifiers left once strings, label matchers, groupings,
 * ranges, numbers, functions (a name before `(`) and keywords are taken out. Histogram series names
 * (`x_bucket`) are returned as written.
 */
export function promqlMetricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
  const out = new Set<string>()
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0]
    const after = s.slice((m.index ?? 0) + word.length).trimStart()
    if (after.startsWith('(')) continue
    if (PROMQL_WORDS.has(word.toLowerCase())) continue
    // A number's exponent (`1e3`) or a duration's unit never starts an identifier here: they follow digits.
    const before = s[(m.index ?? 0) - 1]
    if (before !== undefined && /[0-9.]/.test(before)) continue
    out.add(word)
  }
  return [...out]
}
