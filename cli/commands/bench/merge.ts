/**
 * `lucid merge A.json B.json ... [--json F] [--html F]`: several `lucid load --json` reports of one scenario
 * (typically from several load machines at once) become one judged report: histograms added, counts summed,
 * each source's conditions listed. The scenario's targets decide the exit code, as for `lucid load`.
 */
import { readFileSync } from 'node:fs'
import { parseFlags } from '../../args.ts'
import { errors } from '../../../services/common/errors.ts'
import { loadHtmlOptions } from '../../../load/report/html.ts'
import { assertWritable, humanOutput, writeReportFiles } from '../../output.ts'
import { captureEnv, finishEnv } from '../../../harness/env.ts'
import { renderTable } from '../../../harness/report/console.ts'
import { exitCode } from '../../../harness/verdict.ts'
import { mergeLoadReports, type MergeSource } from '../../../load/merge.ts'
import { renderLocustTables } from '../../../load/report/locust.ts'
import type { EndpointStats } from '../../../load/users/stats.ts'

/** Usage of `lucid merge`. */
export const MERGE_USAGE = `lucid merge A.json B.json ... [--json F] [--html F]

Merges 'lucid load --json' reports of the same scenario, time scale and duration (for example one per load
machine, run at the same time against one gateway) into the report of one run over all their requests: each
endpoint's HDR histograms are added (percentiles are never averaged), counts summed, requests/s is all requests
over the common run time, and every source's conditions are listed (conditions.source_N, and 'sources' in the
JSON). Prints the Locust tables and the judged targets of the merged run.
  --json F  --html F   the merged report (lucid-bench/1) and its HTML page; --json -: the JSON on stdout,
                       everything else on stderr
  -q, --quiet          print nothing but errors
Refused (exit 2, LUCID_ERR_9010): runs of different scenarios, time scales or durations, and reports without
histograms (Locust runs, or runs made before lucid load kept them).
Exit codes: 0 the scenario's targets met, 1 one missed, 2 usage error or runs that cannot be merged, 3 a target
could not be judged.`

/** Runs `lucid merge`; returns the exit code. */
export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, 'merge', {
    allowPositionals: true,
    options: { json: { type: 'string' }, html: { type: 'string' }, quiet: { type: 'boolean', short: 'q' }, help: { type: 'boolean', short: 'h' } }
  })
  if (values.help === true) {
    process.stdout.write(`${MERGE_USAGE}\n`)
    return 0
  }
  if (positionals.length < 2) throw new errors.Usage('lucid merge needs two or more lucid load --json reports')
  if (values.json !== undefined) assertWritable(values.json, '--json')
  if (values.html !== undefined) assertWritable(values.html, '--html')
  const env = captureEnv()
  const sources: MergeSource[] = positionals.map((file) => {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new errors.MalformedReport(`${file}: ${(err as Error).message}`)
    }
    try {
      return { file, report: JSON.parse(text) as unknown }
    } catch (err) {
      throw new errors.MalformedReport(`${file}: not JSON (${(err as Error).message})`)
    }
  })
  const report = mergeLoadReports(sources, finishEnv(env))
  const entry = report.results[0]!
  const human = humanOutput(values)
  human.say(`merged ${sources.length} runs of ${entry.id}: ${sources.map((s) => s.file).join(', ')}\n`)
  human.say(`\n${renderLocustTables((entry.endpoints ?? []) as EndpointStats[], 'from the merged HDR histograms')}\n\n${renderTable(report)}\n`)
  writeReportFiles(report, values, human, loadHtmlOptions(report))
  return exitCode(report.verdict, 'full')
}
