/**
 * The metrics track under the time axis: one small chart per metric series the run has
 * (a line for gauges, steps for sums), on the waterfall's time scale — it zooms and pans with
 * it, and Ctrl/⌘+wheel or Shift+wheel over it zoom and pan the same window. Hovering shows
 * the value and time of the nearest point. At most MAX_METRIC_SERIES series are drawn; the
 * rest are named in a "+N more" line. Hidden when the run has no metrics.
 */
import { formatDuration } from '../src/shared/format';
import type { MetricSeriesView, SignalsView } from '../src/shared/protocol';
import { el, setText } from './dom';
import { msToX, xToMs, type TimeWindow } from './layout';

const SVG = 'http://www.w3.org/2000/svg';
const ROW_H = 26;
const PAD = 3;

export interface TrackEvents {
  zoom(factor: number, anchorMs: number): void;
  pan(deltaMs: number): void;
}

/** A value with its unit, short: bytes in KB/MB/GB, others to 3 significant digits. */
function formatValue(v: number, unit: string | null): string {
  if (unit === 'By' || unit === 'bytes') {
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let x = Math.abs(v);
    let i = 0;
    while (x >= 1024 && i < units.length - 1) {
      x /= 1024;
      i++;
    }
    return `${v < 0 ? '-' : ''}${x >= 100 || i === 0 ? Math.round(x) : x.toFixed(1)} ${units[i]}`;
  }
  const n = Math.abs(v) >= 1000 || Number.isInteger(v) ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(3)));
  return unit && unit !== '1' ? `${n} ${unit.replace(/^\{(.*)\}$/, '$1')}` : n;
}

/** Index of the point nearest to time `ms` (t sorted ascending, not empty). */
function nearest(t: readonly number[], ms: number): number {
  let lo = 0;
  let hi = t.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid]! < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && ms - t[lo - 1]! < t[lo]! - ms ? lo - 1 : lo;
}

interface Row {
  root: HTMLDivElement;
  label: HTMLDivElement;
  plot: HTMLDivElement;
  svg: SVGSVGElement;
  path: SVGPathElement;
  dot: HTMLDivElement;
  hover: HTMLDivElement;
  series: MetricSeriesView | null;
}

export class MetricsTrack {
  readonly root: HTMLDivElement;
  private readonly more: HTMLDivElement;
  private rows: Row[] = [];
  private view: TimeWindow = { start: 0, end: 1 };
  private width = 1;
  private drawn = '';

  constructor(private readonly ev: TrackEvents) {
    this.root = el('div', 'wf-metrics');
    this.root.setAttribute('role', 'group');
    this.root.setAttribute('aria-label', 'Metrics');
    this.root.hidden = true;
    this.more = el('div', 'mt-more');
    this.root.appendChild(this.more);
    this.root.addEventListener(
      'wheel',
      (e) => {
        const x = this.localX(e.clientX);
        if (x === null) return;
        const span = this.view.end - this.view.start;
        if (e.ctrlKey || e.metaKey) {
          e.preventDefault();
          this.ev.zoom(Math.exp(-e.deltaY * 0.0025), xToMs(x, this.view, this.width));
        } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
          e.preventDefault();
          this.ev.pan(((e.deltaX || e.deltaY) / Math.max(this.width, 1)) * span);
        }
      },
      { passive: false },
    );
  }

  private localX(clientX: number): number | null {
    const plot = this.rows[0]?.plot;
    if (!plot) return null;
    return clientX - plot.getBoundingClientRect().left;
  }

  private row(i: number): Row {
    let r = this.rows[i];
    if (r) return r;
    const root = el('div', 'mt-row');
    const label = el('div', 'mt-label');
    const plot = el('div', 'mt-plot');
    const svg = document.createElementNS(SVG, 'svg');
    const path = document.createElementNS(SVG, 'path');
    svg.appendChild(path);
    const dot = el('div', 'mt-dot');
    const hover = el('div', 'mt-hover');
    dot.hidden = hover.hidden = true;
    plot.append(svg, dot, hover);
    root.append(label, plot);
    this.root.insertBefore(root, this.more);
    r = { root, label, plot, svg, path, dot, hover, series: null };
    const row = r;
    plot.addEventListener('pointermove', (e) => this.hoverAt(row, e.clientX - plot.getBoundingClientRect().left));
    plot.addEventListener('pointerleave', () => (row.dot.hidden = row.hover.hidden = true));
    this.rows.push(r);
    return r;
  }

  private hoverAt(r: Row, x: number): void {
    const s = r.series;
    if (!s || !s.t.length) return;
    const i = nearest(s.t, xToMs(x, this.view, this.width));
    const px = msToX(s.t[i]!, this.view, this.width);
    const [lo, hi] = extent(s.v);
    r.dot.hidden = r.hover.hidden = false;
    r.dot.style.left = `${px.toFixed(1)}px`;
    r.dot.style.top = `${yOf(s.v[i]!, lo, hi).toFixed(1)}px`;
    setText(r.hover, `${formatValue(s.v[i]!, s.unit)} at +${formatDuration(s.t[i]!)}`);
    r.hover.style.left = `${Math.min(px + 8, Math.max(this.width - 160, 0)).toFixed(1)}px`;
  }

  /** Draw the series of `signals` over a lane `laneLeft` px from the left, `width` wide. */
  render(signals: SignalsView | null, version: number, view: TimeWindow, laneLeft: number, width: number): void {
    const series = signals?.metrics ?? [];
    this.root.hidden = series.length === 0;
    if (!series.length) return;
    const key = `${version}|${view.start}|${view.end}|${laneLeft}|${width}`;
    if (key === this.drawn) return;
    this.drawn = key;
    this.view = view;
    this.width = width;
    series.forEach((s, i) => this.draw(this.row(i), s, laneLeft, width));
    for (let i = series.length; i < this.rows.length; i++) this.rows[i]!.root.hidden = true;
    const more = signals?.moreMetrics ?? [];
    this.more.hidden = more.length === 0;
    setText(this.more, more.length ? `+${more.length} more: ${more.join(', ')}` : '');
    this.more.style.paddingLeft = `${laneLeft}px`;
  }

  private draw(r: Row, s: MetricSeriesView, laneLeft: number, width: number): void {
    r.series = s;
    r.root.hidden = false;
    r.label.style.width = `${laneLeft}px`;
    const last = s.v.length ? formatValue(s.v[s.v.length - 1]!, s.unit) : '';
    setText(r.label, `${s.name}${s.label ? ` {${s.label}}` : ''}  ${last}`);
    r.label.title = `${s.name}${s.label ? ` {${s.label}}` : ''} (${s.kind}${s.unit ? `, ${s.unit}` : ''}): ${s.v.length} points`;
    r.plot.style.width = `${width}px`;
    r.plot.setAttribute('aria-label', `${s.name}: ${s.v.length} points, last ${last}`);
    r.svg.setAttribute('width', String(width));
    r.svg.setAttribute('height', String(ROW_H));
    const [lo, hi] = extent(s.v);
    let d = '';
    let prevY = 0;
    for (let i = 0; i < s.t.length; i++) {
      const x = msToX(s.t[i]!, this.view, width).toFixed(1);
      const y = yOf(s.v[i]!, lo, hi);
      if (i === 0) d = `M${x},${y.toFixed(1)}`;
      else d += s.kind === 'sum' ? `H${x}V${y.toFixed(1)}` : `L${x},${y.toFixed(1)}`;
      prevY = y;
    }
    if (s.t.length === 1) d += `H${(msToX(s.t[0]!, this.view, width) + 2).toFixed(1)}V${prevY.toFixed(1)}`;
    r.path.setAttribute('d', d);
    r.path.setAttribute('class', `mt-line mt-${s.kind}`);
  }
}

function extent(v: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

const yOf = (v: number, lo: number, hi: number): number => PAD + (1 - (v - lo) / (hi - lo)) * (ROW_H - 2 * PAD);
