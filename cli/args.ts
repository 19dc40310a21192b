/**
 * Flag parsing shared by every command: Node's parseArgs with its messages made the CLI's own (one line, the
 * command's --help named, exit 2) and the renamed flags refused with their new names (issue 21: `--target` and
 * `--targets` differed by one letter; they are now `--host` as Locust names it and `--targets-file`).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { errors } from '../services/common/errors.ts'

/** Flags renamed in issue 21 (the pair differed by one letter). */
const RENAMED: ReadonlySet<string> = new Set(['--target', '--targets'])

/** Throws LUCID_ERR_9001 when `argv` uses a renamed flag, naming the new ones. */
export function refuseRenamed(argv: readonly string[], command: string): void {
  for (const a of argv) {
    if (a === '--') return
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a
    if (RENAMED.has(name))
      throw new errors.Usage(
        `${name} was renamed: --target URL is now --host URL (the system under test, Locust's name) and --targets FILE is now --targets-file FILE (lucid ${command} --help)`
      )
  }
}

/** The CLI's one-line form of a parseArgs error (Node's suggests quoting with '--', which confuses more than it helps). */
export function parseErrorMessage(err: Error & { code?: string }, command: string): string {
  const help = `lucid ${command} --help lists the options`
  const quoted = /'([^']*)'/.exec(err.message)?.[1]
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${quoted ?? err.message}' (${help})`
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted ?? err.message}' (${help})`
    default: {
      // ERR_PARSE_ARGS_INVALID_OPTION_VALUE: "Option '-u, --users <value>' argument missing" / "... does not take an argument".
      const first = err.message.split('. ')[0] ?? err.message
      return `${first.charAt(0).toLowerCase()}${first.slice(1)} (${help})`
    }
  }
}

/**
 * parseArgs over `argv` for `lucid <command>`: refuses the renamed flags and turns Node's parse errors into
 * LUCID_ERR_9001 with a clear message.
 */
export function parseFlags<T extends Omit<ParseArgsConfig, 'args'>>(
  argv: readonly string[],
  command: string,
  config: T
): ReturnType<typeof parseArgs<T & { args: string[] }>> {
  refuseRenamed(argv, command)
  try {
    return parseArgs({ ...config, args: [...argv] })
  } catch (err) {
    const e = err as Error & { code?: string }
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) throw new errors.Usage(parseErrorMessage(e, command), { cause: err })
    throw err
  }
}

/** The origin of `--host URL` (http or https). */
export function hostUrl(v: string): string {
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw new errors.BadValue(`--host: '${v}' is not a URL`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new errors.BadValue(`--host: '${v}' (http or https only)`)
  return u.origin
}
