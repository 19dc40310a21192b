/**
 * Generates a chain without a network: for each slot, the rightful leader builds a block (produce.ts) from
 * a steady load of session anchors and every committee member signs it. Real keys and real signatures, so
 * a node syncing the result does all the verification a real chain would cost. Used for the chain.sync
 * benchmark's "one day of chain" and for export tests.
 *
 * Generation trusts its own fresh signatures (it does not verify them); the syncing node verifies all of them.
 */
import { signTransaction } from './client.ts'
import { makeCertificate, signVote } from './certificate.ts'
import { devnetGenesis, keySeeds } from './devnet.ts'
import { Ledger, type FinalBlock } from './ledger.ts'
import { buildBlock } from './produce.ts'
import { epochInfo, epochOf, slotSchedule, slotStart } from './schedule.ts'
import { ed25519Signer, type Signer } from './signer.ts'
import type { SignatureSink } from './sink.ts'
import { validateBlock } from './validate.ts'
import type { ChainParams, Genesis, Transaction } from './types.ts'

/** Options of generateChain. */
export interface GenerateOptions {
  /** Slots to generate (one block each). */
  readonly slots: number
  /** Validators (default 20: more than the committee, so K binds). */
  readonly validators?: number
  /** Session anchors per second of chain time (default 1). */
  readonly txPerS?: number
  /** Distinct client accounts sending them (default 1000). */
  readonly clients?: number
  readonly seed?: number
  readonly params?: Partial<ChainParams>
  readonly genesisTime?: number
  /** Called after every block. */
  readonly onBlock?: (fin: FinalBlock) => void
}

/** The generated chain. */
export interface GeneratedChain {
  readonly genesis: Genesis
  readonly ledger: Ledger
}

const TRUST_OWN: SignatureSink = { check() {} }

/** Generates `slots` blocks with their certificates. */
export function generateChain(opts: GenerateOptions): GeneratedChain {
  const seeds = keySeeds(opts.seed ?? 1, (opts.validators ?? 20) + (opts.clients ?? 1000))
  const validators = seeds.slice(0, opts.validators ?? 20).map(ed25519Signer)
  const byId = new Map(validators.map((v) => [v.publicKey, v]))
  const clients = seeds.slice(validators.length).map(ed25519Signer)
  const nonces = new Map<Signer, number>()
  const genesis = devnetGenesis(validators, opts.genesisTime ?? 1_767_225_600_000, opts.params, 'lucid-generated')
  const params = genesis.params
  const ledger = new Ledger(genesis)
  const txPerSlot = Math.round(((opts.txPerS ?? 1) * params.slot_ms) / 1000)
  let session = 0
  for (let slot = 0; slot < opts.slots; slot++) {
    const epoch = epochOf(params, slot)
    const state = ledger.state
    const info = epochInfo(state, epoch)
    const schedule = slotSchedule(info, params, slot, state.get('recent') as Array<[number, string]>, (state.get('head') as unknown as { slot: number }).slot)
    if (schedule === undefined) throw new Error('no eligible validator')
    const leader = byId.get(schedule.leader) as Signer
    const timestamp = slotStart(genesis.genesis_time, params, slot) + 50
    const txs: Transaction[] = []
    for (let i = 0; i < txPerSlot; i++, session++) {
      const client = clients[session % clients.length] as Signer
      const nonce = (nonces.get(client) ?? 0) + 1
      nonces.set(client, nonce)
      const hex = session.toString(16).padStart(64, '0')
      txs.push(
        signTransaction(client, {
          type: 'session_anchor',
          nonce,
          timestamp: timestamp - 1000,
          payload: { session_id: `session-${session}`, manifest_hash: hex, merkle_root: hex }
        })
      )
    }
    const head = ledger.head()
    const parentCertificate = head.height === 0 ? null : (ledger.at(head.height) as FinalBlock).certificate
    const block = buildBlock(state, leader, { height: head.height + 1, slot, epoch, timestamp }, parentCertificate, txs, TRUST_OWN)
    const valid = validateBlock(state, block, { sigs: TRUST_OWN })
    // Decided in the round of its own slot, as a block is on a good day.
    const votes = [...info.committee.members.keys()].map((m) => signVote(byId.get(m) as Signer, 'precommit', block.header.height, slot, valid.hash))
    const fin = ledger.append(valid, makeCertificate(block.header.height, slot, valid.hash, votes))
    opts.onBlock?.(fin)
  }
  return { genesis, ledger }
}
