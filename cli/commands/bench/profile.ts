/**
 * `lucid profile doctor|flame|bubbleprof|heapprofiler [--scenario NAME] [--duration D] [--server gateway|raw]
 * [--dest DIR]`: runs Clinic.js on a server under load and prints the HTML report's path last.
 *
 * The server runs under clinic in its own process (`lucid serve --seed-demo --load-test` by default, or the
 * raw node:http baseline to compare against); the load comes from this process: the open model at a fixed rate
 * for `health` and `sessions`, or the Locust-style users of a scenario (time-scaled to fit the duration).
 * Clinic is run with NO_INSIGHT=1 and --open=false, as it needs offline (docs/machine.md).
 */
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { parseFlags } from '../../args.ts'
import { errors } from '../../../services/common/errors.ts'
import { customScenario, SCENARIOS } from '../../../load/scenarios/index.ts'
import { parseDuration } from '../../duration.ts'
import { runOpenLoad } from '../../../load/open-run.ts'
import { runScenario } from '../../../load/scenario.ts'
import { tsxExecArgv } from '../../../harness/spawn.ts'

const TOOLS = ['doctor', 'flame', 'bubbleprof', 'heapprofiler'] as const
type Tool = (typeof TOOLS)[number]

/** Usage of `lucid profile`. */
export const PROFILE_USAGE = `lucid profile doctor|flame|bubbleprof|heapprofiler [options]

Runs Clinic.js on a server under load; prints the HTML report's path last.
  --scenario NAME   health (default: GET /health, open model at 1000 req/s), or a user scenario:
                    light|medium|heavy|stress (Locust-style users, time-scaled to fit the duration)
  --duration D      how long the load runs (default 20s)
  --server S        gateway (default: lucid serve --seed-demo --load-test) or raw (the node:http baseline)
  --dest DIR        where clinic writes (default .clinic)`

const SERVERS = {
  gateway: { module: new URL('../../../services/gateway/index.ts', import.meta.url).href, options: { seedDemo: true, loadTest: true } },
  raw: { module: new URL('../../../cases/baseline/http-server.ts', import.meta.url).href, options: {} }
} as const

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** Runs `lucid profile`; returns the exit code. */
export async function profileCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, 'profile', {
    allowPositionals: true,
    options: {
      scenario: { type: 'string' },
      duration: { type: 'string' },
      server: { type: 'string' },
      dest: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) {
    process.stdout.write(`${PROFILE_USAGE}\n`)
    return 0
  }
  const tool = positionals[0] as Tool | undefined
  if (tool === undefined || !TOOLS.includes(tool) || positionals.length > 1)
    throw new errors.Usage(`lucid profile ${TOOLS.join('|')} [--scenario NAME] [--duration D]`)
  const scenarioName = values.scenario ?? 'health'
  if (scenarioName !== 'health' && !(scenarioName in SCENARIOS))
    throw new errors.BadValue(`--scenario: '${scenarioName}' (health, light, medium, heavy or stress)`)
  const durationS = values.duration !== undefined ? parseDuration(values.duration, '--duration') : 20
  const serverName = (values.server ?? 'gateway') as keyof typeof SERVERS
  if (!(serverName in SERVERS)) throw new errors.BadValue(`--server: '${values.server ?? ''}' (gateway or raw)`)
  const clinic = clinicBin()
  const dest = values.dest ?? '.clinic'
  try {
    mkdirSync(dest, { recursive: true })
  } catch (err) {
    throw new errors.CannotWrite(`--dest ${dest}: ${(err as Error).message}`)
  }

  // clinic doctor's samplers can cut a record short when the machine is very busy (seen at load 17-20 on 2 cores:
  // "Decoded message is not valid", "Unknown wire type: 6" while it decodes its own files); one more run then,
  // said so, never more.
  let run = await profileOnce(clinic, tool, serverName, scenarioName, durationS, dest)
  if (run.html === undefined && /Decoded message is not valid|Unknown wire type|index out of range/.test(run.out)) {
    process.stderr.write(`clinic ${tool} could not decode its own samples (a record cut short on a busy machine): profiling once more\n`)
    run = await profileOnce(clinic, tool, serverName, scenarioName, durationS, dest)
  }
  const { code, html, out } = run
  if (code !== 0 || html === undefined)
    throw new errors.CaseCrashed(`clinic ${tool} exited with ${code} without a report: ${out.trim().split('\n').slice(-3).join(' | ')}`)
  process.stdout.write(`${html.startsWith('file://') ? fileURLToPath(html) : html}\n`)
  return 0
}

/**
 * clinic's entry point. clinic is an optional dependency (694 of the install's packages, with install scripts,
 * for this one command): LUCID_ERR_9015 saying how to get it when it was left out (`npm ci --omit=optional`, or a
 * platform it does not install on).
 */
export function clinicBin(): string {
  try {
    return fileURLToPath(import.meta.resolve('clinic/bin.js'))
  } catch {
    throw new errors.ProfilerUnavailable('clinic is not installed (an optional dependency): npm install clinic, then lucid profile again')
  }
}

/** One clinic run: the server under clinic, the load, then clinic's analysis (its exit code, report and output). */
async function profileOnce(
  clinic: string,
  tool: Tool,
  serverName: keyof typeof SERVERS,
  scenarioName: string,
  durationS: number,
  dest: string
): Promise<{ code: number; html: string | undefined; out: string }> {
  const port = await freePort()
  const server = SERVERS[serverName]
  const serverMain = fileURLToPath(new URL('../../../load/server-main.ts', import.meta.url))
  const child = spawn(
    process.execPath,
    [
      clinic,
      tool,
      '--open=false',
      '--dest',
      dest,
      '--',
      process.execPath,
      ...tsxExecArgv(),
      serverMain,
      server.module,
      'start',
      JSON.stringify({ ...server.options, port })
    ],
    {
      env: { ...process.env, NO_INSIGHT: '1' },
      stdio: ['ignore', 'pipe', 'pipe']
    }
  )
  let out = ''
  const collect = (d: Buffer): void => {
    out += d.toString()
    process.stderr.write(d)
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)))

  // Wait until the profiled server listens (it prints its URL), bounded.
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 180_000
  while (!out.includes(`listening on ${url}`)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL')
      throw new errors.CaseCrashed(`the profiled server did not start: ${out.trim().split('\n').slice(-3).join(' | ')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  process.stderr.write(`profiling ${serverName} with clinic ${tool}: ${scenarioName} load for ${durationS} s\n`)
  if (scenarioName === 'health') {
    const r = await runOpenLoad({ url, rate: 1000, durationS, warmupS: 1 })
    process.stderr.write(`load: ${r.completed} requests, ${r.errors} errors, rate ${r.rateHeld ? 'held' : 'NOT held'}\n`)
  } else {
    const base = SCENARIOS[scenarioName as keyof typeof SCENARIOS]
    const timeScale = Math.max(1, base.durationS / durationS)
    const r = await runScenario({ scenario: customScenario(base, {}), timeScale, target: url })
    process.stderr.write(`load: ${r.metrics.requests_count} requests, error ratio ${r.metrics.error_ratio?.toFixed(4)}\n`)
  }
  child.kill('SIGINT') // clinic stops the server, then analyses
  // Analysis takes a while on big profiles; bounded, and the timer must not keep this process alive after.
  let timer: NodeJS.Timeout | undefined
  const code = await Promise.race([
    exited,
    new Promise<number>((resolve) => {
      timer = setTimeout(() => resolve(-1), 300_000)
    })
  ])
  clearTimeout(timer)
  if (code === -1) child.kill('SIGKILL')
  return { code, html: /Generated HTML file is (file:\/\/\S+|\S+\.html)/.exec(out)?.[1], out }
}
