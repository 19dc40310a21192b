/**
 * The gateway's own chain account: the Ed25519 key that signs what the gateway submits on others' behalf
 * (a session's anchor at finalisation, public data anchors), kept in the data directory.
 *
 * Nonces: the chain accepts each sender's nonces only in sequence (a reused one is LUCID_ERR_5012, a gap
 * 5002). The account counts its own, as a remote client must, and starts from the node's count (final
 * state plus pending pool) so that a restart resumes the sequence. Submission is synchronous (sign, then
 * the node validates and pools it in the same turn of the event loop), so concurrent requests can never
 * interleave between choosing a nonce and using it. When the node refuses a submission anyway, the count
 * is re-read from the node; if the nonce was what made it fail (the count had drifted, e.g. another writer
 * used the key, or the pool dropped a transaction), the transaction is signed again with the right nonce
 * and resubmitted, at most MAX_RESUBMITS times. Any other refusal is the content's and is thrown.
 */
import { errors, isLucidError } from '../common/errors.ts'
import { Account, ed25519Signer, type Receipt, type Transaction } from '../chain/index.ts'

/** What the account submits to: a node (ChainNode has both). */
export interface NonceAuthority {
  /** Validates and pools `tx`, or throws the LUCID_ERR_5xxx rule it breaks. */
  submit(tx: Transaction): Receipt
  /** The last nonce `account` used, its pending transactions included. */
  lastNonce(account: string): number
}

/** Resubmissions after a nonce refusal before giving up (one is enough unless someone races the key). */
export const MAX_RESUBMITS = 3

/** The gateway's signing account on one node. */
export class ChainAccount {
  readonly #account: Account
  readonly #node: NonceAuthority
  /** Submissions that had to be re-signed with a re-read nonce (reported, for the curious). */
  resubmits = 0

  /** @param seed the 32-byte Ed25519 seed from the data directory */
  constructor(seed: Uint8Array, node: NonceAuthority) {
    const signer = ed25519Signer(seed)
    this.#node = node
    this.#account = new Account(signer, node.lastNonce(signer.publicKey))
  }

  /** The account's public key (64 hex digits): the `from` of everything the gateway signs. */
  get publicKey(): string {
    return this.#account.signer.publicKey
  }

  /** The nonce the next transaction will carry. */
  get nextNonce(): number {
    return this.#account.nextNonce
  }

  /**
   * Signs the transaction `make` builds with the account's next nonce and submits it; on a nonce refusal,
   * re-reads the count and resubmits (bounded). Throws the node's refusal otherwise.
   */
  submit(make: (account: Account) => Transaction): Receipt {
    for (let attempt = 0; ; attempt++) {
      const tx = make(this.#account)
      try {
        return this.#node.submit(tx)
      } catch (err) {
        // The local count advanced for a transaction the chain did not take: whatever the reason, the
        // node's count is the truth from here on.
        const last = this.#node.lastNonce(this.publicKey)
        this.#account.resetNonce(last)
        const nonceWasWrong = tx.nonce !== last + 1
        if (!isLucidError(err) || !nonceWasWrong) throw err
        if (attempt >= MAX_RESUBMITS)
          throw new errors.InvalidTransaction(`the gateway account's nonce kept changing under it (${attempt + 1} attempts): ${err.message}`)
        this.resubmits++
      }
    }
  }
}
