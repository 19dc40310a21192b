/**
 * Issue 23, items 6 and 7 at the gateway: POST /chain/anchor's `timestamp` is milliseconds since the epoch or
 * ISO-8601, nothing else, stored as the anchor's submitted_at as given, within the chain's window around the
 * transaction (now); and its label follows the chain's own rule (one function: code points, printable defined).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChainDouble } from './chain-double.ts'
import { call, errorCode, testGateway } from './helpers.ts'

test('POST /chain/anchor: timestamp in ms or ISO-8601 taken as given, within 10 minutes before now; labels by the chain rule', async () => {
  const chain = new ChainDouble()
  const seen: number[] = []
  const anchorData = chain.anchorData.bind(chain)
  chain.anchorData = async (a) => {
    seen.push(a.timestamp)
    return await anchorData(a)
  }
  const g = await testGateway({ accounts: [], chain })
  try {
    const post = (body: Record<string, unknown>) => call(g.base, 'POST', '/chain/anchor', { json: { session_id: 'label', data_hash: 'abc', ...body } })
    const now = Date.now()
    // What the gateway did before: 5 -> 5000, 1700000000 -> 1700000000000, 1.5 -> 1500. Each is refused now.
    for (const timestamp of [5, 1_700_000_000, 1.5, now + 0.5, -1, now - 11 * 60_000, now + 60_000, 'yesterday', 'Dec 3 2026', '2026-12-03']) {
      const a = await post({ timestamp })
      assert.equal(a.status, 400, `${JSON.stringify(timestamp)}: ${a.text}`)
      assert.equal(errorCode(a), 'LUCID_ERR_1001')
    }
    const ms = now - 60_000
    assert.equal((await post({ timestamp: ms })).status, 201)
    const iso = new Date(now - 120_000).toISOString()
    assert.equal((await post({ timestamp: iso })).status, 201)
    // Python's isoformat(), as the reference client (locustfile) sends it: microseconds and an offset.
    assert.equal((await post({ timestamp: iso.replace('Z', '123+00:00') })).status, 201)
    assert.deepEqual(seen, [ms, Date.parse(iso), Date.parse(iso)])

    // Labels: 100 emoji are 100 code points (200 UTF-16 units): accepted here as on chain; the rest refused here as there.
    assert.equal((await post({ session_id: '\u{1F600}'.repeat(100) })).status, 201)
    for (const label of ['\u{1F600}'.repeat(129), 'line\u2028', 'bell\u0007', 'del\u007f', 'c1\u0085', 'a/b']) {
      const a = await post({ session_id: label })
      assert.equal(a.status, 400, `${JSON.stringify(label)}: ${a.text}`)
      assert.equal(errorCode(a), 'LUCID_ERR_1001')
    }
  } finally {
    await g.close()
  }
})
