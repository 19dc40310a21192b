/**
 * `lucid chain export --out FILE (--data DIR | --from URL)`: writes the chain's export document
 * (docs/chain.md, "Export") from the block archive in a data directory. `--from URL` reads a running
 * gateway's chain, which needs the gateway (issue 8): until then it answers LUCID_ERR_9009.
 */
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { errors } from '../../services/common/errors.ts'
import { chainExport, readArchive } from '../../services/chain/index.ts'

const USAGE = 'lucid chain export --out FILE (--data DIR | --from URL)'

interface Flags { out?: string, data?: string, from?: string }

function parseFlags (args: readonly string[]): Flags {
  const flags: Flags = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    const eq = a.indexOf('=')
    const name = eq >= 0 ? a.slice(0, eq) : a
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i]
    if (name !== '--out' && name !== '--data' && name !== '--from') throw new errors.LUCID_ERR_9001(`unknown option ${a}: ${USAGE}`)
    if (value === undefined || value === '' || value.startsWith('--')) throw new errors.LUCID_ERR_9003(`${name}: ${name === '--from' ? 'a URL' : name === '--out' ? 'a file' : 'a directory'}`)
    flags[name.slice(2) as keyof Flags] = value
  }
  return flags
}

/** Runs `lucid chain ...` with the arguments after `chain`; returns the exit code. Bad usage throws 9001/9003. */
export async function chainCommand (argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'export') throw new errors.LUCID_ERR_9001(USAGE)
  const flags = parseFlags(rest)
  if (flags.out === undefined) throw new errors.LUCID_ERR_9001(`export needs --out FILE: ${USAGE}`)
  if ((flags.data === undefined) === (flags.from === undefined)) throw new errors.LUCID_ERR_9001(`give exactly one of --data DIR and --from URL: ${USAGE}`)
  if (flags.from !== undefined) {
    try { new URL(flags.from) } catch { throw new errors.LUCID_ERR_9003(`--from: a URL, not ${flags.from}`) }
    throw new errors.LUCID_ERR_9009('chain export --from needs the gateway (issue 8); use --data DIR')
  }
  const { genesis, blocks } = await readArchive(resolve(flags.data as string))
  const out = resolve(flags.out)
  try {
    await writeFile(out, JSON.stringify(chainExport(genesis, blocks)) + '\n')
  } catch (err) {
    throw new errors.LUCID_ERR_9004(`${out}: ${(err as Error).message}`)
  }
  process.stdout.write(`exported ${blocks.length} blocks of ${genesis.chain_id} to ${out}\n`)
  return 0
}
