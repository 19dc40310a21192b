/**
 * The PoOT chain (docs/chain.md): work credits and live scores, the leader schedule, blocks and their
 * validation, committee finality with certificates, sync, a real-time devnet, the block archive and the
 * export an independent program can recompute.
 *
 * ```ts
 * const net = createDevnet({ nodes: 4, scheduler: realScheduler() })
 * net.start()
 * const receipt = net.nodes[0].submit(new Account(ed25519Signer(seed)).anchor(anchor, Date.now()))
 * net.nodes[0].on({ final: (fin, at) => console.log(fin.block.header.height, at) })
 * ```
 */

/** Data types as they travel and are exported. */
export type {
  Anchor,
  Block,
  DataAnchor,
  BlockHeader,
  Certificate,
  ChainParams,
  Genesis,
  GenesisValidator,
  Json,
  Proposal,
  Transaction,
  TxBody,
  TxType,
  Vote,
  VoteSignature,
  VoteType
} from './types.ts'
/** The transaction types. */
export { TX_TYPES } from './types.ts'
/** Default parameters and their check. */
export { DEFAULT_CREDITS, DEFAULT_PARAMS, anchorRules, checkParams, creditParams, type CreditParams } from './params.ts'
/** The one rule for labels and session ids (code points, printable defined) and a data anchor's submitted_at window. */
export { CURRENT_ANCHOR_RULES, MAX_LABEL_CODE_POINTS, SUBMITTED_AT_PAST_MS, labelProblem, submittedAtProblem } from './label.ts'
/** Hashing and signing messages. */
export {
  anchorLeaf,
  blockBytes,
  blockHash,
  blockMerkleRoot,
  dataAnchorLeaf,
  genesisHash,
  proposalHash,
  roundVoteHash,
  signingMessage,
  txId,
  txLeaf,
  type SignDomain
} from './encoding.ts'
/** Signing and verification behind interfaces (the simulator injects its own). */
export { ed25519Signer, ed25519Verifier, type Signer, type Verifier } from './signer.ts'
/** Where signature checks go: at once, or collected for worker threads. */
export { VerifiedCache, immediateSink, type SignatureSink } from './sink.ts'
/** Work credits of task proofs. */
export { TASK_KINDS, receiptMessage, serviceCredits, taskProof, type ServiceKind, type TaskKind, type TaskProof } from './credits.ts'
/** The state after the final blocks. */
export { ChainState, StateDelta, type Head, type StateBase, type StateReader, type StateView } from './state.ts'
/** Live scores, the leader schedule, the committee. */
export {
  BEACONS_PER_EPOCH,
  attemptOf,
  attemptOpensAfter,
  beaconWindow,
  beaconWindowStart,
  epochInfo,
  epochOf,
  hasQuorum,
  slotAt,
  slotSchedule,
  slotStart,
  type Committee,
  type EpochInfo,
  type Ranked,
  type SlotSchedule
} from './schedule.ts'
/** Transaction rules. */
export { anchorOf, applyTx, blockAnchors, dataAnchorOf, type BlockContext } from './rules.ts'
/** Votes, proposals, proofs of lock and certificates. */
export { checkCertificate, checkQuorum, headCommittee, makeCertificate, signProposal, signVote, sortVotes, voteMessage } from './certificate.ts'
/** Block validation. */
export { validateBlock, type ValidBlock, type ValidateOptions } from './validate.ts'
/** Building a block. */
export { buildBlock } from './produce.ts'
/** The final chain. */
export { Ledger, type FinalBlock, type FinalListener } from './ledger.ts'
/** The pending pool. */
export { TxPool } from './pool.ts'
/** Timers: real, or a discrete-event queue on a ManualClock. */
export { ManualScheduler, realScheduler, type Cancel, type Scheduler } from './scheduler.ts'
/** The network between nodes. */
export { LocalNetwork, type LinkModel, type MessageHandler, type Transport } from './transport.ts'
/** A node. */
export { ChainNode, type Message, type NodeEvents, type NodeOptions, type Receipt, type TxStatus } from './node.ts'
/** A validator's durable record of its consensus steps. */
export { fileConsensusStore, memoryConsensusStore, type ConsensusRecord, type ConsensusStore, type RoundChoice } from './consensus-store.ts'
/** Accounts signing transactions. */
export { Account, signTransaction } from './client.ts'
/** The in-process devnet. */
export { createDevnet, devnetGenesis, keySeeds, replayLedgers, type Devnet, type DevnetOptions } from './devnet.ts'
/** Sync from a peer, verifying everything. */
export { ledgerSource, syncLedger, type SyncOptions, type SyncResult, type SyncSource } from './sync.ts'
/** Ed25519 verification on worker threads. */
export { VerifyPool, type SignatureBatch } from './verify-pool.ts'
/** Deterministic chain generation (fixtures). */
export { generateChain, type GenerateOptions, type GeneratedChain } from './generate.ts'
/** The block archive (log + database). */
export { BlockArchive, CHAIN_DIR, readArchive } from './archive.ts'
/** A recording's anchor in final blocks (the earliest of its session id) with its inclusion proof. */
export { findRecordingAnchor, proveRecordingAnchor, recordingAnchorText, recordingDigest, type RecordingAnchor } from './recording-anchor.ts'
/** The export document. */
export { CHAIN_EXPORT_SCHEMA, chainExport, type ChainExport } from './export.ts'
