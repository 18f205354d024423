/**
 * The waterfall's pointer and wheel gestures: click / double-click / twisty on rows, drag
 * on the lanes to pan, ctrl+wheel to zoom at the cursor, shift+wheel to pan, drag on the
 * axis to zoom to a range, and the names column's sash.
 */
import { xToMs } from './layout';
import type { Frame } from './frame';
import type { WaterfallEvents } from './waterfall';

/** What the gestures need of the waterfall. */
export interface GestureHost {
  readonly root: HTMLElement;
  readonly scroller: HTMLElement;
  readonly body: HTMLElement;
  readonly axis: HTMLElement;
  readonly rangeBox: HTMLElement;
  readonly namesSash: HTMLElement;
  readonly headNames: HTMLElement;
  readonly ev: WaterfallEvents;
  frame(): Frame | null;
  /** One run's lane width (its half in side-by-side). */
  sideWidth(): number;
  /** A lane x mapped into the half it falls in (side-by-side), else unchanged. */
  sideLocalX(x: number): number;
  /** A client x as an x in the lane. */
  laneX(clientX: number): number;
  /** The row index of the row an event hit, or -1. */
  rowIndexAt(target: EventTarget | null): number;
}

export function wireGestures(w: GestureHost): void {
  const { scroller, axis, rangeBox, ev } = w;
  scroller.addEventListener('scroll', () => ev.scrolled(), { passive: true });
  scroller.addEventListener('keydown', (e) => ev.key(e));
  scroller.addEventListener('focus', () => ev.focusChanged());
  scroller.addEventListener('blur', () => ev.focusChanged());

  w.body.addEventListener(
    'wheel',
    (e) => {
      const f = w.frame();
      if (!f) return;
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? scroller.clientHeight : 1;
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault();
        const anchor = xToMs(w.sideLocalX(w.laneX(e.clientX)), f.view, w.sideWidth());
        ev.zoom(Math.exp(-e.deltaY * unit * 0.0025), anchor);
      } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        e.preventDefault();
        const d = (e.deltaX || e.deltaY) * unit;
        ev.pan((d / Math.max(w.sideWidth(), 1)) * (f.view.end - f.view.start));
      }
    },
    { passive: false },
  );

  // Rows: click selects, twisty toggles, double-click zooms; drag on the lanes pans.
  let drag: { x: number; id: number; moved: boolean; row: number; onTwisty: boolean } | null = null;
  scroller.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    const onTwisty = !!(e.target as HTMLElement).closest?.('.twisty');
    drag = { x: e.clientX, id: e.pointerId, moved: false, row: w.rowIndexAt(e.target), onTwisty };
  });
  scroller.addEventListener('pointermove', (e) => {
    const f = w.frame();
    if (!drag || drag.id !== e.pointerId || !f) return;
    const dx = e.clientX - drag.x;
    if (!drag.moved && Math.abs(dx) < 4) return;
    if (!drag.moved) {
      drag.moved = true;
      scroller.setPointerCapture(e.pointerId);
      w.root.classList.add('panning');
    }
    drag.x = e.clientX;
    ev.pan((-dx / Math.max(w.sideWidth(), 1)) * (f.view.end - f.view.start));
  });
  const endDrag = (e: PointerEvent) => {
    if (!drag || drag.id !== e.pointerId) return;
    const d = drag;
    drag = null;
    w.root.classList.remove('panning');
    if (d.moved || d.row < 0 || e.type === 'pointercancel') return;
    if (d.onTwisty) ev.toggle(d.row);
    else ev.select(d.row, 'click');
  };
  scroller.addEventListener('pointerup', endDrag);
  scroller.addEventListener('pointercancel', endDrag);
  scroller.addEventListener('dblclick', (e) => {
    const row = w.rowIndexAt(e.target);
    if (row >= 0 && !(e.target as HTMLElement).closest?.('.twisty')) ev.select(row, 'dblclick');
  });

  // Axis: drag a range to zoom into it.
  let sel: { x0: number; id: number } | null = null;
  const axisX = (clientX: number) => clientX - axis.getBoundingClientRect().left;
  axis.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    sel = { x0: axisX(e.clientX), id: e.pointerId };
    axis.setPointerCapture(e.pointerId);
  });
  axis.addEventListener('pointermove', (e) => {
    if (!sel || sel.id !== e.pointerId) return;
    const x1 = axisX(e.clientX);
    const a = Math.max(0, Math.min(sel.x0, x1));
    const b = Math.min(axis.clientWidth, Math.max(sel.x0, x1));
    rangeBox.style.display = b - a > 2 ? 'block' : 'none';
    rangeBox.style.left = `${a}px`;
    rangeBox.style.width = `${b - a}px`;
  });
  const endSel = (e: PointerEvent) => {
    if (!sel || sel.id !== e.pointerId) return;
    const x0 = sel.x0;
    sel = null;
    rangeBox.style.display = 'none';
    const x1 = axisX(e.clientX);
    const f = w.frame();
    if (!f || e.type === 'pointercancel' || Math.abs(x1 - x0) < 5) return;
    const sw = w.sideWidth();
    ev.range(xToMs(w.sideLocalX(x0), f.view, sw), xToMs(w.sideLocalX(x1), f.view, sw));
  };
  axis.addEventListener('pointerup', endSel);
  axis.addEventListener('pointercancel', endSel);

  // Names column sash.
  const sash = w.namesSash;
  let sashDrag: { x: number; w: number; id: number } | null = null;
  sash.addEventListener('pointerdown', (e) => {
    sashDrag = { x: e.clientX, w: w.headNames.getBoundingClientRect().width, id: e.pointerId };
    sash.setPointerCapture(e.pointerId);
    e.stopPropagation();
  });
  sash.addEventListener('pointermove', (e) => {
    if (sashDrag && sashDrag.id === e.pointerId) ev.namesWidth(sashDrag.w + e.clientX - sashDrag.x);
  });
  sash.addEventListener('pointerup', () => (sashDrag = null));
}
