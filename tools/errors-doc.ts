/**
 * Writes docs/errors.md from the catalogue (services/common/errors.ts), so the documentation can never
 * drift from the codes: `node --import tsx tools/errors-doc.ts`. A test checks every code is listed.
 */
import { writeFileSync } from 'node:fs'
import { errors } from '../services/common/errors.ts'

const RANGES: Array<[string, string]> = [
  ['1', 'Gateway input and auth'],
  ['2', 'Session pipeline'],
  ['3', 'Rate limiting and load shedding'],
  ['4', 'Database'],
  ['5', 'Chain'],
  ['9', 'CLI and benchmark harness (the "status" is the exit code)']
]

const lines = [
  '# Error codes',
  '',
  'Every typed error and every HTTP error body (`{"error": {"code", "message"}}`) carries one of these codes.',
  'A code is never reused once retired. Generated from `services/common/errors.ts` by',
  '`node --import tsx tools/errors-doc.ts`; the message column is the template (`%s` is filled in). In code an',
  'error is thrown by its name, which keeps its code: `throw new errors.TransactionReplayed(detail, { cause })`.',
  ''
]
for (const [digit, title] of RANGES) {
  lines.push(`## ${digit}xxx: ${title}`, '', '| code | name | status | message |', '|---|---|---|---|')
  for (const E of Object.values(errors)) {
    if (E.code.charAt(10) !== digit) continue
    const message = (new E() as Error).message.replace(/\|/g, '\\|')
    lines.push(`| \`${E.code}\` | \`${E.errorName}\` | ${E.statusCode} | ${message} |`)
  }
  lines.push('')
}
writeFileSync(new URL('../docs/errors.md', import.meta.url), lines.join('\n'))
