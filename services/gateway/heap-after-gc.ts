/**
 * The live heap: V8's used heap measured right after each major (mark-sweep-compact) collection. The used
 * heap at an arbitrary moment includes garbage not yet collected, so it climbs in a sawtooth between
 * collections and, early in a run, while V8 sizes its old generation; the figure after a full collection is
 * what survives, the standard signal of a leak (Go reports its heap this way). `lucid chaos --suite soak`
 * fits it. The GC observer's callback runs just after the collection, so the reading adds only what was
 * allocated in between.
 *
 * Part of that heap is compiled code (machine code, bytecode and their metadata: deoptimisation data,
 * relocation info, source positions), which grows for many minutes while V8 compiles and optimises more of
 * the program as traffic reaches it, and stops once the program's functions are compiled. It is read beside
 * the total (v8.getHeapCodeStatistics) so that the soak can judge the data a program retains apart from the
 * code V8 generated for it. That call walks the code space: ~1 ms in a fresh process but ~10 ms in a running
 * gateway (measured, issue 27), all of it on the event loop. It is therefore made at most once per
 * CODE_STATS_EVERY_MS of the collections' own timestamps (no clock read of its own); code grows over minutes,
 * and the soak samples every few seconds.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks'
import { getHeapCodeStatistics, getHeapStatistics } from 'node:v8'

/** What the observer has seen. */
export interface HeapAfterGc {
  /** Used heap bytes after the last major collection (undefined before the first). */
  readonly lastBytes: number | undefined
  /** Of lastBytes, compiled code, bytecode and their metadata (undefined before the first). */
  readonly lastCodeBytes: number | undefined
  /** Major collections observed. */
  readonly majorCount: number
}

interface State {
  lastBytes: number | undefined
  lastCodeBytes: number | undefined
  majorCount: number
}

let state: State | undefined

/** Least time between two readings of the code statistics, ms. */
const CODE_STATS_EVERY_MS = 5_000

/** Starts observing this process's major collections (once per process) and returns the readings. */
export function heapAfterGc(): HeapAfterGc {
  if (state === undefined) {
    const s: State = { lastBytes: undefined, lastCodeBytes: undefined, majorCount: 0 }
    state = s
    let codeReadAt = Number.NEGATIVE_INFINITY
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (e as { detail?: { kind?: number } }).detail?.kind
        if (kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue
        s.majorCount++
        s.lastBytes = getHeapStatistics().used_heap_size
        if (e.startTime - codeReadAt < CODE_STATS_EVERY_MS) continue
        codeReadAt = e.startTime
        const code = getHeapCodeStatistics()
        s.lastCodeBytes = code.code_and_metadata_size + code.bytecode_and_metadata_size
      }
    })
    // An observer keeps no handle open: the process exits as if it were not there.
    obs.observe({ entryTypes: ['gc'] })
  }
  return state
}
