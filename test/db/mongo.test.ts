/**
 * How the MongoDB backend fails when there is no server: bounded in time, with the catalogue's codes
 * (LUCID_ERR_4005 unreachable, LUCID_ERR_4008 none available, naming both ways to get one).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { openDatabase } from '../../services/db/index.ts'

/** A port nothing listens on: bind an ephemeral port, then free it. */
async function deadPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as { port: number }).port
  await new Promise((resolve) => srv.close(resolve))
  return port
}

describe('mongodb: no server', () => {
  it('answers an unreachable server with LUCID_ERR_4005 within the connect bound', async () => {
    const port = await deadPort()
    await assert.rejects(
      openDatabase({ backend: 'mongodb', uri: `mongodb://127.0.0.1:${port}/?directConnection=true`, connectTimeoutMs: 500 }),
      (err: Error & { code?: string }) => err.code === 'LUCID_ERR_4005' && err.message.includes(`127.0.0.1:${port}`)
    )
  })

  it('answers "no URI and no mongod binary" with LUCID_ERR_4008 naming both options', async () => {
    const saved = { uri: process.env.MONGODB_URI, bin: process.env.MONGOMS_SYSTEM_BINARY }
    delete process.env.MONGODB_URI
    // A system binary that does not exist makes mongodb-memory-server fail at once, without a download.
    process.env.MONGOMS_SYSTEM_BINARY = '/nonexistent/lucid-test/mongod'
    try {
      await assert.rejects(
        openDatabase({ backend: 'mongodb', memoryServerTimeoutMs: 5000 }),
        (err: Error & { code?: string }) =>
          err.code === 'LUCID_ERR_4008' && err.message.includes('MONGODB_URI') && err.message.includes('mongodb-memory-server')
      )
    } finally {
      if (saved.uri !== undefined) process.env.MONGODB_URI = saved.uri
      if (saved.bin !== undefined) process.env.MONGOMS_SYSTEM_BINARY = saved.bin
      else delete process.env.MONGOMS_SYSTEM_BINARY
    }
  })
})
