/**
 * The layering of README.md's "Layout" section, checked over every import of every .ts/.js file in the tree:
 * static `import ... from`, side-effect `import '...'`, `export ... from` and dynamic `import('...')` with a
 * literal (type-only imports count too: a type still ties one folder to another). Each top-level folder may
 * import only the folders its README row names; a file in a folder the table does not know is a violation
 * too, so a new folder is placed in the layout before it is used. The table in the README is parsed and
 * compared with LAYOUT below, so the two cannot drift apart.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Top-level folder -> the folders its files may import (its own always included). */
export const LAYOUT: Readonly<Record<string, readonly string[]>> = {
  bin: ['cli'],
  cli: ['harness', 'cases', 'load', 'chaos', 'sim', 'services'],
  harness: ['services'],
  cases: ['harness', 'load', 'sim', 'services', 'testing'],
  load: ['harness', 'sim', 'services'],
  chaos: ['harness', 'load', 'sim', 'services', 'testing'],
  sim: ['services'],
  services: [],
  testing: ['services'],
  tools: ['services'],
  examples: [],
  test: ['cli', 'harness', 'cases', 'load', 'chaos', 'sim', 'services', 'testing', 'tools']
}

/** Finer rules inside services/: the common core imports no other service, and only the gateway is the top. */
const SERVICE_RULES: ReadonlyArray<{ from: RegExp; to: RegExp; rule: string }> = [
  { from: /^services\/common\//, to: /^services\/(?!common\/)/, rule: 'services/common imports no other service' },
  { from: /^services\/(?!gateway\/)/, to: /^services\/gateway\//, rule: 'no service imports services/gateway (the top of the services)' }
]

/** An import found in a source file. */
export interface ImportRef {
  readonly specifier: string
  /** 1-based line of the specifier. */
  readonly line: number
}

/** A forbidden edge. */
export interface Violation {
  readonly file: string
  readonly line: number
  readonly specifier: string
  /** The imported file, relative to the root. */
  readonly target: string
  readonly rule: string
}

const REGEX_BEFORE = new Set(['', '(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^'])

/**
 * The source with the text of comments, quoted strings, template literals and regular expressions blanked
 * (so an import written inside one is not taken for a real one). Every character keeps its offset, so a
 * string found in the result is read back from the source at the same place.
 */
export function codeOnly(src: string): string {
  const out: string[] = []
  let i = 0
  let last = '' // the last significant code character, to tell a regex from a division
  let lastWord = ''
  const blank = (s: string): string => s.replace(/[^\n]/g, ' ')
  const templates: number[] = [] // brace depth at each open `${`
  let depth = 0
  while (i < src.length) {
    const c = src[i] as string
    const n = src[i + 1]
    if (c === '/' && n === '/') {
      const end = src.indexOf('\n', i)
      const j = end === -1 ? src.length : end
      out.push(blank(src.slice(i, j)))
      i = j
      continue
    }
    if (c === '/' && n === '*') {
      const end = src.indexOf('*/', i + 2)
      const j = end === -1 ? src.length : end + 2
      out.push(blank(src.slice(i, j)))
      i = j
      continue
    }
    if (c === "'" || c === '"') {
      let j = i + 1
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1
      out.push(`${c}${blank(src.slice(i + 1, j))}${src[j] === c ? c : ''}`)
      i = j + 1
      last = c
      lastWord = ''
      continue
    }
    if (c === '`' || (c === '}' && templates.length > 0 && templates[templates.length - 1] === depth)) {
      if (c === '}') {
        templates.pop()
        depth--
      }
      let j = i + 1
      while (j < src.length && src[j] !== '`' && !(src[j] === '$' && src[j + 1] === '{')) j += src[j] === '\\' ? 2 : 1
      if (src[j] === '$') {
        depth++
        templates.push(depth)
        out.push(`${c}${blank(src.slice(i + 1, j))}\${`)
        i = j + 2
        last = '{'
        continue
      }
      out.push(`${c}${blank(src.slice(i + 1, j))}\``)
      i = j + 1
      last = '`'
      lastWord = ''
      continue
    }
    if (c === '/' && (REGEX_BEFORE.has(last) || /^(return|typeof|case|in|of|void|yield|await)$/.test(lastWord))) {
      let j = i + 1
      let inClass = false
      while (j < src.length && src[j] !== '\n' && (inClass || src[j] !== '/')) {
        if (src[j] === '\\') j++
        else if (src[j] === '[') inClass = true
        else if (src[j] === ']') inClass = false
        j++
      }
      out.push(`/${blank(src.slice(i + 1, j))}/`)
      i = j + 1
      last = '/'
      lastWord = ''
      continue
    }
    if (c === '{') depth++
    if (c === '}') depth--
    if (/\S/.test(c)) {
      if (/[\w$]/.test(c)) lastWord = /[\w$]/.test(last) ? lastWord + c : c
      else lastWord = ''
      last = c
    }
    out.push(c)
    i++
  }
  return out.join('')
}

/** Every import of a source file: static, side-effect, re-export and dynamic with a literal. */
export function importsOf(src: string): ImportRef[] {
  const code = codeOnly(src)
  const refs: ImportRef[] = []
  const lineAt = (index: number): number => code.slice(0, index).split('\n').length
  const patterns = [
    /(?:^|[;}\n])\s*(?:import|export)\b[^'";]*?\bfrom\s*(['"])([^'"\n]*)\1/dg,
    /(?:^|[;}\n])\s*import\s*(['"])([^'"\n]*)\1/dg,
    /(?<![\w$.])import\s*\(\s*(['"])([^'"\n]*)\1\s*[,)]/dg
  ]
  for (const re of patterns) {
    for (const m of code.matchAll(re)) {
      const [start, end] = m.indices?.[2] ?? [0, 0]
      refs.push({ specifier: src.slice(start, end), line: lineAt(start) })
    }
  }
  return refs.sort((a, b) => a.line - b.line)
}

/** The violations of LAYOUT in a set of files (path relative to the root, posix separators -> source). */
export function checkLayout(files: ReadonlyMap<string, string>, layout: Readonly<Record<string, readonly string[]>> = LAYOUT): Violation[] {
  const violations: Violation[] = []
  for (const [file, src] of files) {
    const area = file.split('/')[0] as string
    const allowed = layout[area]
    if (allowed === undefined) {
      violations.push({ file, line: 1, specifier: '', target: '', rule: `${area}/ is not in the layout (README.md, "Layout")` })
      continue
    }
    for (const ref of importsOf(src)) {
      if (!ref.specifier.startsWith('.')) continue // node: built-ins and packages
      const target = posix.normalize(posix.join(posix.dirname(file), ref.specifier))
      const to = target.split('/')[0] as string
      const v = { file, line: ref.line, specifier: ref.specifier, target }
      if (target.startsWith('../')) violations.push({ ...v, rule: 'imports from outside the repository' })
      else if (to !== area && !allowed.includes(to)) violations.push({ ...v, rule: `${area}/ may not import ${to}/` })
      else for (const r of SERVICE_RULES) if (r.from.test(file) && r.to.test(target)) violations.push({ ...v, rule: r.rule })
    }
  }
  return violations
}

const SKIP = new Set(['node_modules', 'dist', 'reports', 'tmp'])

/** Every .ts/.js file of the tree, relative to the root, without node_modules, dot-folders and run outputs. */
export function treeFiles(root: string, dir = ''): Map<string, string> {
  const files = new Map<string, string>()
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = dir === '' ? e.name : `${dir}/${e.name}`
    if (e.isDirectory()) {
      if (!SKIP.has(e.name) && !e.name.startsWith('.')) for (const [k, v] of treeFiles(root, rel)) files.set(k, v)
    } else if (/\.(ts|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) {
      files.set(rel, readFileSync(join(root, rel), 'utf8'))
    }
  }
  return files
}

/** The README's layout table: folder -> the folders its "may import" column names. */
function readmeLayout(): Map<string, string[]> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('\n## Layout'), readme.indexOf('\n## ', readme.indexOf('\n## Layout') + 1))
  const rows = new Map<string, string[]>()
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim())
    const folder = /^`([a-z]+)\/`$/.exec(cells[1] ?? '')?.[1]
    if (folder === undefined) continue
    rows.set(
      folder,
      [...(cells[3] ?? '').matchAll(/`([a-z]+)\/`/g)].map((m) => m[1] as string)
    )
  }
  return rows
}

describe('architecture', () => {
  it('every import of the tree keeps to the layout', () => {
    const files = treeFiles(ROOT)
    assert.ok(files.size > 300, `found only ${files.size} files`)
    const violations = checkLayout(files)
    assert.deepEqual(
      violations.map((v) => `${v.file}:${v.line} imports ${v.specifier}: ${v.rule}`),
      []
    )
  })

  it('the README layout table names every folder and the same edges', () => {
    const table = readmeLayout()
    assert.deepEqual([...table.keys()].sort(), Object.keys(LAYOUT).sort())
    for (const [folder, allowed] of Object.entries(LAYOUT)) assert.deepEqual(table.get(folder)?.sort(), [...allowed].sort(), `README row of ${folder}/`)
  })

  it('every folder of the tree with code is in the layout', () => {
    const areas = new Set([...treeFiles(ROOT).keys()].map((f) => f.split('/')[0] as string))
    for (const a of areas) assert.ok(a in LAYOUT, `${a}/`)
  })

  it('reports a forbidden import: static, re-export, side-effect, dynamic, type-only', () => {
    const files = new Map([
      ['services/gateway/routes/health.ts', "import { HEALTH_BODY } from '../../../cases/baseline/http-server.ts'\n"],
      ['cases/chain/sim.ts', "import type { X } from '../../harness/case.ts'\nimport {\n  simConditions\n} from '../../cli/commands/bench/sim.ts'\n"],
      ['chaos/fuzz/index.ts', "export { main } from '../../cli/main.ts'\n"],
      ['sim/network/x.ts', "const m = await import('../../harness/runner.ts')\n"],
      ['harness/y.ts', "import '../load/pin.ts'\n"],
      ['services/common/z.ts', "import type { Database } from '../db/index.ts'\n"],
      ['services/db/w.ts', "import { x } from '../gateway/index.ts'\n"],
      ['scratch/a.ts', '']
    ])
    const found = checkLayout(files).map((v) => `${v.file}:${v.line} -> ${v.target}: ${v.rule}`)
    assert.deepEqual(found, [
      'services/gateway/routes/health.ts:1 -> cases/baseline/http-server.ts: services/ may not import cases/',
      'cases/chain/sim.ts:4 -> cli/commands/bench/sim.ts: cases/ may not import cli/',
      'chaos/fuzz/index.ts:1 -> cli/main.ts: chaos/ may not import cli/',
      'sim/network/x.ts:1 -> harness/runner.ts: sim/ may not import harness/',
      'harness/y.ts:1 -> load/pin.ts: harness/ may not import load/',
      'services/common/z.ts:1 -> services/db/index.ts: services/common imports no other service',
      'services/db/w.ts:1 -> services/gateway/index.ts: no service imports services/gateway (the top of the services)',
      'scratch/a.ts:1 -> : scratch/ is not in the layout (README.md, "Layout")'
    ])
  })

  it('allows the edges of the layout', () => {
    const files = new Map([
      ['cli/commands/bench/sim.ts', "import { simConditions } from '../../../sim/conditions.ts'\nimport { x } from 'node:fs'\n"],
      ['test/harness/a.test.ts', "import { simCommand } from '../../cli/commands/bench/sim.ts'\n"],
      ['bin/lucid.js', "const { main } = await import('../cli/main.ts')\n"]
    ])
    assert.deepEqual(checkLayout(files), [])
  })

  it('ignores imports in comments, template literals and regular expressions', () => {
    const src = [
      "// import { a } from '../cli/main.ts'",
      "/* export * from '../cli/main.ts' */",
      "const t = `\nimport { b } from '../cli/main.ts'\n`",
      "const r = /import\\('x'\\)/",
      'const s = \'import("../cli/main.ts")\'',
      "import { real } from './real.ts'",
      "const d = await import('./dyn.ts')",
      'const q = a / b / c',
      "export * from './re.ts'"
    ].join('\n')
    assert.deepEqual(importsOf(src), [
      { specifier: './real.ts', line: 8 },
      { specifier: './dyn.ts', line: 9 },
      { specifier: './re.ts', line: 11 }
    ])
  })
})
