/**
 * Pure layout math for the timeline: the time axis, zoom/pan windows, virtualisation, and
 * tick labels and counts (durations are src/shared/format.ts's). No DOM here — unit-tested in
 * plain node. (The tree, rows, search and critical path are in tree.ts.)
 */
import { hoursMinutesSeconds, trimZeros } from '../src/shared/format';

// ---------------------------------------------------------------------------------------
// Time

export interface TimeWindow {
  start: number;
  end: number;
}

/** Smallest window span (ms): 10 µs. */
const MIN_SPAN_MS = 0.01;

/** The "nice" step (1, 2 or 5 × 10^k ms) at or above `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const exp = Math.floor(Math.log10(raw));
  const base = 10 ** exp;
  const f = raw / base;
  const m = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10;
  return m * base;
}

export interface Tick {
  ms: number;
  x: number;
  label: string;
}

/** Axis ticks for the window at roughly `minGapPx` apart, labelled to the step's precision. */
const SECOND_STEPS = [1, 2, 5, 10, 15, 30].map((s) => s * 1000);
const MINUTE_STEPS = [1, 2, 5, 10, 15, 30].map((m) => m * 60_000);
const HOUR_STEPS = [1, 2, 3, 6, 12, 24].map((h) => h * 3_600_000);

/** A tick step for people: 1-2-5 below a second, then 15 s / 30 s / 5 min… clock steps. */
function timeStep(raw: number): number {
  if (raw <= 1000) return niceStep(raw);
  for (const steps of [SECOND_STEPS, MINUTE_STEPS, HOUR_STEPS]) for (const s of steps) if (s >= raw) return s;
  return niceStep(raw / 86_400_000) * 86_400_000;
}

export function timeTicks(win: TimeWindow, widthPx: number, minGapPx = 90): Tick[] {
  const span = win.end - win.start;
  if (!(span > 0) || !(widthPx > 0)) return [];
  const step = timeStep((span * minGapPx) / widthPx);
  const first = Math.ceil(win.start / step - 1e-9) * step;
  const ticks: Tick[] = [];
  for (let i = 0; i < 1000; i++) {
    const ms = first + i * step;
    if (ms > win.end + 1e-9) break;
    const clean = Math.abs(ms) < step * 1e-6 ? 0 : ms;
    ticks.push({ ms: clean, x: ((clean - win.start) / span) * widthPx, label: formatTick(clean, step) });
  }
  return ticks;
}

function decimalsFor(step: number, unit: number): number {
  const v = step / unit;
  return v >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(v) - 1e-9));
}

/** A tick label: unit chosen by the step, decimals enough to tell neighbours apart. */
function formatTick(ms: number, step: number): string {
  if (ms === 0) return '0';
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (step < 1) return sign + trimZeros(a.toFixed(decimalsFor(step, 1))) + ' ms';
  if (step < 1000) return sign + trimZeros(a.toFixed(0)) + ' ms';
  if (a < 60_000) return sign + trimZeros((a / 1000).toFixed(decimalsFor(step, 1000))) + ' s';
  const { h, m, s } = hoursMinutesSeconds(Math.round(a / 1000));
  const parts = [h ? `${h}h` : '', m || (!h && !s) ? `${m}m` : '', s ? `${s}s` : ''];
  return sign + parts.filter(Boolean).join(' ');
}

/** The whole run with a little air on both sides. */
export function fitWindow(bounds: TimeWindow, pad = 0.02): TimeWindow {
  const span = Math.max(bounds.end - bounds.start, MIN_SPAN_MS);
  return { start: bounds.start - span * pad, end: bounds.end + span * pad };
}

/** Keep a window within the run (with a margin) and no narrower than MIN_SPAN_MS. */
export function clampWindow(win: TimeWindow, bounds: TimeWindow): TimeWindow {
  const total = Math.max(bounds.end - bounds.start, MIN_SPAN_MS);
  const maxSpan = total * 1.5;
  let span = Math.min(Math.max(win.end - win.start, MIN_SPAN_MS), maxSpan);
  if (!Number.isFinite(span)) span = total;
  const margin = 0.05 * Math.max(total, span);
  let start = Number.isFinite(win.start) ? win.start : bounds.start;
  const lo = bounds.start - margin;
  const hi = bounds.end + margin - span;
  if (hi < lo) start = (bounds.start + bounds.end) / 2 - span / 2;
  else start = Math.min(Math.max(start, lo), hi);
  return { start, end: start + span };
}

/** Zoom by `factor` (> 1 zooms in) keeping `anchorMs` where it is on screen. */
export function zoomWindow(win: TimeWindow, factor: number, anchorMs: number, bounds: TimeWindow): TimeWindow {
  const span = win.end - win.start;
  const next = span / factor;
  const frac = span > 0 ? (anchorMs - win.start) / span : 0.5;
  return clampWindow({ start: anchorMs - frac * next, end: anchorMs - frac * next + next }, bounds);
}

export function panWindow(win: TimeWindow, deltaMs: number, bounds: TimeWindow): TimeWindow {
  return clampWindow({ start: win.start + deltaMs, end: win.end + deltaMs }, bounds);
}

/** Window covering [a, b] (either order), clamped. */
export function rangeWindow(a: number, b: number, bounds: TimeWindow): TimeWindow {
  return clampWindow({ start: Math.min(a, b), end: Math.max(a, b) }, bounds);
}

export const msToX = (ms: number, win: TimeWindow, width: number): number => ((ms - win.start) / (win.end - win.start)) * width;
export const xToMs = (x: number, win: TimeWindow, width: number): number => win.start + (x / Math.max(width, 1)) * (win.end - win.start);

/**
 * A bar's pixel box in a `width`-wide lane, clipped to a little outside the lane so huge
 * zoom factors never produce huge pixel values; at least `minPx` wide.
 */
export function barBox(startMs: number, endMs: number, win: TimeWindow, width: number, minPx = 2): { x: number; w: number } {
  let x0 = msToX(startMs, win, width);
  let x1 = msToX(endMs, win, width);
  if (x1 - x0 < minPx) x1 = x0 + minPx;
  x0 = Math.max(x0, -8);
  x1 = Math.min(x1, width + 8);
  return { x: x0, w: Math.max(x1 - x0, 0) };
}

// ---------------------------------------------------------------------------------------
// Virtualisation

/** Rows to materialise for a scroll position: [first, last) with `overscan` rows either side. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  rowCount: number,
  overscan = 6,
): { first: number; last: number } {
  if (rowCount <= 0 || rowHeight <= 0) return { first: 0, last: 0 };
  const top = Math.max(0, scrollTop);
  const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const last = Math.min(rowCount, Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight) + overscan);
  return { first: Math.min(first, last), last };
}

/** scrollTop that brings row `index` into view (unchanged when it already is). */
export function scrollToReveal(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const y = index * rowHeight;
  if (y < scrollTop) return y;
  if (y + rowHeight > scrollTop + viewportHeight) return Math.max(0, y + rowHeight - viewportHeight);
  return scrollTop;
}

/**
 * 12345 → "12,345". Not toLocaleString: its first call initialises ICU's number formats,
 * ~8 ms of the first frame.
 */
export function formatCount(n: number): string {
  const s = String(Math.trunc(n));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Local wall-clock time "2026-03-04 09:05:07" (no Intl: its first call costs the first frame ~8 ms). */
export function formatStarted(epochMs: number): string {
  const d = new Date(epochMs);
  if (Number.isNaN(d.getTime())) return '?';
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
