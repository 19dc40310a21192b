import { test } from 'node:test'
import assert from 'node:assert/strict'
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isLucidError } from '../../services/common/errors.ts'
import { Account, BlockArchive, ManualScheduler, createDevnet, ed25519Signer, type ChainNode } from '../../services/chain/index.ts'
import { chainCommand } from '../../cli/commands/product/chain.ts'

/** A data directory holding a 4-validator devnet's archive, with a data anchor in it. */
async function archivedChain(dir: string): Promise<void> {
  const sched = new ManualScheduler(undefined, 5_000_000)
  const net = createDevnet({ nodes: 4, scheduler: sched, seed: 5 })
  const node = net.nodes[0] as ChainNode
  const archive = await BlockArchive.open(dir, net.genesis)
  node.on({ final: (fin) => archive.append(fin) })
  net.start()
  sched.runUntil(net.genesis.genesis_time + 10_001)
  const acct = new Account(ed25519Signer(new Uint8Array(32).fill(4)))
  node.submit(acct.dataAnchor({ label: 'evidence', data_hash_sha256: 'cd'.repeat(32), submitted_at: sched.clock.now() - 1 }, sched.clock.now()))
  sched.runUntil(net.genesis.genesis_time + 60_000)
  net.stop()
  await archive.flush()
}

/** Runs `lucid chain export` with stdout captured: the exit code or the error's code, and what it printed. */
async function runExport(argv: string[]): Promise<{ code: number | string; out: string }> {
  const write = process.stdout.write
  let out = ''
  process.stdout.write = ((s: string) => {
    out += s
    return true
  }) as typeof process.stdout.write
  try {
    return { code: await chainCommand(['export', ...argv]), out }
  } catch (err) {
    return { code: isLucidError(err) ? err.code : String(err), out }
  } finally {
    process.stdout.write = write
  }
}

async function exists(path: string): Promise<boolean> {
  return await access(path).then(
    () => true,
    () => false
  )
}

type Line = { block: { header: { height: number }; transactions: Array<{ type: string; payload: { label?: string } }> }; certificate: { votes: unknown[] } }

test('chain export --data verifies the archive exactly as --from and lucid serve do; --no-verify dumps it and says so (issue 23, item 3)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-export-verify-'))
  try {
    await archivedChain(dir)
    const log = join(dir, 'chain', 'blocks.jsonl')
    const pristine = await readFile(log, 'utf8')
    const good = await runExport(['--out', join(dir, 'good.json'), '--data', dir])
    assert.equal(good.code, 0)
    assert.match(good.out, /every block, signature and certificate verified/)

    const lines = pristine.trim().split('\n')
    const parsed = lines.map((l) => JSON.parse(l) as Line)
    const withAnchor = parsed.findIndex((f) => f.block.transactions.some((t) => t.type === 'data_anchor'))
    assert.ok(withAnchor >= 0 && lines.length >= 4)
    const forgeries: Array<[string, string, (ls: Line[]) => Line[]]> = [
      [
        'a forged label',
        'LUCID_ERR_5013',
        (ls) => {
          const tx = ls[withAnchor]?.block.transactions.find((t) => t.type === 'data_anchor')
          assert.ok(tx !== undefined)
          tx.payload.label = 'forged'
          return ls
        }
      ],
      [
        'a certificate cut short',
        'LUCID_ERR_5014',
        (ls) => {
          const f = ls[ls.length - 1] as Line
          f.certificate.votes = f.certificate.votes.slice(0, 1)
          return ls
        }
      ],
      ['a missing block', 'LUCID_ERR_5005', (ls) => ls.filter((_, i) => i !== 1)]
    ]
    for (const [what, code, forge] of forgeries) {
      await writeFile(
        log,
        forge(parsed.map((l) => structuredClone(l)))
          .map((l) => JSON.stringify(l))
          .join('\n') + '\n'
      )
      const out = join(dir, `${code}.json`)
      const r = await runExport(['--out', out, '--data', dir])
      assert.equal(r.code, code, what)
      assert.equal(await exists(out), false, `${what}: nothing is written`)
      const raw = await runExport(['--out', out, '--data', dir, '--no-verify'])
      assert.equal(raw.code, 0, `${what} with --no-verify`)
      assert.match(raw.out, /NOT verified: --no-verify/)
      assert.equal(await exists(out), true)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
