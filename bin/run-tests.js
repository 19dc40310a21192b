#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test. Node 20's `--test` takes no globs, so the files are
// listed here. Extra arguments are passed to node (e.g. --test-name-pattern).
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

function find(dir) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...find(p))
    else if (name.endsWith('.test.ts')) out.push(p)
  }
  return out
}

const files = find('test')
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...process.argv.slice(2), ...files], { stdio: 'inherit' })
process.exit(r.status ?? 1)
