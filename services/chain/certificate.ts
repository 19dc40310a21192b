/**
 * Votes, proofs of lock and finality certificates (docs/chain.md, "Voting rounds").
 *
 * A committee member prevotes a round's proposal and precommits a block that more than two thirds of the
 * committee's weight prevoted in that round; both sign roundVoteHash(height, round, block hash), under
 * LUCID-PREVOTE-V1 and LUCID-VOTE-V2. A certificate gathers precommits of one round from more than two thirds
 * of the weight. Certificates of the first chain format (no round; LUCID-VOTE-V1 over the block hash) are
 * still checked, so that an archive written before the voting rounds is still read.
 *
 * Which committee: round votes of a height are counted by the committee of the epoch in which the height
 * opened (Head.vote_epoch), one committee for every round and rival block of the height; a first-format
 * certificate by the committee of its block's own epoch, as it was signed.
 */
import { errors } from '../common/errors.ts'
import { isShared } from '../common/frozen.ts'
import { toHex } from '../common/hash.ts'
import { proposalHash, roundVoteHash, signingMessage, voteHash, type SignDomain } from './encoding.ts'
import { epochInfo, hasQuorum, type Committee } from './schedule.ts'
import type { Signer } from './signer.ts'
import type { SignatureSink } from './sink.ts'
import type { Head, StateBase } from './state.ts'
import type { Block, Certificate, Proposal, Vote, VoteSignature, VoteType } from './types.ts'

const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/

/** The signing domain of a vote type. */
export function voteDomain(type: VoteType): SignDomain {
  return type === 'prevote' ? 'LUCID-PREVOTE-V1' : 'LUCID-VOTE-V2'
}

/** The 48-byte message a vote of `type` for (`height`, `round`, `hash`) signs. */
export function voteMessage(type: VoteType, height: number, round: number, hash: string): Uint8Array {
  // Every receiver of a vote or certificate computes the same message: remembered by the block hash text (a
  // string the receivers of one message share) and then by type, height and round. The bytes returned are
  // shared: callers read them (signers and verifiers do), never write them.
  let list = VOTE_MESSAGES.get(hash)
  if (list !== undefined) for (const e of list) if (e.type === type && e.height === height && e.round === round) return e.message
  const message = signingMessage(voteDomain(type), roundVoteHash(height, round, hash))
  if (list === undefined || list.length >= 64) {
    if (VOTE_MESSAGES.size >= 4096) VOTE_MESSAGES.clear()
    list = []
    VOTE_MESSAGES.set(hash, list)
  }
  list.push({ type, height, round, message })
  return message
}

const VOTE_MESSAGES = new Map<string, Array<{ readonly type: VoteType; readonly height: number; readonly round: number; readonly message: Uint8Array }>>()

/** Shared (deep-frozen) votes of certificates and proofs of lock already found well formed. */
const WELL_FORMED = new WeakSet<object>()

function wellFormedVote(v: VoteSignature): boolean {
  if (WELL_FORMED.has(v)) return true
  const ok =
    v !== null &&
    typeof v === 'object' &&
    Object.keys(v).length === 2 &&
    typeof v.voter === 'string' &&
    HEX64.test(v.voter) &&
    typeof v.signature === 'string' &&
    HEX128.test(v.signature)
  if (ok && isShared(v)) WELL_FORMED.add(v)
  return ok
}

/** `signer`'s vote of `type` for the block `hash` at `height` in `round`. */
export function signVote(signer: Signer, type: VoteType, height: number, round: number, hash: string): Vote {
  return { type, height, round, block_hash: hash, voter: signer.publicKey, signature: toHex(signer.sign(voteMessage(type, height, round, hash))) }
}

/** `signer`'s proposal of `block` for (`height`, `round`), with its proof of lock (`polRound` -1 and no votes for a new block). */
export function signProposal(
  signer: Signer,
  height: number,
  round: number,
  block: Block,
  hash: string,
  polRound: number,
  pol: readonly VoteSignature[]
): Proposal {
  const signature = toHex(signer.sign(signingMessage('LUCID-PROPOSE-V1', proposalHash(height, round, polRound, hash))))
  return { height, round, pol_round: polRound, block, pol: sortVotes(pol), proposer: signer.publicKey, signature }
}

/** Votes deduplicated by voter and sorted by voter. */
export function sortVotes(votes: Iterable<VoteSignature>): VoteSignature[] {
  const byVoter = new Map<string, VoteSignature>()
  for (const v of votes) byVoter.set(v.voter, { voter: v.voter, signature: v.signature })
  return [...byVoter.values()].sort((a, b) => (a.voter < b.voter ? -1 : a.voter > b.voter ? 1 : 0))
}

/** A certificate from the precommits of one round (deduplicated by voter, sorted by voter). */
export function makeCertificate(height: number, round: number, hash: string, votes: Iterable<VoteSignature>): Certificate {
  return { height, round, block_hash: hash, votes: sortVotes(votes) }
}

/**
 * The committee that signs (or signed) the certificate of the head block of `state`: for a round certificate
 * the committee of the epoch its height opened in, for a first-format one the committee of the block's epoch.
 */
export function headCommittee(state: StateBase, cert: Certificate): Committee {
  const head = state.get('head') as unknown as Head
  return epochInfo(state, cert.round === undefined ? head.epoch : head.vote_epoch).committee
}

/**
 * Checks that `votes` are well formed, sorted, distinct committee members with more than 2/3 of the weight,
 * each a valid signature of `message` (LUCID_ERR_5015 for a bad vote, LUCID_ERR_5014 short of quorum).
 */
export function checkQuorum(votes: readonly VoteSignature[], message: Uint8Array, committee: Committee, what: string, sigs: SignatureSink): void {
  if (!Array.isArray(votes)) throw new errors.InvalidCertificate(`malformed votes in ${what}`)
  let weight = 0
  let prev = ''
  // Indexed loops: every node checks every certificate it is passed, and the for-of loops here allocated an
  // iterator result per vote (about 3 % of a simulation's allocations, measured with the sampling heap profiler).
  for (let i = 0; i < votes.length; i++) {
    const v = votes[i] as VoteSignature
    if (!wellFormedVote(v)) {
      throw new errors.InvalidCertificate(`malformed vote in ${what}`)
    }
    if (v.voter <= prev) throw new errors.InvalidCertificate(`votes in ${what} must be sorted by voter, one each`)
    prev = v.voter
    const w = committee.members.get(v.voter)
    if (w === undefined) throw new errors.InvalidCertificate(`${v.voter} is not on the committee (${what})`)
    weight += w
  }
  if (!hasQuorum(committee, weight)) throw new errors.CertificateShortOfQuorum(`weight ${weight} of ${committee.total} in ${what} (more than 2/3 needed)`)
  for (let i = 0; i < votes.length; i++) {
    const v = votes[i] as VoteSignature
    sigs.check(v.voter, message, v.signature, () => new errors.InvalidCertificate(`vote of ${v.voter} in ${what} has a bad signature`))
  }
}

/**
 * Checks that `cert` finalises the block (`height`, `hash`) under `committee`: well formed, voters sorted and
 * distinct, every voter a member (LUCID_ERR_5015), more than 2/3 of the weight (LUCID_ERR_5014), every
 * signature valid (LUCID_ERR_5015, through `sigs`). A round certificate holds precommits (LUCID-VOTE-V2) of its
 * round; a first-format one (no round) LUCID-VOTE-V1 votes over the block hash.
 */
export function checkCertificate(cert: Certificate, height: number, hash: string, committee: Committee, sigs: SignatureSink): void {
  if (cert === null || typeof cert !== 'object' || !Array.isArray(cert.votes)) throw new errors.InvalidCertificate('malformed certificate')
  const keys = Object.keys(cert).length
  const v2 = cert.round !== undefined
  if (keys !== (v2 ? 4 : 3) || (v2 && (typeof cert.round !== 'number' || !Number.isSafeInteger(cert.round) || cert.round < 0)))
    throw new errors.InvalidCertificate('malformed certificate')
  if (cert.height !== height || cert.block_hash !== hash)
    throw new errors.InvalidCertificate(`certificate is for ${String(cert.block_hash)} at ${String(cert.height)}, not ${hash} at ${height}`)
  const message = v2 ? voteMessage('precommit', height, cert.round as number, hash) : signingMessage('LUCID-VOTE-V1', voteHash(hash))
  checkQuorum(cert.votes, message, committee, `the certificate of height ${height}`, sigs)
}
