/**
 * A row's bars in the time lane (this run's, and the baseline's in compare) and the
 * duration label beside them, and the mark of a span with log records.
 */
import { setText, toggleClass } from './dom';
import { SIDE_GAP, CHAR_PX } from './axis';
import { barBox } from './layout';
import { formatDuration } from '../src/shared/format';
import { SPAN_STATUSES } from '../src/shared/status';
import { severityName } from '../src/shared/protocol';
import { ST_INCOMPLETE, ST_NONE, ST_RUNNING, type Lane } from './model';
import type { Frame } from './frame';

/** A bar's class per span status code: `st-ok`, `st-error`, `st-running`, `st-incomplete`. */
export const STATUS_CLASS = SPAN_STATUSES.map((s) => `st-${s.toLowerCase()}`);

export interface BarEls {
  barA: HTMLDivElement;
  barB: HTMLDivElement;
  text: HTMLSpanElement;
  /** The mark of a span with log records, coloured by the highest severity among them. */
  mark: HTMLSpanElement;
}

/** Mark this run's bar at `p` when its span has log records (count in the tooltip and label). */
function placeMark(els: BarEls, p: number, f: Frame, box: Box | null): void {
  const id = f.model.spanAt[p]?.id;
  const logs = box && id !== undefined ? f.model.signals?.marks[id] : undefined;
  const mark = els.mark;
  if (!logs || !box) {
    if (!mark.hidden) {
      mark.hidden = true;
      els.barB.removeAttribute('title');
    }
    return;
  }
  const level = severityName(logs.maxSeverity);
  const text = `${logs.count} log record${logs.count === 1 ? '' : 's'}, highest ${level}`;
  mark.hidden = false;
  mark.className = `lmark sev-${level}`;
  mark.style.left = `${Math.max(box.x, 0).toFixed(1)}px`;
  if (mark.title !== text) {
    mark.title = text;
    mark.setAttribute('aria-label', text);
    els.barB.title = text;
  }
}

type Box = { x: number; w: number };

function placeBar(
  bar: HTMLDivElement,
  variant: 'bar-a' | 'bar-b',
  lane: Lane,
  p: number,
  f: Frame,
  offsetX: number,
  width: number,
): Box | null {
  const st = lane.status[p]!;
  if (st === ST_NONE) {
    if (bar.style.display !== 'none') bar.style.display = 'none';
    return null;
  }
  const box = barBox(lane.start[p]!, f.model.endIn(lane, p), f.view, width);
  if (bar.style.display !== 'block') bar.style.display = 'block';
  const l = `${(box.x + offsetX).toFixed(1)}px`;
  const w = `${box.w.toFixed(1)}px`;
  if (bar.style.left !== l) bar.style.left = l;
  if (bar.style.width !== w) bar.style.width = w;
  const cls = `bar ${variant} ${STATUS_CLASS[st]}${st === ST_RUNNING || st === ST_INCOMPLETE ? ' open' : ''}`;
  if (bar.className !== cls) bar.className = cls;
  return { x: box.x + offsetX, w: box.w };
}

/** Place the bars of position `p`; `laneWidth` is the whole lane, `w` one run's half in side-by-side. */
export function renderBars(els: BarEls, p: number, f: Frame, laneWidth: number, w: number): void {
  const m = f.model;
  const side = m.comparing && f.layout === 'side';
  let boxA: Box | null = null;
  if (m.laneA) boxA = placeBar(els.barA, 'bar-a', m.laneA, p, f, 0, w);
  else if (els.barA.style.display !== 'none') els.barA.style.display = 'none';
  const boxB = placeBar(els.barB, 'bar-b', m.lane, p, f, side ? w + SIDE_GAP : 0, w);
  placeMark(els, p, f, boxB);
  // Label this run's bar (or the baseline's when only it has the step): right of the
  // bar, else left of it, else inside — within the bar's own half in side-by-side.
  const useB = boxB !== null;
  const lane = useB ? m.lane : m.laneA;
  let box = useB ? boxB : boxA;
  if (box && boxA && boxB && !side) {
    // Overlay: keep the label clear of both runs' bars.
    const x0 = Math.min(boxA.x, boxB.x);
    box = { x: x0, w: Math.max(boxA.x + boxA.w, boxB.x + boxB.w) - x0 };
  }
  const text = els.text;
  if (!lane || !box) {
    if (text.textContent) text.textContent = '';
    return;
  }
  const lo = side && useB ? w + SIDE_GAP : 0;
  const limit = side && !useB ? w : laneWidth;
  const dur = lane.dur[p]!;
  const st = lane.status[p]!;
  const label = Number.isNaN(dur)
    ? st === ST_RUNNING
      ? `${formatDuration(f.now - lane.start[p]!)} …`
      : !m.comparing && m.run?.status === 'CANCELLED'
        ? 'stopped'
        : 'never ended'
    : formatDuration(dur);
  setText(text, label);
  const tw = label.length * CHAR_PX + 8;
  let x: number;
  let inside = false;
  if (box.x + box.w + tw <= limit) x = box.x + box.w + 4;
  else if (box.x - tw >= lo) x = box.x - tw + 2;
  else if (st === ST_INCOMPLETE || m.comparing) {
    // No readable place (hatched bar, or two bars on one row): the delta column and the
    // detail panel carry the numbers.
    if (text.textContent) text.textContent = '';
    return;
  } else {
    x = Math.max(box.x, 0) + 4;
    inside = true;
  }
  text.style.left = `${x.toFixed(1)}px`;
  toggleClass(text, 'inside', inside);
}
