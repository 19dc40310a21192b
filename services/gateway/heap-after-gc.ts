/**
 * The live heap: V8's used heap measured right after each major (mark-sweep-compact) collection. The used
 * heap at an arbitrary moment includes garbage not yet collected, so it climbs in a sawtooth between
 * collections and, early in a run, while V8 sizes its old generation; the figure after a full collection is
 * what survives, the standard signal of a leak (Go reports its heap this way). `lucid chaos --suite soak`
 * fits it. The GC observer's callback runs just after the collection, so the reading adds only what was
 * allocated in between.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'

/** What the observer has seen. */
export interface HeapAfterGc {
  /** Used heap bytes after the last major collection (undefined before the first). */
  readonly lastBytes: number | undefined
  /** Major collections observed. */
  readonly majorCount: number
}

let state: { lastBytes: number | undefined, majorCount: number } | undefined

/** Starts observing this process's major collections (once per process) and returns the readings. */
export function heapAfterGc (): HeapAfterGc {
  if (state === undefined) {
    const s: { lastBytes: number | undefined, majorCount: number } = { lastBytes: undefined, majorCount: 0 }
    state = s
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (e as { detail?: { kind?: number } }).detail?.kind
        if (kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue
        s.majorCount++
        s.lastBytes = getHeapStatistics().used_heap_size
      }
    })
    obs.observe({ entryTypes: ['gc'] })
    // An observer keeps nothing alive by itself; say so explicitly for the reader.
    ;(obs as unknown as { unref?: () => void }).unref?.()
  }
  return state
}
