/**
 * The `lucid` command: dispatches to a subcommand and turns every error into one line and an exit code
 * (docs/interfaces.md section 1: 2 usage or setup error, a held database directory included, 3 a run crashed). No stack traces unless LUCID_DEBUG=1.
 */
import { LucidError, errors, isLucidError } from '../services/common/errors.ts'
import { parseErrorMessage } from './args.ts'

const USAGE = `lucid: performance reference and benchmarks of the Lucid RDP core

Usage:
  lucid bench [COMPONENT|CASE-GLOB ...] [--profile smoke|quick|full] [--repeat R] [--json F] [--html F]
              [--hgrm DIR] [--targets-file F] [--host URL] [--pin-server CPUS] [--pin-load CPUS]
              [--find-max --p99 MS] [--strict] [--quiet] [--list]
  lucid compare --base REF [COMPONENT|CASE-GLOB ...] [--budget 5m] [--min-effect 5%] [--profile P] [--json F]
  lucid compare OLD.json NEW.json [--min-effect 5%] [--all]
  lucid serve [--port 8080] [--host 127.0.0.1] [--data DIR] [--db level|mongodb] [--validators N]
              [--seed-demo] [--load-test] [--chain MULTIADDR]
  lucid node --key FILE [--data DIR] [--genesis FILE] [--listen MULTIADDR ...] [--peer MULTIADDR ...] [--config FILE]
  lucid devnet [--nodes 4] [--data DIR] [--slot-ms MS] [--verbose]
  lucid load --scenario light|medium|heavy|stress [--host URL] [-u/--users N] [-r/--spawn-rate R]
             [-t/--run-time D] [--time-scale N] [--workers W] [--arrival-rate R] [--json F] [--html F] [--csv PREFIX]
             [--targets-file F] [--engine lucid|locust] [--remote-workers M --master-port P] [--quiet]
  lucid merge A.json B.json ... [--json F] [--html F]
  lucid profile doctor|flame|bubbleprof|heapprofiler [--scenario NAME] [--duration D] [--server gateway|raw]
  lucid chaos --suite fuzz|overload|faults|soak|all [--duration D] [--full] [--host URL] [--seed N] [--json F]
  lucid sim chain --nodes N --duration D [--latency L] [--loss P] [--partition SPEC] [--crash SPEC]
                  [--byzantine K] [--behaviour equivocate|invalid] [--tx-rate R] [--seed S] [--json F]
  lucid sim chain --profile quick|full [--seeds N] [--scenario TEXT] [--threads T] [--json F]
  lucid session record --frames N --out DIR [--chunk-size S] [--codec zlib|pako] [--keep-plaintext] [--anchor URL]
  lucid session play DIR --out FILE [--anchor URL|EXPORT_FILE]
  lucid chain export --out FILE (--data DIR | --from URL) [--no-verify]
  lucid db seed --docs N [--data DIR] | lucid db stats [--data DIR]
  lucid help [COMMAND]

Every command takes --help ('lucid COMMAND --help', or 'lucid help COMMAND'); 'lucid bench --list' lists the cases.
--json - writes the JSON report to stdout (everything else goes to stderr); --quiet prints only errors.
Exit codes: 0 success, 1 a target missed (bench), a significant regression (compare) or a recording that
fails verification (session play), 2 usage or setup error, 3 a benchmark crashed.`

type Command = (argv: string[]) => Promise<number>

/** Lazily loaded subcommands, so `lucid --help` does not load the benchmark machinery. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  bench: async () => (await import('./commands/bench/bench.ts')).benchCommand,
  compare: async () => (await import('./commands/bench/compare.ts')).compareCommand,
  chain: async () => (await import('./commands/product/chain.ts')).chainCommand,
  chaos: async () => (await import('./commands/bench/chaos.ts')).chaosCommand,
  sim: async () => (await import('./commands/bench/sim.ts')).simCommand,
  devnet: async () => (await import('./commands/product/devnet.ts')).devnetCommand,
  node: async () => (await import('./commands/product/node.ts')).nodeCommand,
  db: async () => (await import('./commands/product/db.ts')).dbCommand,
  load: async () => (await import('./commands/bench/load.ts')).loadCommand,
  merge: async () => (await import('./commands/bench/merge.ts')).mergeCommand,
  profile: async () => (await import('./commands/bench/profile.ts')).profileCommand,
  serve: async () => (await import('./commands/product/serve.ts')).serveCommand,
  session: async () => (await import('./commands/product/session.ts')).sessionCommand
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  try {
    if (cmd === undefined) {
      process.stderr.write(`${USAGE}\n`)
      return 2
    }
    if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
      if (rest[0] !== undefined && rest[0] in COMMANDS) return await (await COMMANDS[rest[0]]!())(['--help'])
      process.stdout.write(`${USAGE}\n`)
      return 0
    }
    const load = COMMANDS[cmd]
    if (load === undefined) {
      throw new errors.Usage(`unknown command '${cmd}' (try lucid --help)`)
    }
    return await (await load())(rest)
  } catch (err) {
    return reportError(err)
  }
}

/** Prints one line for an error and picks the exit code. */
function reportError(err: unknown): number {
  if (process.env.LUCID_DEBUG === '1') console.error(err)
  if (err instanceof LucidError) {
    process.stderr.write(`lucid: ${err.message} [${err.code}]\n`)
    // A directory another process holds is a setup error (stop the holder, or use another --data), not a crash.
    return err.statusCode === 2 || isLucidError(err, 'LUCID_ERR_4007') ? 2 : 3
  }
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`lucid: Usage: ${parseErrorMessage(err as Error & { code: string }, process.argv[2] ?? '')} [LUCID_ERR_9001]\n`)
    return 2
  }
  process.stderr.write(`lucid: ${err instanceof Error ? err.message : String(err)} (set LUCID_DEBUG=1 for the stack)\n`)
  return 3
}
