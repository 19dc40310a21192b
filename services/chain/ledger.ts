/**
 * The final chain of one node: its blocks, the certificate of each, and the state after them. Only final
 * blocks enter it, in order; nothing ever leaves it, which is what "a finalised block is never reverted"
 * means in code.
 */
import { errors } from '../common/errors.ts'
import { memoShared } from '../common/frozen.ts'
import { ChainState, lineageAfter, type Head, type StateDelta } from './state.ts'
import type { ValidBlock } from './validate.ts'
import type { Block, Certificate, Genesis } from './types.ts'
import { checkParams } from './params.ts'

/** A final block with its certificate. */
export interface FinalBlock {
  readonly block: Block
  readonly hash: string
  readonly certificate: Certificate
}

/** Something told about every block that becomes final (an archive, a benchmark probe). */
export type FinalListener = (fin: FinalBlock) => void

/** The final chain. */
export class Ledger {
  readonly state: ChainState
  readonly #blocks: FinalBlock[] = []
  readonly #listeners: FinalListener[] = []
  /** Blocks dropped from memory (heights 1..#dropped), with `retainBlocks`. */
  #dropped = 0
  readonly #retain: number

  /**
   * An empty chain from genesis.
   * @param opts.retainBlocks keep only about this many of the latest blocks in memory (at least this many; at
   *   most twice): the simulator's hundred nodes cannot each hold a day of blocks, and have an archive. The
   *   state is complete either way; `at` and `range` answer only for the blocks kept. Default: all.
   */
  constructor(
    readonly genesis: Genesis,
    opts: { readonly retainBlocks?: number } = {}
  ) {
    if (genesis.validators.length === 0) throw new errors.InvalidBlock('genesis names no validator')
    checkParams(genesis.params)
    this.state = new ChainState(genesis)
    this.#retain = Math.max(1, opts.retainBlocks ?? Infinity)
  }

  /** The last final block (height 0 = genesis). */
  head(): Head {
    return this.state.head()
  }

  /** The final block at `height` (1-based), or undefined (beyond the head, or dropped with `retainBlocks`). */
  at(height: number): FinalBlock | undefined {
    return height > this.#dropped ? this.#blocks[height - 1 - this.#dropped] : undefined
  }

  /** Final blocks `from..to` inclusive, clipped to the chain (and to the blocks kept). */
  range(from: number, to: number): FinalBlock[] {
    return this.#blocks.slice(Math.max(0, from - 1 - this.#dropped), Math.max(0, to - this.#dropped))
  }

  /** Calls `fn` for every block that becomes final from now on. */
  onFinal(fn: FinalListener): void {
    this.#listeners.push(fn)
  }

  /**
   * Appends a validated block with its certificate (which the caller has checked). The block must have been
   * validated against the current head: its delta is relative to this state.
   */
  append(valid: ValidBlock, certificate: Certificate): FinalBlock {
    const head = this.head()
    if (valid.block.header.height !== head.height + 1 || valid.block.header.previous_hash !== head.hash || valid.delta.base !== this.state) {
      throw new errors.NotOnFinalChain(`block ${valid.hash} was validated against another head`)
    }
    if (certificate.block_hash !== valid.hash || certificate.height !== valid.block.header.height)
      throw new errors.InvalidCertificate('certificate of another block')
    this.state.commit(valid.delta, lineageAfter(this.state.lineage, stateStep(valid.block, valid.hash)))
    const fin: FinalBlock = { block: valid.block, hash: valid.hash, certificate }
    this.#push(fin)
    return fin
  }

  /**
   * Appends a run of blocks validated one after another into `delta` (sync), whose signatures and
   * certificates the caller has verified. `delta` must rest on this state.
   */
  appendVerified(blocks: readonly FinalBlock[], delta: StateDelta): void {
    const first = blocks[0]
    if (first === undefined) return
    const head = this.head()
    if (first.block.header.previous_hash !== head.hash || delta.root !== this.state)
      throw new errors.NotOnFinalChain('a synced batch must continue the final head')
    let lineage = this.state.lineage
    for (const fin of blocks) lineage = lineageAfter(lineage, stateStep(fin.block, fin.hash))
    this.state.commit(delta, lineage)
    for (const fin of blocks) this.#push(fin)
  }

  #push(fin: FinalBlock): void {
    this.#blocks.push(fin)
    // Dropped in bulk (amortised O(1) per block) once twice the retained number is held.
    if (this.#blocks.length >= 2 * this.#retain) {
      const drop = this.#blocks.length - this.#retain
      this.#blocks.splice(0, drop)
      this.#dropped += drop
    }
    for (const fn of this.#listeners) fn(fin)
  }
}

/**
 * What fixes the state writes of a valid block (for ChainState.lineage): its hash (the header, and through its
 * Merkle root the transactions) and the voters of the parent certificate it carries, in order, which vote
 * credits follow and no hash covers (signatures write nothing).
 */
function stateStep(block: Block, hash: string): string {
  return memoShared(STEPS, block, (b) => {
    const cert = b.parent_certificate
    return cert === null ? hash : `${hash}/${cert.votes.map((v) => v.voter).join(',')}`
  })
}

/** By shared (deep-frozen) block: the nodes of a process that finalise one block use one step string. */
const STEPS = new WeakMap<Block, string>()
