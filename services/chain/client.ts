/**
 * What an account does to use the chain: sign transactions. A client keeps its own nonce (1, 2, 3...), as
 * the rules accept each sender's transactions only in that order.
 */
import { fromHex, toHex } from '../common/hash.ts'
import { signingMessage, txId } from './encoding.ts'
import type { Signer } from './signer.ts'
import type { Anchor, DataAnchor, Json, Transaction, TxBody, TxType } from './types.ts'

/** Signs a transaction body. */
export function signTransaction(signer: Signer, body: Omit<TxBody, 'from'>): Transaction {
  const full: TxBody = { ...body, from: signer.publicKey }
  const signature = toHex(signer.sign(signingMessage('LUCID-TX-V1', fromHex(txId(full)))))
  return { type: full.type, from: full.from, nonce: full.nonce, timestamp: full.timestamp, payload: full.payload, signature }
}

/** An account that numbers its transactions. */
export class Account {
  #nonce: number
  /** @param signer the account's key @param lastNonce the last nonce it used on chain (0 for a new account) */
  constructor(
    readonly signer: Signer,
    lastNonce = 0
  ) {
    this.#nonce = lastNonce
  }

  /** The next transaction of this account. */
  tx(type: TxType, payload: Json, timestamp: number): Transaction {
    return signTransaction(this.signer, { type, nonce: ++this.#nonce, timestamp, payload })
  }

  /** The nonce the next transaction will carry. */
  get nextNonce(): number {
    return this.#nonce + 1
  }

  /**
   * Sets the last nonce used on chain, e.g. re-read from a node after a submission was refused because
   * this account's count had drifted from the chain's.
   */
  resetNonce(lastNonce: number): void {
    this.#nonce = lastNonce
  }

  /** A data_anchor transaction (a public timestamp; never a session's anchor). */
  dataAnchor(d: DataAnchor, timestamp: number): Transaction {
    return this.tx('data_anchor', { label: d.label, data_hash_sha256: d.data_hash_sha256, submitted_at: d.submitted_at }, timestamp)
  }

  /** A session_anchor transaction. */
  anchor(anchor: Anchor, timestamp: number): Transaction {
    return this.tx('session_anchor', { session_id: anchor.session_id, manifest_hash: anchor.manifest_hash, merkle_root: anchor.merkle_root }, timestamp)
  }
}
