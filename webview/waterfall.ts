/**
 * The waterfall: a windowed list of rows (only the rows in view exist in the DOM, recycled
 * by row index modulo the pool size so scrolling one row rewrites one element), the time
 * axis with tick labels, gridlines, and the pointer gestures (pan, zoom, axis range).
 */
import { el, fillHighlighted, icon, setText, STATUS_ICON, toggleClass, type IconName } from './dom';
import { barBox, formatDelta, formatDuration, hasChildren, matchRanges, msToX, timeTicks, visibleRange, xToMs, type TimeWindow } from './layout';
import { STATUS_NAME, ST_INCOMPLETE, ST_NONE, ST_RUNNING, type Lane, type TimelineModel } from './model';

export const ROW_HEIGHT = 22;
const MAX_INDENT_LEVELS = 40;
const INDENT_PX = 12;
const SIDE_GAP = 12;
const CHAR_PX = 6.6;

export interface Frame {
  model: TimelineModel;
  rows: Int32Array;
  view: TimeWindow;
  selectedPos: number;
  collapsed: ReadonlySet<string>;
  matchFlag: Uint8Array | null;
  query: string;
  /** Critical path flags when the highlight is on. */
  critical: Uint8Array | null;
  layout: 'overlay' | 'side';
  firstDivergencePos: number;
  now: number;
  focused: boolean;
}

export interface WaterfallEvents {
  select(rowIndex: number, how: 'click' | 'dblclick'): void;
  toggle(rowIndex: number): void;
  zoom(factor: number, anchorMs: number): void;
  pan(deltaMs: number): void;
  range(a: number, b: number): void;
  scrolled(): void;
  key(e: KeyboardEvent): void;
  namesWidth(px: number): void;
  focusChanged(): void;
}

interface PoolRow {
  root: HTMLDivElement;
  twisty: HTMLSpanElement;
  sicon: HTMLSpanElement;
  name: HTMLSpanElement;
  tag: HTMLSpanElement;
  delta: HTMLDivElement;
  lane: HTMLDivElement;
  barB: HTMLDivElement;
  barA: HTMLDivElement;
  text: HTMLSpanElement;
  index: number;
  sig: string;
  iconName: string;
  geo: string;
}

const STATUS_CLASS = ['st-ok', 'st-error', 'st-running', 'st-incomplete'];

export class Waterfall {
  readonly root: HTMLDivElement;
  readonly scroller: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly axis: HTMLDivElement;
  private readonly axisTicks: HTMLDivElement;
  private readonly grid: HTMLDivElement;
  private readonly rangeBox: HTMLDivElement;
  private readonly nowLine: HTMLDivElement;
  private readonly headNames: HTMLDivElement;
  private readonly headCount: HTMLSpanElement;
  private readonly headDelta: HTMLDivElement;
  private readonly empty: HTMLDivElement;
  readonly minimapSlot: HTMLDivElement;
  private readonly sideLabels: HTMLSpanElement[];
  private pool: PoolRow[] = [];
  private tickEls: HTMLDivElement[] = [];
  private gridEls: HTMLDivElement[] = [];
  private frame: Frame | null = null;
  private laneLeft = 0;
  laneWidth = 0;

  constructor(
    parent: HTMLElement,
    private readonly ev: WaterfallEvents,
  ) {
    this.root = el('div', 'wf');
    const head = el('div', 'wf-head');
    this.headNames = el('div', 'wf-head-names');
    this.headNames.appendChild(el('span', 'wf-head-title', 'Span'));
    this.headCount = el('span', 'wf-head-count');
    this.headNames.appendChild(this.headCount);
    const sash = el('div', 'wf-names-sash');
    sash.title = 'Drag to resize the names column';
    this.headNames.appendChild(sash);
    this.headDelta = el('div', 'wf-head-delta', 'Δ vs baseline');
    this.axis = el('div', 'wf-axis');
    this.axis.title = 'Drag to zoom to a time range';
    this.axisTicks = el('div', 'wf-axis-ticks');
    this.rangeBox = el('div', 'wf-range');
    this.sideLabels = [el('span', 'wf-side-label', 'baseline'), el('span', 'wf-side-label', 'this run')];
    this.axis.append(this.axisTicks, ...this.sideLabels, this.rangeBox);
    head.append(this.headNames, this.headDelta, this.axis);

    const mini = el('div', 'wf-mini');
    mini.appendChild(el('div', 'wf-mini-label', 'Overview'));
    this.minimapSlot = el('div', 'wf-mini-slot');
    mini.appendChild(this.minimapSlot);

    const body = el('div', 'wf-body');
    this.grid = el('div', 'wf-grid');
    this.nowLine = el('div', 'wf-now');
    this.grid.appendChild(this.nowLine);
    this.scroller = el('div', 'wf-scroll');
    this.scroller.tabIndex = 0;
    this.scroller.setAttribute('role', 'tree');
    this.scroller.setAttribute('aria-label', 'Spans');
    this.spacer = el('div', 'wf-spacer');
    this.scroller.appendChild(this.spacer);
    this.empty = el('div', 'wf-empty');
    this.empty.hidden = true;
    body.append(this.grid, this.scroller, this.empty);

    this.root.append(head, mini, body);
    parent.appendChild(this.root);
    this.wire(sash, body);
  }

  // -------------------------------------------------------------------------------------
  // Events

  private rowIndexAt(target: EventTarget | null): number {
    let n = target as HTMLElement | null;
    while (n && n !== this.scroller) {
      const pr = this.pool.find((r) => r.root === n);
      if (pr) return pr.index;
      n = n.parentElement;
    }
    return -1;
  }

  private laneX(clientX: number): number {
    return clientX - this.scroller.getBoundingClientRect().left - this.laneLeft;
  }

  private wire(sash: HTMLElement, body: HTMLElement): void {
    this.scroller.addEventListener('scroll', () => this.ev.scrolled(), { passive: true });
    this.scroller.addEventListener('keydown', (e) => this.ev.key(e));
    this.scroller.addEventListener('focus', () => this.ev.focusChanged());
    this.scroller.addEventListener('blur', () => this.ev.focusChanged());

    body.addEventListener(
      'wheel',
      (e) => {
        const f = this.frame;
        if (!f) return;
        const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? this.scroller.clientHeight : 1;
        if (e.ctrlKey || e.metaKey) {
          e.preventDefault();
          const x = this.laneX(e.clientX);
          const anchor = xToMs(this.sideLocalX(x), f.view, this.sideWidth());
          this.ev.zoom(Math.exp(-e.deltaY * unit * 0.0025), anchor);
        } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
          e.preventDefault();
          const d = (e.deltaX || e.deltaY) * unit;
          this.ev.pan((d / Math.max(this.sideWidth(), 1)) * (f.view.end - f.view.start));
        }
      },
      { passive: false },
    );

    // Rows: click selects, twisty toggles, double-click zooms; drag on the lanes pans.
    let drag: { x: number; id: number; moved: boolean; row: number; onTwisty: boolean } | null = null;
    this.scroller.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      const onTwisty = !!(e.target as HTMLElement).closest?.('.twisty');
      drag = { x: e.clientX, id: e.pointerId, moved: false, row: this.rowIndexAt(e.target), onTwisty };
    });
    this.scroller.addEventListener('pointermove', (e) => {
      if (!drag || drag.id !== e.pointerId || !this.frame) return;
      const dx = e.clientX - drag.x;
      if (!drag.moved && Math.abs(dx) < 4) return;
      if (!drag.moved) {
        drag.moved = true;
        this.scroller.setPointerCapture(e.pointerId);
        this.root.classList.add('panning');
      }
      drag.x = e.clientX;
      const v = this.frame.view;
      this.ev.pan((-dx / Math.max(this.sideWidth(), 1)) * (v.end - v.start));
    });
    const endDrag = (e: PointerEvent) => {
      if (!drag || drag.id !== e.pointerId) return;
      const d = drag;
      drag = null;
      this.root.classList.remove('panning');
      if (d.moved || d.row < 0 || e.type === 'pointercancel') return;
      if (d.onTwisty) this.ev.toggle(d.row);
      else this.ev.select(d.row, 'click');
    };
    this.scroller.addEventListener('pointerup', endDrag);
    this.scroller.addEventListener('pointercancel', endDrag);
    this.scroller.addEventListener('dblclick', (e) => {
      const row = this.rowIndexAt(e.target);
      if (row >= 0 && !(e.target as HTMLElement).closest?.('.twisty')) this.ev.select(row, 'dblclick');
    });

    // Axis: drag a range to zoom into it.
    let sel: { x0: number; id: number } | null = null;
    const axisX = (clientX: number) => clientX - this.axis.getBoundingClientRect().left;
    this.axis.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      sel = { x0: axisX(e.clientX), id: e.pointerId };
      this.axis.setPointerCapture(e.pointerId);
    });
    this.axis.addEventListener('pointermove', (e) => {
      if (!sel || sel.id !== e.pointerId) return;
      const x1 = axisX(e.clientX);
      const a = Math.max(0, Math.min(sel.x0, x1));
      const b = Math.min(this.axis.clientWidth, Math.max(sel.x0, x1));
      this.rangeBox.style.display = b - a > 2 ? 'block' : 'none';
      this.rangeBox.style.left = `${a}px`;
      this.rangeBox.style.width = `${b - a}px`;
    });
    const endSel = (e: PointerEvent) => {
      if (!sel || sel.id !== e.pointerId) return;
      const x0 = sel.x0;
      sel = null;
      this.rangeBox.style.display = 'none';
      const x1 = axisX(e.clientX);
      const f = this.frame;
      if (!f || e.type === 'pointercancel' || Math.abs(x1 - x0) < 5) return;
      const w = this.sideWidth();
      this.ev.range(xToMs(this.sideLocalX(x0), f.view, w), xToMs(this.sideLocalX(x1), f.view, w));
    };
    this.axis.addEventListener('pointerup', endSel);
    this.axis.addEventListener('pointercancel', endSel);

    // Names column sash.
    let sashDrag: { x: number; w: number; id: number } | null = null;
    sash.addEventListener('pointerdown', (e) => {
      sashDrag = { x: e.clientX, w: this.headNames.getBoundingClientRect().width, id: e.pointerId };
      sash.setPointerCapture(e.pointerId);
      e.stopPropagation();
    });
    sash.addEventListener('pointermove', (e) => {
      if (sashDrag && sashDrag.id === e.pointerId) this.ev.namesWidth(sashDrag.w + e.clientX - sashDrag.x);
    });
    sash.addEventListener('pointerup', () => (sashDrag = null));
  }

  /** Lane width of one run's half in side-by-side mode, else the whole lane. */
  private sideWidth(): number {
    const f = this.frame;
    if (f && f.model.comparing && f.layout === 'side') return Math.max((this.laneWidth - SIDE_GAP) / 2, 1);
    return this.laneWidth;
  }

  /** A lane x mapped into the half it falls in (side-by-side), else unchanged. */
  private sideLocalX(x: number): number {
    const f = this.frame;
    if (!(f && f.model.comparing && f.layout === 'side')) return x;
    const w = this.sideWidth();
    return x > w + SIDE_GAP / 2 ? x - w - SIDE_GAP : x;
  }

  // -------------------------------------------------------------------------------------
  // Rendering

  get viewportHeight(): number {
    return this.scroller.clientHeight;
  }

  get scrollTop(): number {
    return this.scroller.scrollTop;
  }

  set scrollTop(v: number) {
    this.scroller.scrollTop = v;
  }

  /** Row index currently at the top of the viewport. */
  firstVisibleRow(): number {
    return Math.floor(this.scroller.scrollTop / ROW_HEIGHT);
  }

  /** Size the scrollable area for n rows (before restoring a scroll position into it). */
  setRowCount(n: number): void {
    const h = `${n * ROW_HEIGHT}px`;
    if (this.spacer.style.height !== h) this.spacer.style.height = h;
  }

  setNamesWidth(px: number): void {
    this.root.style.setProperty('--names-w', `${Math.round(px)}px`);
  }

  showEmpty(text: string | null): void {
    this.empty.hidden = text === null;
    if (text !== null) setText(this.empty, text);
  }

  /** The element of the selected row, for aria-activedescendant. */
  private activeId = '';

  render(f: Frame): void {
    this.frame = f;
    const comparing = f.model.comparing;
    toggleClass(this.root, 'comparing', comparing);
    toggleClass(this.root, 'side', comparing && f.layout === 'side');
    toggleClass(this.root, 'crit-on', f.critical !== null);
    toggleClass(this.root, 'focused', f.focused);
    toggleClass(this.root, 'has-selection', f.selectedPos >= 0);

    const n = f.rows.length;
    this.setRowCount(n);
    setText(this.headCount, n === f.model.tree.size ? `${n}` : `${n} of ${f.model.tree.size}`);

    // Measure once per frame: the lane starts after the names (and delta) columns.
    const namesW = this.headNames.offsetWidth;
    const deltaW = comparing ? this.headDelta.offsetWidth : 0;
    this.laneLeft = namesW + deltaW;
    this.laneWidth = Math.max(this.scroller.clientWidth - this.laneLeft, 10);
    this.axis.style.width = `${this.laneWidth}px`;
    this.grid.style.left = `${this.laneLeft}px`;
    this.grid.style.width = `${this.laneWidth}px`;

    this.renderAxis(f);
    const { first, last } = visibleRange(this.scroller.scrollTop, this.scroller.clientHeight, ROW_HEIGHT, n, 4);
    const need = last - first;
    if (this.pool.length < need) this.grow(need + 8);
    let activeId = '';
    for (let i = first; i < last; i++) {
      const pr = this.pool[i % this.pool.length]!;
      this.renderRow(pr, i, f);
      if (f.rows[i] === f.selectedPos) activeId = pr.root.id;
    }
    // Hide pool elements outside the window.
    for (const pr of this.pool) {
      const inWindow = pr.index >= first && pr.index < last && pr.index < n;
      if (!inWindow && !pr.root.hidden) {
        pr.root.hidden = true;
        pr.index = -1;
        pr.sig = '';
      }
    }
    if (activeId !== this.activeId) {
      this.activeId = activeId;
      if (activeId) this.scroller.setAttribute('aria-activedescendant', activeId);
      else this.scroller.removeAttribute('aria-activedescendant');
    }
  }

  private grow(size: number): void {
    // Row index → element mapping depends on the pool size: reset everything.
    for (const pr of this.pool) pr.root.remove();
    this.pool = [];
    for (let i = 0; i < size; i++) {
      const root = el('div', 'row');
      root.id = `tl-row-${i}`;
      root.setAttribute('role', 'treeitem');
      root.hidden = true;
      const name = el('div', 'c-name');
      const twisty = el('span', 'twisty');
      twisty.appendChild(icon('chevron'));
      const sicon = el('span', 'sicon');
      const nm = el('span', 'nm');
      const tag = el('span', 'tag');
      name.append(twisty, sicon, nm, tag);
      const delta = el('div', 'c-delta');
      const lane = el('div', 'c-lane');
      const barA = el('div', 'bar bar-a');
      const barB = el('div', 'bar bar-b');
      const text = el('span', 'btxt');
      lane.append(barA, barB, text);
      root.append(name, delta, lane);
      this.spacer.appendChild(root);
      this.pool.push({ root, twisty, sicon, name: nm, tag, delta, lane, barA, barB, text, index: -1, sig: '', iconName: '', geo: '' });
    }
  }

  private renderRow(pr: PoolRow, i: number, f: Frame): void {
    const m = f.model;
    const p = f.rows[i]!;
    const tree = m.tree;
    const id = tree.ids[p]!;
    const selected = p === f.selectedPos;
    const kids = hasChildren(tree, p);
    const collapsed = kids && f.collapsed.has(id);
    const match = f.matchFlag ? f.matchFlag[p] === 1 : false;
    const crit = f.critical ? f.critical[p] === 1 : false;
    const sig = `${m.version}|${p}|${selected}|${collapsed}|${match}|${match ? f.query : ''}|${f.critical ? (crit ? 2 : 1) : 0}|${f.firstDivergencePos === p}`;
    if (pr.root.hidden) pr.root.hidden = false;
    if (pr.index !== i) {
      pr.index = i;
      pr.root.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
    }
    if (pr.sig !== sig) {
      pr.sig = sig;
      this.renderRowContent(pr, p, f, { selected, kids, collapsed, match, crit });
    }
    this.renderBars(pr, p, f);
  }

  private renderRowContent(
    pr: PoolRow,
    p: number,
    f: Frame,
    s: { selected: boolean; kids: boolean; collapsed: boolean; match: boolean; crit: boolean },
  ): void {
    const m = f.model;
    const depth = m.tree.depth[p]!;
    const r = pr.root;
    r.setAttribute('aria-level', String(depth + 1));
    if (s.kids) r.setAttribute('aria-expanded', String(!s.collapsed));
    else r.removeAttribute('aria-expanded');
    r.setAttribute('aria-selected', String(s.selected));
    toggleClass(r, 'selected', s.selected);
    toggleClass(r, 'match', s.match);
    toggleClass(r, 'crit', s.crit);
    toggleClass(r, 'leaf', !s.kids);
    toggleClass(r, 'collapsed', s.collapsed);
    (pr.name.parentElement as HTMLElement).style.paddingLeft = `${4 + Math.min(depth, MAX_INDENT_LEVELS) * INDENT_PX}px`;

    const name = m.nameAt(p);
    if (s.match && f.query) fillHighlighted(pr.name, name, matchRanges(name, f.query));
    else if (pr.name.childElementCount || pr.name.textContent !== name) pr.name.textContent = name;
    pr.name.title = name;

    // Status of this run's span (B), or A's when only A has the step.
    let st = m.lane.status[p]!;
    const row = m.comparing ? m.rowAt[p] : undefined;
    if (st === ST_NONE && m.laneA) st = m.laneA.status[p]!;
    for (let k = 0; k < STATUS_CLASS.length; k++) toggleClass(r, STATUS_CLASS[k]!, st === k);
    const iconName: IconName = STATUS_ICON[STATUS_NAME[st] ?? 'OK'] ?? 'dot';
    if (pr.iconName !== iconName) {
      pr.iconName = iconName;
      pr.sicon.replaceChildren(icon(iconName));
    }

    const span = m.spanAt[p] ?? m.otherAt[p];
    let tag = span?.statusLabel ?? '';
    // A step still going when the user stopped the run was stopped, not hung.
    if (!tag && st === ST_INCOMPLETE && !m.comparing && m.run?.status === 'CANCELLED') tag = 'STOPPED';
    if (row) {
      toggleClass(r, 'only-a', row.divergence === 'onlyA');
      toggleClass(r, 'only-b', row.divergence === 'onlyB');
      toggleClass(r, 'first-div', f.firstDivergencePos === p);
      toggleClass(r, 'changed', row.divergence === 'status');
      this.renderDelta(pr, row, m.otherAt[p]?.status, m.spanAt[p]?.status, f.firstDivergencePos === p);
      if (!tag && row.divergence === 'attributes') tag = `${row.attrDiffs.length} attr${row.attrDiffs.length === 1 ? '' : 's'} differ`;
    } else {
      for (const c of ['only-a', 'only-b', 'first-div', 'changed']) toggleClass(r, c, false);
    }
    setText(pr.tag, tag);
    pr.tag.hidden = !tag;
  }

  private renderDelta(
    pr: PoolRow,
    row: NonNullable<TimelineModel['rowAt'][number]>,
    aStatus: string | undefined,
    bStatus: string | undefined,
    first: boolean,
  ): void {
    let text: string;
    let cls = '';
    if (row.divergence === 'onlyA') {
      text = 'only in baseline';
      cls = 'dl-missing';
    } else if (row.divergence === 'onlyB') {
      text = 'only in this run';
      cls = 'dl-missing';
    } else if (row.statusChanged) {
      text = `${aStatus ?? '?'} → ${bStatus ?? '?'}`;
      cls = 'dl-status';
    } else if (row.deltaMs !== null) {
      const ratio = row.ratio !== null && Math.abs(row.ratio - 1) >= 0.05 ? ` ×${row.ratio.toFixed(row.ratio >= 10 ? 0 : 2)}` : '';
      text = formatDelta(row.deltaMs) + ratio;
      cls = row.ratio !== null && row.ratio >= 1.2 && row.deltaMs > 1 ? 'dl-slower' : row.ratio !== null && row.ratio <= 0.83 && row.deltaMs < -1 ? 'dl-faster' : 'dl-same';
    } else {
      text = '—';
      cls = 'dl-same';
    }
    if (first) text = `◆ ${text}`;
    setText(pr.delta, text);
    pr.delta.className = `c-delta ${cls}`;
    pr.delta.title = first ? `First divergence: ${text.slice(2)}` : text;
  }

  private placeBar(
    bar: HTMLDivElement,
    variant: 'bar-a' | 'bar-b',
    lane: Lane,
    p: number,
    f: Frame,
    offsetX: number,
    width: number,
  ): { x: number; w: number } | null {
    const st = lane.status[p]!;
    if (st === ST_NONE) {
      if (bar.style.display !== 'none') bar.style.display = 'none';
      return null;
    }
    const start = lane.start[p]!;
    const end = f.model.endIn(lane, p);
    const box = barBox(start, end, f.view, width);
    if (bar.style.display !== 'block') bar.style.display = 'block';
    const l = `${(box.x + offsetX).toFixed(1)}px`;
    const w = `${box.w.toFixed(1)}px`;
    if (bar.style.left !== l) bar.style.left = l;
    if (bar.style.width !== w) bar.style.width = w;
    const cls = `bar ${variant} ${STATUS_CLASS[st]}${st === ST_RUNNING || st === ST_INCOMPLETE ? ' open' : ''}`;
    if (bar.className !== cls) bar.className = cls;
    return { x: box.x + offsetX, w: box.w };
  }

  private renderBars(pr: PoolRow, p: number, f: Frame): void {
    const m = f.model;
    const geo = `${m.version}|${p}|${f.view.start}|${f.view.end}|${this.laneWidth}|${f.layout}|${m.isLive() ? f.now : 0}`;
    if (pr.geo === geo) return;
    pr.geo = geo;
    const side = m.comparing && f.layout === 'side';
    const w = this.sideWidth();
    let boxA: { x: number; w: number } | null = null;
    if (m.laneA) boxA = this.placeBar(pr.barA, 'bar-a', m.laneA, p, f, 0, w);
    else if (pr.barA.style.display !== 'none') pr.barA.style.display = 'none';
    const boxB = this.placeBar(pr.barB, 'bar-b', m.lane, p, f, side ? w + SIDE_GAP : 0, w);
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
    if (!lane || !box) {
      if (pr.text.textContent) pr.text.textContent = '';
      return;
    }
    const lo = side && useB ? w + SIDE_GAP : 0;
    const limit = side && !useB ? w : this.laneWidth;
    const dur = lane.dur[p]!;
    const st = lane.status[p]!;
    const label = Number.isNaN(dur)
      ? st === ST_RUNNING
        ? `${formatDuration(f.now - lane.start[p]!)} …`
        : !m.comparing && m.run?.status === 'CANCELLED'
          ? 'stopped'
          : 'never ended'
      : formatDuration(dur);
    setText(pr.text, label);
    const tw = label.length * CHAR_PX + 8;
    let x: number;
    let inside = false;
    if (box.x + box.w + tw <= limit) x = box.x + box.w + 4;
    else if (box.x - tw >= lo) x = box.x - tw + 2;
    else if (st === ST_INCOMPLETE || m.comparing) {
      // No readable place (hatched bar, or two bars on one row): the delta column and the
      // detail panel carry the numbers.
      if (pr.text.textContent) pr.text.textContent = '';
      return;
    } else {
      x = Math.max(box.x, 0) + 4;
      inside = true;
    }
    pr.text.style.left = `${x.toFixed(1)}px`;
    toggleClass(pr.text, 'inside', inside);
  }

  private renderAxis(f: Frame): void {
    const side = f.model.comparing && f.layout === 'side';
    const w = this.sideWidth();
    const ticks = timeTicks(f.view, w, 90);
    const all = side ? [...ticks, ...ticks.map((t) => ({ ...t, x: t.x + w + SIDE_GAP }))] : ticks;
    while (this.tickEls.length < all.length) {
      const t = el('div', 'tick');
      t.appendChild(el('span', 'tick-label'));
      this.axisTicks.appendChild(t);
      this.tickEls.push(t);
      const g = el('div', 'gl');
      this.grid.insertBefore(g, this.nowLine);
      this.gridEls.push(g);
    }
    for (let i = 0; i < this.tickEls.length; i++) {
      const t = this.tickEls[i]!;
      const g = this.gridEls[i]!;
      const tick = all[i];
      const show = !!tick && tick.x >= -1 && tick.x <= this.laneWidth + 1;
      t.hidden = !show;
      g.hidden = !show;
      if (!tick || !show) continue;
      const left = `${tick.x.toFixed(1)}px`;
      t.style.left = left;
      g.style.left = left;
      setText(t.firstChild!, tick.label);
      // A label that would run past the lane's (or its half's) right edge is left out.
      const edge = side && i < ticks.length ? w : this.laneWidth;
      (t.firstChild as HTMLElement).hidden = tick.x + tick.label.length * CHAR_PX + 6 > edge;
    }
    // The "now" line while the run is live.
    const live = f.model.isLive();
    this.nowLine.hidden = !live || side;
    if (live && !side) this.nowLine.style.left = `${msToX(f.now, f.view, w).toFixed(1)}px`;
    toggleClass(this.axis, 'side', side);
    this.sideLabels[0]!.hidden = !side;
    this.sideLabels[1]!.hidden = !side;
    if (side) this.sideLabels[1]!.style.left = `${(w + SIDE_GAP).toFixed(1)}px`;
  }

  /** Bring a row into view; `center` puts it mid-viewport when it had to move. */
  reveal(index: number, center = false): void {
    const top = index * ROW_HEIGHT;
    const h = this.scroller.clientHeight;
    const st = this.scroller.scrollTop;
    if (top >= st && top + ROW_HEIGHT <= st + h) return;
    this.scroller.scrollTop = center ? Math.max(0, top - h / 2 + ROW_HEIGHT / 2) : top < st ? top : top + ROW_HEIGHT - h;
  }

  focus(): void {
    this.scroller.focus({ preventScroll: true });
  }
}
