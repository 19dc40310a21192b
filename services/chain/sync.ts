/**
 * Sync: a node that was offline (or is new) catches up from a peer, verifying everything: every block by
 * the same validateBlock as live blocks, every transaction signature, every certificate (each block carries
 * its parent's; the head's comes from the peer). Signatures are collected instead of checked inline and
 * verified in batches on worker threads while the main thread validates the next batch of blocks; a batch
 * of blocks enters the ledger only once all its signatures (and every earlier batch's) verified.
 */
import { errors, type LucidError } from '../common/errors.ts'
import { fromHex } from '../common/hash.ts'
import { checkCertificate, headCommittee } from './certificate.ts'
import type { FinalBlock, Ledger } from './ledger.ts'
import { ed25519Verifier, type Verifier } from './signer.ts'
import { immediateSink, type SignatureSink } from './sink.ts'
import { StateDelta } from './state.ts'
import { validateBlock } from './validate.ts'
import type { SignatureBatch, VerifyPool } from './verify-pool.ts'
import type { Certificate } from './types.ts'

/** A peer to sync from. */
export interface SyncSource {
  /** The peer's final height. */
  height(): Promise<number>
  /** Final blocks `from..to` inclusive, each with its certificate. */
  blocks(from: number, to: number): Promise<readonly FinalBlock[]>
}

/** Options of syncLedger. */
export interface SyncOptions {
  /** Verify on these threads; without it, signatures are verified inline on this thread. */
  readonly pool?: VerifyPool
  /** Blocks fetched and validated per batch (default 256). */
  readonly batchBlocks?: number
  /** Signatures per verification job (default 2048). */
  readonly jobSignatures?: number
  /**
   * Verifies inline (without `pool`) through this verifier instead of a fresh real Ed25519 one: the simulator
   * passes one that charges the cost in virtual time.
   */
  readonly verifier?: Verifier
  /** Called after each batch enters the ledger. */
  readonly progress?: (height: number, target: number) => void
}

/** What a sync did. */
export interface SyncResult {
  readonly blocks: number
  readonly transactions: number
  readonly signatures: number
  readonly height: number
}

/** A SyncSource over another node's ledger in this process; blocks cross as JSON text, as over a network. */
export function ledgerSource(ledger: Ledger): SyncSource {
  return {
    height: async () => ledger.head().height,
    blocks: async (from, to) => JSON.parse(JSON.stringify(ledger.range(from, to))) as FinalBlock[]
  }
}

interface Check {
  readonly pub: string
  readonly msg: Uint8Array
  readonly sig: string
  readonly fail: () => LucidError
}

/** Collects signature checks into jobs for the pool. */
class Collector implements SignatureSink {
  #checks: Check[] = []
  readonly jobs: Array<{ readonly checks: readonly Check[]; readonly result: Promise<number> }> = []
  constructor(
    readonly pool: VerifyPool,
    readonly jobSize: number
  ) {}
  check(pub: string, msg: Uint8Array, sig: string, fail: () => LucidError): void {
    this.#checks.push({ pub, msg, sig, fail })
    if (this.#checks.length >= this.jobSize) this.flush()
  }

  flush(): void {
    const checks = this.#checks
    if (checks.length === 0) return
    this.#checks = []
    const n = checks.length
    const batch: SignatureBatch = { n, pubs: new Uint8Array(n * 32), msgs: new Uint8Array(n * 48), sigs: new Uint8Array(n * 64) }
    checks.forEach((c, i) => {
      batch.pubs.set(fromHex(c.pub), i * 32)
      batch.msgs.set(c.msg, i * 48)
      batch.sigs.set(fromHex(c.sig), i * 64)
    })
    const result = this.pool.verify(batch)
    // Settled by settle(); when sync fails on an earlier batch, the jobs still in flight are rejected by the
    // pool's close and nobody awaits them: marked handled here, so that is no unhandled rejection.
    result.catch(() => undefined)
    this.jobs.push({ checks, result })
  }

  /** Waits for every job so far; throws the error of the first bad signature. */
  async settle(): Promise<void> {
    this.flush()
    const jobs = this.jobs.splice(0)
    const results = await Promise.all(jobs.map(async (j) => await j.result))
    results.forEach((bad, i) => {
      const job = jobs[i]
      if (bad >= 0 && job !== undefined) throw (job.checks[bad] as Check).fail()
    })
  }
}

function counting(sink: SignatureSink, count: () => void): SignatureSink {
  return {
    check(pub, msg, sig, fail) {
      count()
      sink.check(pub, msg, sig, fail)
    }
  }
}

interface Pending {
  readonly finals: FinalBlock[]
  readonly delta: StateDelta
  readonly collector: Collector | undefined
}

/**
 * Brings `ledger` up to the source's final height. Throws the LUCID_ERR_5xxx of the first block, signature
 * or certificate that fails (nothing from the failing batch on enters the ledger), or LUCID_ERR_5017 when the
 * peer serves something other than what it promised.
 */
export async function syncLedger(ledger: Ledger, source: SyncSource, opts: SyncOptions = {}): Promise<SyncResult> {
  const target = await source.height()
  const start = ledger.head().height
  const per = opts.batchBlocks ?? 256
  const inline = opts.pool === undefined ? immediateSink(opts.verifier ?? ed25519Verifier()) : undefined
  let txs = 0
  let sigs = 0
  let inFlight: Pending | undefined
  let base: StateDelta | undefined

  const commit = async (p: Pending): Promise<void> => {
    await p.collector?.settle()
    ledger.appendVerified(p.finals, p.delta)
    opts.progress?.(ledger.head().height, target)
  }

  // One block past each batch too: it carries the certificate of the batch's last block.
  const fetch = (from: number): Promise<readonly FinalBlock[]> => source.blocks(from, Math.min(target, from + per))
  // The next batch is fetched while this one is validated and verified (one batch ahead, so memory stays
  // bounded): over a socket, the peer reading and sending a page took as long as checking it, one after the other.
  let next: Promise<readonly FinalBlock[]> | undefined = start + 1 <= target ? fetch(start + 1) : undefined
  for (let from = start + 1; from <= target; from += per) {
    const to = Math.min(target, from + per - 1)
    const upto = Math.min(target, to + 1)
    const got = await (next as Promise<readonly FinalBlock[]>)
    next = from + per <= target ? fetch(from + per) : undefined
    // If this batch fails, the prefetch's own failure (if any) must not surface as an unhandled rejection.
    next?.catch(() => {})
    if (got.length !== upto - from + 1 || got.some((f, i) => f.block?.header?.height !== from + i))
      throw new errors.SyncFailed(`peer sent ${got.length} blocks for ${from}..${upto}`)
    const delta = new StateDelta(base ?? ledger.state)
    const collector = opts.pool === undefined ? undefined : new Collector(opts.pool, opts.jobSignatures ?? 2048)
    const sink = counting(collector ?? (inline as SignatureSink), () => {
      sigs++
    })
    const finals: FinalBlock[] = []
    for (let i = 0; i <= to - from; i++) {
      const f = got[i] as FinalBlock
      const valid = validateBlock(delta, f.block, { sigs: sink })
      valid.delta.mergeIntoBase()
      txs += f.block.transactions.length
      // A block's certificate is the one its child carries (checked when the child is validated); the head's
      // comes from the peer. The batch's last block is certified by the first block of the next batch, whose
      // signatures would go to the next batch's jobs: it is checked here too, into this batch's jobs, so that a
      // batch enters the ledger only once the certificate finalising its last block verified (a forged one
      // used to let a twin block in: test/chain/sync-certificates.test.ts). Costs one certificate per batch.
      const child = got[i + 1]?.block.parent_certificate
      const certificate: Certificate = child === undefined || child === null ? f.certificate : child
      if (i === to - from || child === undefined || child === null)
        checkCertificate(certificate, f.block.header.height, valid.hash, headCommittee(delta, certificate), sink)
      finals.push({ block: f.block, hash: valid.hash, certificate })
    }
    collector?.flush()
    if (inFlight !== undefined) await commit(inFlight)
    delta.collapse()
    inFlight = { finals, delta, collector }
    base = delta
  }
  if (inFlight !== undefined) await commit(inFlight)
  return { blocks: target - start, transactions: txs, signatures: sigs, height: ledger.head().height }
}
