/**
 * The waterfall's time axis (tick labels, the range being dragged, the two runs' labels in
 * side-by-side compare) and the gridlines and "now" line behind the rows.
 */
import { el, setText, toggleClass } from './dom';
import { msToX, timeTicks, type TimeWindow } from './layout';

export const SIDE_GAP = 12;
export const CHAR_PX = 6.6;

export class Axis {
  readonly el: HTMLDivElement;
  readonly rangeBox: HTMLDivElement;
  readonly grid: HTMLDivElement;
  private readonly ticks: HTMLDivElement;
  private readonly nowLine: HTMLDivElement;
  private readonly sideLabels: HTMLSpanElement[];
  private tickEls: HTMLDivElement[] = [];
  private gridEls: HTMLDivElement[] = [];

  constructor() {
    this.el = el('div', 'wf-axis');
    this.el.title = 'Drag to zoom to a time range';
    this.ticks = el('div', 'wf-axis-ticks');
    this.rangeBox = el('div', 'wf-range');
    this.sideLabels = [el('span', 'wf-side-label', 'baseline'), el('span', 'wf-side-label', 'this run')];
    this.el.append(this.ticks, ...this.sideLabels, this.rangeBox);
    this.grid = el('div', 'wf-grid');
    this.nowLine = el('div', 'wf-now');
    this.grid.appendChild(this.nowLine);
  }

  /** Lay the axis and grid over a lane `laneLeft` px from the left, `laneWidth` wide; `w` is one run's half in side-by-side. */
  place(laneLeft: number, laneWidth: number): void {
    this.el.style.width = `${laneWidth}px`;
    this.grid.style.left = `${laneLeft}px`;
    this.grid.style.width = `${laneWidth}px`;
  }

  render(view: TimeWindow, laneWidth: number, w: number, side: boolean, now: number | null): void {
    const ticks = timeTicks(view, w, 90);
    const all = side ? [...ticks, ...ticks.map((t) => ({ ...t, x: t.x + w + SIDE_GAP }))] : ticks;
    while (this.tickEls.length < all.length) {
      const t = el('div', 'tick');
      t.appendChild(el('span', 'tick-label'));
      this.ticks.appendChild(t);
      this.tickEls.push(t);
      const g = el('div', 'gl');
      this.grid.insertBefore(g, this.nowLine);
      this.gridEls.push(g);
    }
    for (let i = 0; i < this.tickEls.length; i++) {
      const t = this.tickEls[i]!;
      const g = this.gridEls[i]!;
      const tick = all[i];
      const show = !!tick && tick.x >= -1 && tick.x <= laneWidth + 1;
      t.hidden = !show;
      g.hidden = !show;
      if (!tick || !show) continue;
      const left = `${tick.x.toFixed(1)}px`;
      t.style.left = left;
      g.style.left = left;
      setText(t.firstChild!, tick.label);
      // A label that would run past the lane's (or its half's) right edge is left out.
      const edge = side && i < ticks.length ? w : laneWidth;
      (t.firstChild as HTMLElement).hidden = tick.x + tick.label.length * CHAR_PX + 6 > edge;
    }
    // The "now" line while the run is live.
    this.nowLine.hidden = now === null || side;
    if (now !== null && !side) this.nowLine.style.left = `${msToX(now, view, w).toFixed(1)}px`;
    toggleClass(this.el, 'side', side);
    this.sideLabels[0]!.hidden = !side;
    this.sideLabels[1]!.hidden = !side;
    if (side) this.sideLabels[1]!.style.left = `${(w + SIDE_GAP).toFixed(1)}px`;
  }
}
