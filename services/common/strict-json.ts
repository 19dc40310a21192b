/**
 * A strict JSON reader for documents that are evidence (a recording's manifest): RFC 8259 JSON with two more
 * rules, because `JSON.parse` silently resolves both and an independent checker in another language may resolve
 * them differently (what one program verifies must be what the other reads):
 *
 * - **no duplicate key** in any object (`JSON.parse` keeps the last value, other parsers the first);
 * - **integers only**: a number is `-?(0|[1-9][0-9]*)` within the safe-integer range, no fraction and no
 *   exponent (`43.0` and `4.3e1` are refused: they parse to the integer 43 in JavaScript but not in Python).
 *
 * Anything else throws a SyntaxError saying what and where; callers turn it into their own catalogue code.
 */

/** Parses `text` under the strict rules above; SyntaxError otherwise. */
export function parseStrictJson(text: string): unknown {
  const p = new Reader(text)
  p.space()
  const v = p.value(0)
  p.space()
  if (p.pos !== text.length) p.fail('text after the JSON value')
  return v
}

/** Deeper nesting than this is refused (a manifest is three levels deep). */
const MAX_DEPTH = 64

class Reader {
  pos = 0
  constructor(readonly text: string) {}

  fail(why: string): never {
    throw new SyntaxError(`${why} at offset ${this.pos}`)
  }

  space(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos] as string)) this.pos++
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail('nested too deep')
    const c = this.text[this.pos]
    if (c === '{') return this.object(depth)
    if (c === '[') return this.array(depth)
    if (c === '"') return this.string()
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number()
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null]
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length
        return v
      }
    }
    return this.fail('unexpected character')
  }

  object(depth: number): Record<string, unknown> {
    this.pos++
    // A null-prototype object: a key "__proto__" is a plain key, not a prototype change.
    const out = Object.create(null) as Record<string, unknown>
    this.space()
    if (this.text[this.pos] === '}') {
      this.pos++
      return { ...out }
    }
    for (;;) {
      this.space()
      if (this.text[this.pos] !== '"') this.fail('expected a key')
      const key = this.string()
      if (Object.hasOwn(out, key)) this.fail(`duplicate key ${JSON.stringify(key)}`)
      this.space()
      if (this.text[this.pos] !== ':') this.fail("expected ':'")
      this.pos++
      this.space()
      out[key] = this.value(depth + 1)
      this.space()
      const c = this.text[this.pos++]
      if (c === '}') return { ...out }
      if (c !== ',') this.fail("expected ',' or '}'")
    }
  }

  array(depth: number): unknown[] {
    this.pos++
    const out: unknown[] = []
    this.space()
    if (this.text[this.pos] === ']') {
      this.pos++
      return out
    }
    for (;;) {
      this.space()
      out.push(this.value(depth + 1))
      this.space()
      const c = this.text[this.pos++]
      if (c === ']') return out
      if (c !== ',') this.fail("expected ',' or ']'")
    }
  }

  string(): string {
    // From the opening quote to the closing one, escapes included; JSON.parse decodes the escapes.
    const start = this.pos++
    for (;;) {
      const c = this.text[this.pos]
      if (c === undefined) this.fail('unterminated string')
      if (c === '"') break
      if (c === '\\') this.pos++
      else if (c < ' ') this.fail('control character in a string')
      this.pos++
    }
    this.pos++
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string
    } catch {
      return this.fail('bad escape in a string')
    }
  }

  number(): number {
    const m = /^-?(0|[1-9][0-9]*)/.exec(this.text.slice(this.pos, this.pos + 32))
    if (m === null) this.fail('bad number')
    this.pos += m[0].length
    const next = this.text[this.pos]
    if (next === '.' || next === 'e' || next === 'E') this.fail('a number with a fraction or exponent (integers only)')
    const n = Number(m[0])
    if (!Number.isSafeInteger(n)) this.fail('an integer beyond 2^53 - 1')
    return n
  }
}
