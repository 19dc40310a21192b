#!/usr/bin/env node
// `npm run build` (and `prepare`, which npm runs after `npm ci` and `npm install` in this checkout): compiles the
// public API (harness/api.ts, the package entry `lucid-perf`) into dist/ as JavaScript and .d.ts with
// tsconfig.build.json. TypeScript is a devDependency: with `--if-available` (prepare) an install without dev
// dependencies (`npm ci --omit=dev`) skips the build with a note rather than failing the install; the `lucid`
// command runs from source either way, only `import ... from 'lucid-perf'` from another project needs dist/.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
let tsc
try {
  tsc = join(dirname(createRequire(join(root, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc')
} catch {
  if (process.argv.includes('--if-available')) {
    process.stderr.write('lucid-perf: TypeScript is not installed (dev dependencies omitted): dist/ not built; the lucid command runs from source\n')
    process.exit(0)
  }
  process.stderr.write('lucid-perf: cannot build: TypeScript is not installed (npm ci, with dev dependencies)\n')
  process.exit(2)
}
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root })
process.exit(r.status ?? 1)
