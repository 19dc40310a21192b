/**
 * `lucid chain export --out FILE (--data DIR | --from URL) [--no-verify]`: writes the chain's export document
 * (docs/chain.md, "Export"), from the block archive in a data directory, or from a running gateway
 * (`lucid serve`) over HTTP. Both give the same document for the same final blocks: `--from` pages through
 * GET /chain/export, which serves the chain's objects as they are hashed, up to the final height the first
 * page reports. Either way every block, signature and certificate is verified (the chain replayed from
 * genesis, the same replay and codes as `lucid serve` resuming) before anything is written: a gateway is a
 * peer like any other, and a data directory is only files anyone may have edited. `--no-verify` writes the
 * raw dump unchecked, and says so.
 */
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { errors } from '../../../services/common/errors.ts'
import { chainExport, genesisHash, readArchive, replayLedgers, type FinalBlock, type Genesis } from '../../../services/chain/index.ts'

const USAGE = 'lucid chain export --out FILE (--data DIR | --from URL) [--no-verify]'

/** `lucid chain --help`. */
const HELP = `lucid chain export --out FILE (--data DIR | --from URL) [--no-verify]

Writes the chain's export document (docs/chain.md, "Export"), every block, signature and certificate verified
(the chain replayed from genesis) before anything is written.
  --out FILE     where the document goes
  --data DIR     a data directory of 'lucid serve --data DIR' or 'lucid node' (its chain is DIR/chain)
  --from URL     a running gateway, paged through GET /chain/export
  --no-verify    write the raw dump unchecked (and say so)
Exit codes: 0 written, 2 usage error, 3 a chain that cannot be read or fails verification (its LUCID_ERR_5xxx code).`

interface Flags {
  out?: string
  data?: string
  from?: string
  /** Write without replaying the chain (a raw dump). */
  noVerify?: boolean
}

/** One page of GET /chain/export (services/gateway/chain-port.ts, ExportPage). */
interface Page {
  readonly schema: string
  readonly genesis: Genesis
  readonly genesis_hash: string
  readonly finalized_height: number
  readonly blocks: FinalBlock[]
}

function parseFlags(args: readonly string[]): Flags {
  const flags: Flags = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (a === '--no-verify') {
      flags.noVerify = true
      continue
    }
    const eq = a.indexOf('=')
    const name = eq >= 0 ? a.slice(0, eq) : a
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i]
    if (name !== '--out' && name !== '--data' && name !== '--from') throw new errors.Usage(`unknown option ${a}: ${USAGE}`)
    if (value === undefined || value === '' || value.startsWith('--'))
      throw new errors.BadValue(`${name}: ${name === '--from' ? 'a URL' : name === '--out' ? 'a file' : 'a directory'}`)
    flags[name.slice(2) as 'out' | 'data' | 'from'] = value
  }
  return flags
}

/** GETs one export page; LUCID_ERR_5004 when the gateway cannot be reached or answers an error. */
async function getPage(url: URL): Promise<Page> {
  let res: Response
  try {
    res = await fetch(url)
  } catch (err) {
    throw new errors.ChainUnavailable(`${url.href}: ${(err as Error).message}`)
  }
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error
    throw new errors.ChainUnavailable(`${url.href} answered ${res.status}${e !== undefined ? ` ${String(e.code)}: ${String(e.message)}` : ''}`)
  }
  const page = body as Page | undefined
  // Version 1 pages (a gateway from before the voting rounds) hold only round-less certificates, which are still read.
  if ((page?.schema !== 'lucid-chain-export-page/2' && page?.schema !== 'lucid-chain-export-page/1') || !Array.isArray(page.blocks))
    throw new errors.SyncFailed(`${url.href} is not a chain export page`)
  return page
}

/**
 * The genesis and final blocks of the gateway at `base`, up to the final height of the first page, each
 * block at its height. Throws LUCID_ERR_5017 when the gateway serves something else than it promised.
 */
export async function fetchChain(base: string): Promise<{ genesis: Genesis; blocks: FinalBlock[] }> {
  const root = base.endsWith('/') ? base : `${base}/`
  const blocks: FinalBlock[] = []
  let first: Page | undefined
  for (let from = 1; first === undefined || from <= first.finalized_height; ) {
    const page = await getPage(new URL(`chain/export?from=${from}`, root))
    if (first === undefined) {
      first = page
      if (genesisHash(page.genesis) !== page.genesis_hash) throw new errors.SyncFailed('the genesis does not hash to the genesis_hash served')
    } else if (page.genesis_hash !== first.genesis_hash) {
      throw new errors.SyncFailed("the gateway's chain changed during the export")
    }
    if (from <= first.finalized_height && page.blocks.length === 0)
      throw new errors.SyncFailed(`no block at height ${from}, below the final height ${first.finalized_height}`)
    for (const f of page.blocks) {
      if (from > first.finalized_height) break
      if (f?.block?.header?.height !== from) throw new errors.SyncFailed(`asked for height ${from}, got ${String(f?.block?.header?.height)}`)
      blocks.push(f)
      from++
    }
  }
  return { genesis: (first as Page).genesis, blocks }
}

/** Runs `lucid chain ...` with the arguments after `chain`; returns the exit code. Bad usage throws 9001/9003. */
export async function chainCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === '--help' || sub === '-h' || sub === 'help' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${HELP}\n`)
    return 0
  }
  if (sub !== 'export') throw new errors.Usage(`lucid chain export ... (got '${sub ?? ''}'; lucid chain --help)`)
  const flags = parseFlags(rest)
  if (flags.out === undefined) throw new errors.Usage(`export needs --out FILE: ${USAGE}`)
  if ((flags.data === undefined) === (flags.from === undefined)) throw new errors.Usage(`give exactly one of --data DIR and --from URL: ${USAGE}`)
  let source: string
  let chain: { genesis: Genesis; blocks: FinalBlock[] }
  if (flags.from !== undefined) {
    let url: URL
    try {
      url = new URL(flags.from)
    } catch {
      throw new errors.BadValue(`--from: a URL, not ${flags.from}`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new errors.BadValue(`--from: an http(s) URL, not ${flags.from}`)
    chain = await fetchChain(url.href)
    source = url.href
  } else {
    chain = await readArchive(resolve(flags.data as string))
    source = resolve(flags.data as string)
  }
  if (flags.noVerify === true) {
    source += ' (NOT verified: --no-verify, a raw dump)'
  } else {
    // Every block as a live node would validate it, every signature and certificate: throws the first failure.
    replayLedgers(chain.genesis, chain.blocks, 1)
    source += ' (every block, signature and certificate verified)'
  }
  const out = resolve(flags.out)
  try {
    await writeFile(out, JSON.stringify(chainExport(chain.genesis, chain.blocks)) + '\n')
  } catch (err) {
    throw new errors.CannotWrite(`${out}: ${(err as Error).message}`)
  }
  process.stdout.write(`exported ${chain.blocks.length} blocks of ${chain.genesis.chain_id} from ${source} to ${out}\n`)
  return 0
}
