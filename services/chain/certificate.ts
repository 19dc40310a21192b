/**
 * Votes and finality certificates. A committee member signs the block hash under the LUCID-VOTE-V1 domain;
 * a certificate gathers such signatures from more than two thirds of the epoch committee's weight.
 */
import { errors } from '../common/errors.ts'
import { toHex } from '../common/hash.ts'
import { signingMessage, voteHash } from './encoding.ts'
import { hasQuorum, type Committee } from './schedule.ts'
import type { Signer } from './signer.ts'
import type { SignatureSink } from './sink.ts'
import type { Certificate, Vote, VoteSignature } from './types.ts'

const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/

/** `signer`'s vote for the block `hash` at `height`. */
export function signVote (signer: Signer, height: number, hash: string): Vote {
  return { height, block_hash: hash, voter: signer.publicKey, signature: toHex(signer.sign(signingMessage('LUCID-VOTE-V1', voteHash(hash)))) }
}

/** A certificate from votes (deduplicated by voter, sorted by voter). */
export function makeCertificate (height: number, hash: string, votes: Iterable<VoteSignature>): Certificate {
  const byVoter = new Map<string, VoteSignature>()
  for (const v of votes) byVoter.set(v.voter, { voter: v.voter, signature: v.signature })
  const sorted = [...byVoter.values()].sort((a, b) => (a.voter < b.voter ? -1 : a.voter > b.voter ? 1 : 0))
  return { height, block_hash: hash, votes: sorted }
}

/**
 * Checks that `cert` finalises the block (`height`, `hash`) under `committee`: well formed, voters sorted and
 * distinct, every voter a member (LUCID_ERR_5015), more than 2/3 of the weight (LUCID_ERR_5014), every
 * signature valid (LUCID_ERR_5015, through `sigs`).
 */
export function checkCertificate (cert: Certificate, height: number, hash: string, committee: Committee, sigs: SignatureSink): void {
  if (cert === null || typeof cert !== 'object' || !Array.isArray(cert.votes) || Object.keys(cert).length !== 3) throw new errors.LUCID_ERR_5015('malformed certificate')
  if (cert.height !== height || cert.block_hash !== hash) throw new errors.LUCID_ERR_5015(`certificate is for ${String(cert.block_hash)} at ${String(cert.height)}, not ${hash} at ${height}`)
  let weight = 0
  let prev = ''
  for (const v of cert.votes) {
    if (v === null || typeof v !== 'object' || Object.keys(v).length !== 2 || typeof v.voter !== 'string' || !HEX64.test(v.voter) || typeof v.signature !== 'string' || !HEX128.test(v.signature)) {
      throw new errors.LUCID_ERR_5015('malformed vote in certificate')
    }
    if (v.voter <= prev) throw new errors.LUCID_ERR_5015('certificate votes must be sorted by voter, one each')
    prev = v.voter
    const w = committee.members.get(v.voter)
    if (w === undefined) throw new errors.LUCID_ERR_5015(`${v.voter} is not on the committee`)
    weight += w
  }
  if (!hasQuorum(committee, weight)) throw new errors.LUCID_ERR_5014(`weight ${weight} of ${committee.total} at height ${height} (more than 2/3 needed)`)
  const message = signingMessage('LUCID-VOTE-V1', voteHash(hash))
  for (const v of cert.votes) sigs.check(v.voter, message, v.signature, () => new errors.LUCID_ERR_5015(`vote of ${v.voter} at height ${height} has a bad signature`))
}
