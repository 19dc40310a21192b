/**
 * Minimal inline-SVG line charts for the HTML report. Hand-written because the page must open offline with
 * no external assets, and an inlined charting library would be hundreds of kilobytes for a few polylines.
 */

/** One line of a chart. */
export interface Line {
  name: string
  points: Array<[number, number]>
  color: string
  dashed?: boolean
}
/**
 * A horizontal line: a target (dashed), a goal (dotted: an aim, never failing the run), or a reference such as a
 * judged figure or a same-run baseline (solid, thin). Colour: green met, red missed (targets and goals), grey else.
 */
export interface HLine {
  y: number
  label: string
  color?: string
  kind?: 'target' | 'goal' | 'reference'
}

const DASH: Record<NonNullable<HLine['kind']>, string> = {
  target: ' stroke-dasharray="6 4" stroke-width="1.5"',
  goal: ' stroke-dasharray="1 4" stroke-width="2.5" stroke-linecap="round"',
  reference: ' stroke-width="1"'
}

/** Chart options. */
export interface ChartOptions {
  title: string
  xLabel: string
  yLabel: string
  lines: Line[]
  hlines?: HLine[]
  /** Tick labels for x (value -> label); default: 5 evenly spaced numbers. */
  xTicks?: Array<[number, string]>
  /** Log-scale y axis. */
  yLog?: boolean
  width?: number
  height?: number
}

/** Escapes text for HTML and SVG. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

const num = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toPrecision(2))

/** Renders a chart as an <svg> element. */
export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 640
  const H = o.height ?? 300
  const L = 64
  const R = 150
  const T = 28
  const B = 44
  const pts = o.lines.flatMap((l) => l.points)
  const ys = [...pts.map((p) => p[1]), ...(o.hlines ?? []).map((h) => h.y)].filter((v) => Number.isFinite(v) && (!o.yLog || v > 0))
  const xs = pts.map((p) => p[0]).filter(Number.isFinite)
  if (xs.length === 0 || ys.length === 0) return `<p class="empty">${esc(o.title)}: no data</p>`
  const x0 = Math.min(...xs)
  const x1 = Math.max(...xs, x0 + 1e-9)
  let y0 = o.yLog ? Math.min(...ys) : 0
  let y1 = Math.max(...ys)
  if (o.yLog) {
    y0 = 10 ** Math.floor(Math.log10(y0))
    y1 = 10 ** Math.ceil(Math.log10(y1 * 1.01))
  } else y1 = y1 * 1.1 || 1
  const fy = (v: number): number => (o.yLog ? Math.log10(Math.max(v, y0)) : v)
  const sx = (v: number): number => L + ((v - x0) / (x1 - x0)) * (W - L - R)
  const sy = (v: number): number => T + (1 - (fy(v) - fy(y0)) / (fy(y1) - fy(y0) || 1)) * (H - T - B)
  const parts: string[] = []
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">`)
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/><text x="${L}" y="18" font-size="14" font-weight="bold">${esc(o.title)}</text>`)
  // Axes and grid.
  const yTicks = o.yLog
    ? Array.from({ length: Math.round(Math.log10(y1 / y0)) + 1 }, (_, i) => y0 * 10 ** i)
    : Array.from({ length: 5 }, (_, i) => (y1 * i) / 4)
  for (const v of yTicks)
    parts.push(
      `<line x1="${L}" x2="${W - R}" y1="${sy(v)}" y2="${sy(v)}" stroke="#ddd"/><text x="${L - 6}" y="${sy(v) + 4}" font-size="11" text-anchor="end">${num(v)}</text>`
    )
  const xTicks =
    o.xTicks ??
    Array.from({ length: 5 }, (_, i): [number, string] => {
      const v = x0 + ((x1 - x0) * i) / 4
      return [v, num(v)]
    })
  for (const [v, label] of xTicks)
    if (v >= x0 && v <= x1)
      parts.push(
        `<line x1="${sx(v)}" x2="${sx(v)}" y1="${T}" y2="${H - B}" stroke="#eee"/><text x="${sx(v)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${esc(label)}</text>`
      )
  parts.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>`)
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" font-size="12" text-anchor="middle">${esc(o.xLabel)}</text>`)
  parts.push(`<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(o.yLabel)}</text>`)
  // Targets.
  for (const h of o.hlines ?? []) {
    if (!(h.y >= y0 && h.y <= y1)) continue
    const kind = h.kind ?? 'target'
    const color = h.color ?? (kind === 'reference' ? '#666' : '#c00')
    parts.push(
      `<line class="${kind}" data-label="${esc(h.label)}" x1="${L}" x2="${W - R}" y1="${sy(h.y)}" y2="${sy(h.y)}" stroke="${color}"${DASH[kind]}/><text x="${W - R + 4}" y="${sy(h.y) + 4}" font-size="11" fill="${color}">${esc(h.label)}</text>`
    )
  }
  // Lines and legend.
  o.lines.forEach((l, i) => {
    const d = l.points
      .filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]))
      .map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`)
      .join(' ')
    parts.push(
      `<polyline class="series" data-name="${esc(l.name)}" fill="none" stroke="${l.color}" stroke-width="2"${l.dashed === true ? ' stroke-dasharray="3 3"' : ''} points="${d}"/>`
    )
    parts.push(
      `<rect x="${W - R + 8}" y="${T + 8 + i * 18}" width="12" height="3" fill="${l.color}"/><text x="${W - R + 24}" y="${T + 13 + i * 18}" font-size="11">${esc(l.name)}</text>`
    )
  })
  parts.push('</svg>')
  return parts.join('')
}
