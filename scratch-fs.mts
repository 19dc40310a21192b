import { start } from './cases/baseline/fastify-server.ts'
const s = await start({ host: '127.0.0.1', port: 18081 })
process.on('SIGINT', async () => { await s.close(); process.exit(0) })
