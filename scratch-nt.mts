const noop = () => {}
async function tick(label: string) {
  await new Promise((r) => setTimeout(r, 50))
  const n = 1_000_000
  const t0 = performance.now()
  for (let i = 0; i < n; i++) process.nextTick(noop)
  await new Promise((r) => setImmediate(r))
  console.log(label, (((performance.now() - t0) * 1000) / n).toFixed(3), 'us per nextTick')
}
await tick('fresh')
const { start } = await import('./services/gateway/index.ts')
await tick('after import')
const g = await start({ host: '127.0.0.1', port: 0, dataDir: '/tmp/gw3', loadTest: true, seedDemo: false })
await tick('after start')
await g.close()
await tick('after close')
process.exit(0)
