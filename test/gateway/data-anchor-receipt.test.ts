/**
 * Issue 16, items 3 and 6: a public data anchor's 201 creates a receipt at its status URL, and what the API
 * acknowledged with 201 must outlive the process. The chain's pool of pending transactions is not kept
 * across a restart, so the receipt is kept in the gateway store (synced before the answer): after a restart
 * its status URL still answers, `rejected` (submit again) when the chain no longer has the transaction.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChainDouble } from './chain-double.ts'
import { call, testGateway } from './helpers.ts'

test("a data anchor's receipt survives a restart: its status URL answers where it stands, never 404", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lucid-receipt-'))
  try {
    let g = await testGateway({ dataDir, accounts: [], chain: new ChainDouble() })
    const a = await call(g.base, 'POST', '/chain/anchor', { json: { session_id: 'label', data_hash: 'abc' } })
    assert.equal(a.status, 201)
    const url = a.headers.location as string
    assert.equal((await call(g.base, 'GET', url)).json.status, 'pending')
    await g.close()
    // A new chain: the pending transaction did not survive (as with the devnet's pool at a restart).
    g = await testGateway({ dataDir, accounts: [], chain: new ChainDouble() })
    try {
      const st = await call(g.base, 'GET', url)
      assert.equal(st.status, 200, st.text)
      assert.equal(st.json.tx_id, a.json.tx_id)
      assert.equal(st.json.status, 'rejected')
      assert.match(st.json.reason, /submit/i)
      assert.equal((await call(g.base, 'GET', '/chain/anchor/not-a-receipt')).status, 404, 'an id never issued is still unknown')
    } finally {
      await g.close()
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
})
