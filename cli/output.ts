/**
 * Output flags checked before any work starts (minutes of benchmarking should not end in an unwritable path):
 * shared by the commands that write reports (bench, chaos, load, sim).
 */
import { accessSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { errors } from '../services/common/errors.ts'
import { renderHtml } from '../harness/report/html.ts'
import type { Report } from '../harness/report/schema.ts'

/** Fails early when an output directory cannot be created or written. */
export function assertWritableDir(path: string, flag: string): void {
  try {
    mkdirSync(path, { recursive: true })
    accessSync(path, constants.W_OK)
    if (!statSync(path).isDirectory()) throw new Error('not a directory')
  } catch (err) {
    throw new errors.CannotWrite(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

/** Fails early (before minutes of benchmarking) when an output file cannot be written. */
export function assertWritable(path: string, flag: string): void {
  const abs = resolve(path)
  const dir = dirname(abs)
  try {
    if (existsSync(abs)) {
      if (statSync(abs).isDirectory()) throw new Error('is a directory')
      accessSync(abs, constants.W_OK)
    } else {
      if (!existsSync(dir)) throw new Error(`directory ${dir} does not exist`)
      accessSync(dir, constants.W_OK)
    }
  } catch (err) {
    throw new errors.CannotWrite(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

/** Writes a judged report where `--json` and `--html` ask (paths checked earlier), saying where on stdout. */
export function writeReportFiles(report: Report, out: { readonly json?: string | undefined; readonly html?: string | undefined }): void {
  if (out.json !== undefined) {
    writeFileSync(out.json, `${JSON.stringify(report, null, 2)}\n`)
    process.stdout.write(`report: ${out.json}\n`)
  }
  if (out.html !== undefined) {
    writeFileSync(out.html, renderHtml(report))
    process.stdout.write(`html: ${out.html}\n`)
  }
}
