/**
 * `--hgrm DIR`: one HdrHistogram percentile-distribution file per case and histogram, in milliseconds, the
 * format HdrHistogram's plotter (hdrhistogram.github.io/HdrHistogram/plotFiles.html) reads.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeHistogram } from '../stats/histogram.ts'
import type { Report } from './schema.ts'

/** Writes the files; returns their paths. */
export function writeHgrm(report: Report, dir: string): string[] {
  const out: string[] = []
  for (const r of report.results) {
    for (const [name, encoded] of Object.entries(r.histograms ?? {})) {
      const h = decodeHistogram(encoded)
      if (h.totalCount === 0) continue
      const file = join(dir, `${r.id}.${name}.hgrm`)
      // Values are recorded in µs; a scaling ratio of 1000 prints them in ms.
      writeFileSync(file, h.outputPercentileDistribution(5, 1000))
      out.push(file)
    }
  }
  return out
}
