/**
 * The transaction load: session anchors arriving as a Poisson process at a given rate, each signed by one of
 * a pool of client accounts (round robin, so an account's previous transaction is long final when it sends
 * the next) and submitted to a random live honest node, which gossips it. Clients are outside the model:
 * their signatures cost no node anything.
 */
import { toHex } from '../../services/common/hash.ts'
import type { Rng } from '../../services/common/rng.ts'
import { signTransaction, type Signer, type Transaction } from '../../services/chain/index.ts'

/** What the load did. */
export interface LoadStats {
  submitted: number
  /** Refused by the node they were sent to (a full pool, a nonce the node has not seen the predecessor of). */
  refused: number
}

/** Session-anchor clients. */
export class Load {
  readonly stats: LoadStats = { submitted: 0, refused: 0 }
  readonly #nonces: number[]
  #next = 0
  #sessions = 0

  /**
   * @param accounts the clients' signers
   * @param rng draws arrivals and payloads
   * @param ratePerS offered transactions per second of virtual time
   */
  constructor(
    readonly accounts: readonly Signer[],
    readonly rng: Rng,
    readonly ratePerS: number
  ) {
    this.#nonces = accounts.map(() => 0)
  }

  /** Virtual ms until the next arrival (exponential inter-arrival time). */
  gapMs(): number {
    return (-Math.log(1 - this.rng.next()) / this.ratePerS) * 1000
  }

  /** The next transaction at `nowMs`, and how to record the node's answer. */
  next(nowMs: number): { tx: Transaction; accepted: () => void; refused: () => void } {
    const i = this.#next
    this.#next = (this.#next + 1) % this.accounts.length
    const signer = this.accounts[i] as Signer
    const hex = (): string => toHex(this.rng.fill(new Uint8Array(32)))
    const tx = signTransaction(signer, {
      type: 'session_anchor',
      nonce: (this.#nonces[i] as number) + 1,
      timestamp: nowMs,
      payload: { session_id: `sim-${++this.#sessions}`, manifest_hash: hex(), merkle_root: hex() }
    })
    return {
      tx,
      // The nonce moves on only when a node took the transaction, so a refused one is simply not sent again.
      accepted: () => {
        this.#nonces[i] = tx.nonce
        this.stats.submitted++
      },
      refused: () => {
        this.stats.refused++
      }
    }
  }
}
