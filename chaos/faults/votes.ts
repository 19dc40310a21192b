/**
 * The faults suite's voting moments: watches the validators' consensus records (`DATA/chain/consensus/<genesis
 * hash>/<node>.json`, docs/chain.md "What is durable when") and the archive (`DATA/chain/blocks.jsonl`) of a
 * running `lucid serve` from outside, and returns the moment a record shows one of:
 *
 * - `vote`: a validator has recorded a vote (prevote or precommit) at a height above the archived one, the
 *   window between a vote record and the archive write of its height;
 * - `prevote`: a validator has recorded its prevote of a round and not yet its precommit of that round, the
 *   window between prevote and precommit.
 *
 * The caller kills the server at once. These windows are milliseconds long on loopback, so the watch polls the
 * small record files in a tight loop; when no record shows the state within `giveUpMs`, it returns false and the
 * kill lands mid-slot anyway (counted apart, so a report says how many kills hit their window).
 */
import { readdir, readFile, stat, open } from 'node:fs/promises'
import { join } from 'node:path'

/** The voting moments. */
export type VoteMoment = 'vote' | 'prevote'

interface Record {
  height?: number
  prevote?: { round: number }
  precommit?: { round: number }
}

/** Counts the lines of the archive incrementally (it only grows while the server runs). */
class ArchiveHeight {
  #offset = 0
  #lines = 0
  constructor(readonly file: string) {}
  async read(): Promise<number> {
    const size = await stat(this.file).then(
      (s) => s.size,
      () => 0
    )
    if (size < this.#offset) {
      this.#offset = 0
      this.#lines = 0
    }
    if (size === this.#offset) return this.#lines
    const fh = await open(this.file, 'r')
    try {
      const buf = Buffer.alloc(size - this.#offset)
      await fh.read(buf, 0, buf.length, this.#offset)
      for (const b of buf) if (b === 0x0a) this.#lines++
      this.#offset = size
    } finally {
      await fh.close()
    }
    return this.#lines
  }
}

/** True when a record is in the window of `moment`, given the archived height. */
export function inWindow(moment: VoteMoment, r: Record, archived: number): boolean {
  if (typeof r.height !== 'number') return false
  if (moment === 'vote') return r.height > archived + 1 || (r.height === archived + 1 && (r.prevote !== undefined || r.precommit !== undefined))
  return r.prevote !== undefined && (r.precommit === undefined || r.precommit.round < r.prevote.round)
}

/** Resolves true at the first moment a record is in the window of `moment`, false after `giveUpMs`. */
export async function untilVoteMoment(dataDir: string, moment: VoteMoment, giveUpMs: number): Promise<boolean> {
  const chain = join(dataDir, 'chain')
  const archive = new ArchiveHeight(join(chain, 'blocks.jsonl'))
  const giveUp = Date.now() + giveUpMs
  const files: string[] = []
  while (Date.now() < giveUp) {
    if (files.length === 0) {
      const dirs = await readdir(join(chain, 'consensus')).catch(() => [] as string[])
      for (const d of dirs)
        files.push(
          ...(await readdir(join(chain, 'consensus', d)).catch(() => [] as string[]))
            .filter((f) => f.endsWith('.json'))
            .map((f) => join(chain, 'consensus', d, f))
        )
    }
    const archived = await archive.read()
    for (const f of files) {
      let r: Record
      try {
        r = JSON.parse(await readFile(f, 'utf8')) as Record
      } catch {
        continue
      }
      if (inWindow(moment, r, archived)) return true
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
  return false
}
