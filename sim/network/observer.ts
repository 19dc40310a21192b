/**
 * What the simulator records while it runs: every honest node's finalisations (with the virtual time each
 * happened), the blocks seen at each height, and the hard safety check: two different blocks final at one
 * height, on any two honest nodes, is a violation, recorded with both hashes.
 */
import type { Block, FinalBlock } from '../../services/chain/index.ts'

/** Two honest nodes finalised different blocks at one height. */
export interface SafetyViolation {
  readonly height: number
  readonly hashes: readonly [string, string]
  /** Node indices: the first to finalise the first hash, and the node that finalised the second. */
  readonly nodes: readonly [number, number]
  /** Virtual ms after genesis. */
  readonly atMs: number
}

/** Raw records of one run. */
export class Observer {
  /** Proposal (block timestamp) to finality at a node, ms, one per (block, live honest node). */
  readonly finalityMs: number[] = []
  readonly violations: SafetyViolation[] = []
  /** Distinct blocks that were valid candidates at each height on some honest node. */
  readonly #seen = new Map<number, Set<string>>()
  readonly #final = new Map<number, { hash: string; node: number }>()

  constructor(readonly genesisTime: number) {}

  /** Node `node` finalised `fin` at `atMs` (its clock); `live` false for blocks that arrived by sync. */
  final(node: number, fin: FinalBlock, atMs: number, live: boolean): void {
    const height = fin.block.header.height
    const first = this.#final.get(height)
    if (first === undefined) this.#final.set(height, { hash: fin.hash, node })
    else if (first.hash !== fin.hash) {
      this.violations.push({ height, hashes: [first.hash, fin.hash], nodes: [first.node, node], atMs: atMs - this.genesisTime })
    }
    if (live) this.finalityMs.push(atMs - fin.block.header.timestamp)
  }

  /** An honest node accepted `block` as a valid candidate. */
  candidate(block: Block, hash: string): void {
    const h = block.header.height
    let set = this.#seen.get(h)
    if (set === undefined) {
      set = new Set()
      this.#seen.set(h, set)
    }
    set.add(hash)
  }

  /**
   * Forks and orphans up to `height`: a fork is a height at which honest nodes saw more than one valid block,
   * an orphan a valid block that did not become final.
   */
  forks(height: number): { forks: number; orphans: number } {
    let forks = 0
    let orphans = 0
    for (const [h, set] of this.#seen) {
      if (h > height) continue
      if (set.size > 1) forks++
      orphans += set.size - (this.#final.has(h) && set.has((this.#final.get(h) as { hash: string }).hash) ? 1 : 0)
    }
    return { forks, orphans }
  }
}
