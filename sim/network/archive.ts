/**
 * The run's archive of final blocks: each height's block, with its certificate, as JSON text, from the first
 * honest node that finalised it. Node ledgers keep only their latest blocks in memory (a hundred copies of a
 * day of blocks would not fit), so the archive is where the reference chain and the older blocks a sync
 * needs come from, standing for the archive a real node keeps on disk.
 */
import type { FinalBlock, Ledger, SyncSource } from '../../services/chain/index.ts'

/** Final blocks by height, as text. */
export class FinalArchive {
  readonly #text: string[] = []
  readonly #hash: string[] = []

  /** Records `fin` unless its height is already recorded. */
  record(fin: FinalBlock): void {
    const i = fin.block.header.height - 1
    if (this.#text[i] !== undefined) return
    this.#text[i] = JSON.stringify(fin)
    this.#hash[i] = fin.hash
  }

  /** Heights recorded without a gap from 1. */
  get height(): number {
    let h = 0
    while (this.#text[h] !== undefined) h++
    return h
  }

  /** The hash recorded at `height`. */
  hashAt(height: number): string | undefined {
    return this.#hash[height - 1]
  }

  /** Blocks `from..to` (parsed copies), stopping at the first height not recorded. */
  blocks(from: number, to: number): FinalBlock[] {
    const out: FinalBlock[] = []
    for (let h = from; h <= to; h++) {
      const text = this.#text[h - 1]
      if (text === undefined) break
      out.push(JSON.parse(text) as FinalBlock)
    }
    return out
  }

  /**
   * A sync source for `peer`: up to the peer's final height, its own blocks where its ledger still holds
   * them (copied as text, as over a network), the archive's where it has let them go.
   */
  source(peer: Ledger): SyncSource {
    return {
      height: async () => peer.head().height,
      blocks: async (from, to) => {
        const kept = peer.range(from, to)
        const first = kept[0]?.block.header.height ?? to + 1
        const older = first > from ? this.blocks(from, first - 1) : []
        return [...older, ...(JSON.parse(JSON.stringify(kept)) as FinalBlock[])]
      }
    }
  }
}
