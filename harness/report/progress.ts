/**
 * Progress of a long run on stderr: a live line on a TTY, a line every few seconds otherwise (CI logs).
 */
import type { RunEvent } from '../runner.ts'

/** Returns an event handler that prints progress to `stream`. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr, everyMs = 5000): (e: RunEvent) => void {
  const tty = stream.isTTY === true
  let lastPrint = 0
  let current = ''
  const write = (text: string, force = false): void => {
    if (tty) {
      stream.write(`\r\x1b[K${text.slice(0, (stream.columns ?? 100) - 1)}`)
      return
    }
    const now = Date.now()
    if (force || now - lastPrint >= everyMs) {
      stream.write(`${text}\n`)
      lastPrint = now
    }
  }
  return (e) => {
    switch (e.type) {
      case 'case-start':
        current = `[${e.index + 1}/${e.total}] ${e.id}${e.repeats > 1 ? ` (repeat ${e.repeat}/${e.repeats})` : ''}`
        write(`${current} ...`, true)
        break
      case 'progress':
        write(`${current}: ${e.text}`)
        break
      case 'case-end': {
        const v = e.entry.verdict
        const text = `${current}: ${v}${e.entry.reason !== undefined ? ` (${e.entry.reason})` : ''} in ${e.entry.duration_s.toFixed(1)} s`
        if (tty) stream.write(`\r\x1b[K${text}\n`)
        else stream.write(`${text}\n`)
        lastPrint = Date.now()
        break
      }
    }
  }
}
