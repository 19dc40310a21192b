/**
 * Output flags checked before any work starts (minutes of benchmarking should not end in an unwritable path):
 * shared by the commands that write reports (bench, chaos, load, sim).
 */
import { accessSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { errors } from '../services/common/errors.ts'
import { renderHtml, type HtmlOptions } from '../harness/report/html.ts'
import { loadSections } from '../load/report/html.ts'
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

/** Fails early (before minutes of benchmarking) when an output file cannot be written (`-` is stdout: always). */
export function assertWritable(path: string, flag: string): void {
  if (path === STDOUT) return
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

/** `--json -`: the JSON goes to stdout, and everything else the command prints to stderr. */
export const STDOUT = '-'

/** Where a command's human output goes: its tables and notes, and its live progress. */
export interface Human {
  /** Tables, summaries, "report: FILE" lines: stdout, stderr with `--json -`, nowhere with `--quiet`. */
  say(text: string): void
  /** Live progress: stderr, or nowhere with `--quiet`. */
  readonly progress: NodeJS.WriteStream | undefined
}

/** The human output of a command given its `--json` and `--quiet` flags. */
export function humanOutput(flags: { readonly json?: string | undefined; readonly quiet?: boolean | undefined }): Human {
  if (flags.quiet === true) return { say: () => {}, progress: undefined }
  const stream = flags.json === STDOUT ? process.stderr : process.stdout
  return { say: (text) => void stream.write(text), progress: process.stderr }
}

/** Writes a JSON document to FILE, or to stdout when FILE is `-`. */
export function writeJson(path: string, doc: unknown): void {
  const text = `${JSON.stringify(doc, null, 2)}\n`
  if (path === STDOUT) process.stdout.write(text)
  else writeFileSync(path, text)
}

/** Writes a judged report where `--json` and `--html` ask (paths checked earlier), saying where. */
export function writeReportFiles(
  report: Report,
  out: { readonly json?: string | undefined; readonly html?: string | undefined },
  human: Human = humanOutput(out),
  page: HtmlOptions = { extra: loadSections }
): void {
  if (out.json !== undefined) {
    writeJson(out.json, report)
    if (out.json !== STDOUT) human.say(`report: ${out.json}\n`)
  }
  if (out.html !== undefined) {
    writeFileSync(out.html, renderHtml(report, page))
    human.say(`html: ${out.html}\n`)
  }
}
