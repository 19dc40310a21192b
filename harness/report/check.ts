/**
 * `node --import tsx harness/report/check.ts REPORT.json [--no-errors]`: validates a report against the
 * lucid-bench/1 schema; with --no-errors it also fails when any case errored. CI runs it after the smoke run.
 */
import { readFileSync } from 'node:fs'
import { validateReport, type Report } from './schema.ts'

const [file, flag] = process.argv.slice(2)
if (file === undefined) {
  process.stderr.write('usage: check.ts REPORT.json [--no-errors]\n')
  process.exit(2)
}
let report: unknown
try {
  report = JSON.parse(readFileSync(file, 'utf8'))
} catch (err) {
  process.stderr.write(`${file}: ${(err as Error).message}\n`)
  process.exit(1)
}
const problems = validateReport(report)
if (problems.length > 0) {
  process.stderr.write(`${file}: malformed report:\n${problems.map((p) => `  ${p}`).join('\n')}\n`)
  process.exit(1)
}
const r = report as Report
const errored = r.results.filter((e) => e.verdict === 'error')
process.stdout.write(`${file}: well-formed, ${r.results.length} cases (${errored.length} errored)\n`)
if (flag === '--no-errors' && errored.length > 0) {
  for (const e of errored) process.stderr.write(`  ${e.id}: ${e.reason ?? 'a target could not be judged'}\n`)
  process.exit(1)
}
