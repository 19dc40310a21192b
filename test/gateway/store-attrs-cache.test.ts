import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GatewayStore, type SessionAttributes } from '../../services/gateway/store.ts'

const attrs = (label: string): SessionAttributes => ({ label, session_type: 'rdp', duration_minutes: 30, quality: null })

async function withStore(fn: (open: () => Promise<GatewayStore>) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lucid-store-cache-'))
  try {
    await fn(async () => await GatewayStore.open(dir, { sync: 'off' }))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

test('session attributes: every write is visible to the next read, through the cache (issue 27)', async () => {
  await withStore(async (open) => {
    const store = await open()
    await store.setSession('a', attrs('one'))
    assert.equal((await store.session('a'))?.label, 'one')
    assert.equal((await store.session('a'))?.label, 'one') // now from memory
    await store.setSession('a', attrs('two'))
    assert.equal((await store.session('a'))?.label, 'two')
    assert.deepEqual(
      (await store.sessions(['a', 'missing', 'a'])).map((x) => x?.label),
      ['two', undefined, 'two']
    )
    await store.deleteSession('a')
    assert.equal(await store.session('a'), undefined)
    assert.deepEqual(await store.sessions([]), [])
    await store.close()
  })
})

test('session attributes: a read racing a write never leaves the old value cached', async () => {
  await withStore(async (open) => {
    const store = await open()
    await store.setSession('r', attrs('old'))
    // 'r' first, then thousands of absent keys: LevelDB reads r's old value at once and is still busy with
    // the rest when the write below has committed and returned, so the read resolves after the write.
    const others = Array.from({ length: 20_000 }, (_, i) => `absent-${i}`)
    for (let round = 0; round < 20; round++) {
      // The read misses (the write before it dropped the entry) and is in LevelDB when the write begins.
      const racing = store.sessions(['r', ...others])
      const write = store.setSession('r', attrs(`new ${round}`))
      const seen = (await racing)[0]?.label
      await write
      assert.ok(seen === `new ${round}` || seen === (round === 0 ? 'old' : `new ${round - 1}`), `the racing read saw ${seen}`)
      assert.equal((await store.session('r'))?.label, `new ${round}`, `round ${round}: the cache kept what the racing read saw`)
    }
    const del = store.deleteSession('r')
    const racing = store.session('r')
    await Promise.all([del, racing])
    assert.equal(await store.session('r'), undefined)
    await store.close()
  })
})

test('session attributes: what a read hands out is frozen, and what was written survives a reopen', async () => {
  await withStore(async (open) => {
    let store = await open()
    await store.setSession('f', attrs('kept'))
    const got = await store.session('f')
    assert.ok(got !== undefined && Object.isFrozen(got))
    assert.throws(() => {
      ;(got as { label: string }).label = 'changed'
    }, TypeError)
    assert.equal((await store.session('f'))?.label, 'kept')
    await store.close()
    store = await open()
    assert.equal((await store.session('f'))?.label, 'kept')
    await store.close()
  })
})
