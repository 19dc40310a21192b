const noop = () => {}
setInterval(() => {
  const n = 200_000
  const t0 = performance.now()
  for (let i = 0; i < n; i++) process.nextTick(noop)
  const us = ((performance.now() - t0) * 1000) / n
  process.stderr.write(`nextTick ${us.toFixed(3)} us\n`)
}, 1500).unref()
