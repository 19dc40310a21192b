/**
 * What the gateway cases do before their load: read the gateway's configuration (hashing cost, rate limits:
 * reported in every case's conditions), log in, create data, and pre-sign single-use wallet logins.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import type { Conditions } from '../../harness/case.ts'
import { gatewayJson, signTronMessage, tronAddressFromPublicKey, type JsonRecord } from '../../services/gateway/index.ts'

/** A JSON call to the gateway; throws on a non-2xx answer (setup must not silently half-work). */
export async function call<T = JsonRecord>(url: string, method: 'GET' | 'POST', path: string, body?: unknown, token?: string): Promise<T> {
  return await gatewayJson<T>(url, method, path, {
    ...(body !== undefined ? { json: body } : {}),
    ...(token !== undefined ? { token } : {}),
    timeoutMs: 60_000
  })
}

/** The gateway's own account of its configuration (GET /config), as case conditions. */
export async function gatewayConditions(url: string): Promise<Conditions> {
  const c = (await call(url, 'GET', '/config')) as Record<string, unknown>
  const out: Conditions = {}
  for (const [k, v] of Object.entries(c)) out[`gateway_${k}`] = typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean)
  return out
}

/** Logs in with a password; returns the access token. */
export async function passwordLogin(url: string, username: string, password: string): Promise<string> {
  const r = (await call(url, 'POST', '/auth/login', { username, password })) as { token: string }
  return r.token
}

/** Runs `fn` over `items` with at most `width` in flight. */
async function pooled<T, R>(items: readonly T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i]!)
      }
    })
  )
  return out
}

/**
 * `n` ready-to-send wallet login bodies: for each, a challenge fetched from the gateway and signed TRON-style
 * (secp256k1 over keccak-256 of the prefixed message, v = 27 + recovery) by one of 16 wallets. Challenges are
 * single use, so every body may be sent once.
 */
export async function walletLogins(url: string, n: number): Promise<string[]> {
  const wallets = Array.from({ length: 16 }, () => {
    const { secretKey, publicKey } = secp256k1.keygen()
    return { secretKey, address: tronAddressFromPublicKey(publicKey) }
  })
  return await pooled(
    Array.from({ length: n }, (_, i) => wallets[i % wallets.length]!),
    64,
    async (w) => {
      const c = (await call(url, 'POST', '/auth/wallet/challenge', { tron_address: w.address })) as { message: string }
      const signature = signTronMessage(c.message, w.secretKey)
      return JSON.stringify({ tron_address: w.address, signature, message: c.message, hardware_wallet: false })
    }
  )
}

/** Creates `k` sessions for the token's user (so listing them does real work). */
export async function createSessions(url: string, token: string, k: number): Promise<void> {
  await pooled(
    Array.from({ length: k }, (_, i) => i),
    4,
    async (i) => {
      await call(url, 'POST', '/sessions', { user_id: 'bench', session_type: 'rdp', duration_minutes: 30 + i }, token)
    }
  )
}
