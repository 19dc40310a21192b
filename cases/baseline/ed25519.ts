/**
 * baseline.ed25519: Ed25519 signature verifications per second on one core (node:crypto), the unit the
 * chain's validation and sync costs are measured in.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto'
import type { CaseRun } from '../../harness/case.ts'

/** Runs the case. */
export const run: CaseRun = async (ctx) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const msgs = Array.from({ length: 64 }, (_, i) => Buffer.from(`block header ${i} `.padEnd(200, '.')))
  const sigs = msgs.map((m) => sign(null, m, privateKey))
  const durationS = ctx.seconds(3, { smoke: 0.5, full: 10 })
  for (let i = 0; i < 500; i++) verify(null, msgs[i % 64]!, publicKey, sigs[i % 64]!) // warm-up

  let t0 = performance.now()
  let n = 0
  let bad = 0
  while (performance.now() - t0 < durationS * 1000) {
    for (let i = 0; i < 64; i++) if (!verify(null, msgs[i]!, publicKey, sigs[i]!)) bad++
    n += 64
  }
  const verifyPerS = n / ((performance.now() - t0) / 1000)
  if (bad > 0) throw new Error(`${bad} valid signatures failed to verify`)

  t0 = performance.now()
  n = 0
  while (performance.now() - t0 < (durationS * 1000) / 2) {
    sign(null, msgs[n % 64]!, privateKey)
    n++
  }
  const signPerS = n / ((performance.now() - t0) / 1000)
  return {
    status: 'completed',
    metrics: { verify_per_s: verifyPerS, sign_per_s: signPerS },
    conditions: { library: 'node:crypto', message_bytes: 200, cores: 1 }
  }
}
