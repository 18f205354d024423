/**
 * The waterfall: a windowed list of rows (only the rows in view exist in the DOM, recycled
 * by row index modulo the pool size so scrolling one row rewrites one element). Each row is
 * the span's name in the tree, the data columns (columns.ts) and the time lane with its
 * bars (bars.ts), under the header, the time axis (axis.ts) and the run's metrics
 * (metricsTrack.ts); gestures are in gestures.ts.
 */
import { Axis, SIDE_GAP } from './axis';
import { renderBars, STATUS_CLASS } from './bars';
import { COLUMNS } from './columns';
import { el, fillHighlighted, icon, setText, STATUS_ICON, toggleClass, type IconName } from './dom';
import { wireGestures } from './gestures';
import { MetricsTrack } from './metricsTrack';
import type { Frame } from './frame';
import { visibleRange } from './layout';
import { ST_INCOMPLETE, ST_NONE } from './model';
import { SPAN_STATUSES } from '../src/shared/status';
import { hasChildren, matchRanges } from './tree';

export const ROW_HEIGHT = 22;
const MAX_INDENT_LEVELS = 40;
const INDENT_PX = 12;

export type { Frame };

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
  /** One per entry of COLUMNS. */
  cells: HTMLDivElement[];
  barA: HTMLDivElement;
  barB: HTMLDivElement;
  text: HTMLSpanElement;
  mark: HTMLSpanElement;
  index: number;
  sig: string;
  iconName: string;
  geo: string;
}

export class Waterfall {
  readonly root: HTMLDivElement;
  readonly scroller: HTMLDivElement;
  readonly body: HTMLDivElement;
  readonly headNames: HTMLDivElement;
  readonly namesSash: HTMLDivElement;
  readonly minimapSlot: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly axisView = new Axis();
  private readonly metrics: MetricsTrack;
  private readonly headCount: HTMLSpanElement;
  private readonly headCols: HTMLDivElement[];
  private readonly empty: HTMLDivElement;
  private pool: PoolRow[] = [];
  private frame: Frame | null = null;
  private laneLeft = 0;
  /** Which of COLUMNS are shown, as a key ("10"), and their total width. */
  private shownKey = '';
  laneWidth = 0;

  constructor(
    parent: HTMLElement,
    readonly ev: WaterfallEvents,
  ) {
    this.root = el('div', 'wf');
    const head = el('div', 'wf-head');
    this.headNames = el('div', 'wf-head-names');
    this.headNames.appendChild(el('span', 'wf-head-title', 'Span'));
    this.headCount = el('span', 'wf-head-count');
    this.headNames.appendChild(this.headCount);
    this.namesSash = el('div', 'wf-names-sash');
    this.namesSash.title = 'Drag to resize the names column';
    this.headNames.appendChild(this.namesSash);
    this.headCols = COLUMNS.map((c) => {
      const h = el('div', `wf-head-col wf-head-${c.id}`, c.header);
      h.title = c.title;
      h.style.width = `${c.width}px`;
      h.hidden = true;
      return h;
    });
    head.append(this.headNames, ...this.headCols, this.axisView.el);

    const mini = el('div', 'wf-mini');
    mini.appendChild(el('div', 'wf-mini-label', 'Overview'));
    this.minimapSlot = el('div', 'wf-mini-slot');
    mini.appendChild(this.minimapSlot);

    this.body = el('div', 'wf-body');
    this.scroller = el('div', 'wf-scroll');
    this.scroller.tabIndex = 0;
    this.scroller.setAttribute('role', 'tree');
    this.scroller.setAttribute('aria-label', 'Spans');
    this.spacer = el('div', 'wf-spacer');
    this.scroller.appendChild(this.spacer);
    this.empty = el('div', 'wf-empty');
    this.empty.hidden = true;
    this.body.append(this.axisView.grid, this.scroller, this.empty);

    this.metrics = new MetricsTrack(ev);
    this.root.append(head, this.metrics.root, mini, this.body);
    parent.appendChild(this.root);
    wireGestures({
      root: this.root,
      scroller: this.scroller,
      body: this.body,
      axis: this.axisView.el,
      rangeBox: this.axisView.rangeBox,
      namesSash: this.namesSash,
      headNames: this.headNames,
      ev,
      frame: () => this.frame,
      sideWidth: () => this.sideWidth(),
      sideLocalX: (x) => this.sideLocalX(x),
      laneX: (clientX) => clientX - this.scroller.getBoundingClientRect().left - this.laneLeft,
      rowIndexAt: (t) => this.rowIndexAt(t),
    });
  }

  private rowIndexAt(target: EventTarget | null): number {
    let n = target as HTMLElement | null;
    while (n && n !== this.scroller) {
      const pr = this.pool.find((r) => r.root === n);
      if (pr) return pr.index;
      n = n.parentElement;
    }
    return -1;
  }

  private get sideBySide(): boolean {
    const f = this.frame;
    return !!f && f.model.comparing && f.layout === 'side';
  }

  /** Lane width of one run's half in side-by-side mode, else the whole lane. */
  private sideWidth(): number {
    return this.sideBySide ? Math.max((this.laneWidth - SIDE_GAP) / 2, 1) : this.laneWidth;
  }

  private sideLocalX(x: number): number {
    if (!this.sideBySide) return x;
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
    const m = f.model;
    const comparing = m.comparing;
    toggleClass(this.root, 'comparing', comparing);
    toggleClass(this.root, 'side', this.sideBySide);
    toggleClass(this.root, 'crit-on', f.critical !== null);
    toggleClass(this.root, 'focused', f.focused);
    toggleClass(this.root, 'has-selection', f.selectedPos >= 0);

    const n = f.rows.length;
    this.setRowCount(n);
    setText(this.headCount, n === m.tree.size ? `${n}` : `${n} of ${m.tree.size}`);

    // The lane starts after the names and the columns shown (the names measured once per frame).
    let colsW = 0;
    let shownKey = '';
    COLUMNS.forEach((c, k) => {
      const shown = c.shown(m);
      shownKey += shown ? '1' : '0';
      if (shown) colsW += c.width;
      this.headCols[k]!.hidden = !shown;
    });
    if (shownKey !== this.shownKey) {
      this.shownKey = shownKey;
      this.root.style.setProperty('--cols-w', `${colsW}px`);
    }
    this.laneLeft = this.headNames.offsetWidth + colsW;
    this.laneWidth = Math.max(this.scroller.clientWidth - this.laneLeft, 10);
    this.axisView.place(this.laneLeft, this.laneWidth);
    this.axisView.render(f.view, this.laneWidth, this.sideWidth(), this.sideBySide, m.isLive() ? f.now : null);
    // This run's metrics under the axis (in side-by-side compare, under its half).
    const half = this.sideBySide ? this.sideWidth() + SIDE_GAP : 0;
    this.metrics.render(m.signals, m.signalsVersion, f.view, this.laneLeft + half, this.sideWidth());

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
      const cells = COLUMNS.map((c) => {
        const cell = el('div', `c-col c-${c.id}`);
        cell.style.width = `${c.width}px`;
        cell.hidden = true;
        return cell;
      });
      const lane = el('div', 'c-lane');
      const barA = el('div', 'bar bar-a');
      const barB = el('div', 'bar bar-b');
      const text = el('span', 'btxt');
      const mark = el('span', 'lmark');
      mark.hidden = true;
      mark.setAttribute('role', 'img');
      lane.append(barA, barB, text, mark);
      root.append(name, ...cells, lane);
      this.spacer.appendChild(root);
      this.pool.push({ root, twisty, sicon, name: nm, tag, cells, barA, barB, text, mark, index: -1, sig: '', iconName: '', geo: '' });
    }
  }

  private renderRow(pr: PoolRow, i: number, f: Frame): void {
    const m = f.model;
    const p = f.rows[i]!;
    const selected = p === f.selectedPos;
    const kids = hasChildren(m.tree, p);
    const collapsed = kids && f.collapsed.has(m.tree.ids[p]!);
    const match = f.matchFlag ? f.matchFlag[p] === 1 : false;
    const crit = f.critical ? f.critical[p] === 1 : false;
    const sig = `${m.version}|${p}|${selected}|${collapsed}|${match}|${match ? f.query : ''}|${f.critical ? (crit ? 2 : 1) : 0}|${f.firstDivergencePos === p}|${this.shownKey}`;
    if (pr.root.hidden) pr.root.hidden = false;
    if (pr.index !== i) {
      pr.index = i;
      pr.root.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
    }
    if (pr.sig !== sig) {
      pr.sig = sig;
      this.renderRowContent(pr, p, f, { selected, kids, collapsed, match, crit });
    }
    const geo = `${m.version}|${m.signalsVersion}|${p}|${f.view.start}|${f.view.end}|${this.laneWidth}|${f.layout}|${m.isLive() ? f.now : 0}`;
    if (pr.geo !== geo) {
      pr.geo = geo;
      renderBars(pr, p, f, this.laneWidth, this.sideWidth());
    }
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
    const iconName: IconName = STATUS_ICON[SPAN_STATUSES[st] ?? 'OK'] ?? 'dot';
    if (pr.iconName !== iconName) {
      pr.iconName = iconName;
      pr.sicon.replaceChildren(icon(iconName));
    }

    const span = m.spanAt[p] ?? m.otherAt[p];
    let tag = span?.statusLabel ?? '';
    // A step still going when the user stopped the run was stopped, not hung.
    if (!tag && st === ST_INCOMPLETE && !m.comparing && m.run?.status === 'CANCELLED') tag = 'STOPPED';
    toggleClass(r, 'only-a', row?.divergence === 'onlyA');
    toggleClass(r, 'only-b', row?.divergence === 'onlyB');
    toggleClass(r, 'first-div', !!row && f.firstDivergencePos === p);
    toggleClass(r, 'changed', row?.divergence === 'status');
    if (row && !tag && row.divergence === 'attributes') tag = `${row.attrDiffs.length} attr${row.attrDiffs.length === 1 ? '' : 's'} differ`;
    setText(pr.tag, tag);
    pr.tag.hidden = !tag;

    for (let k = 0; k < COLUMNS.length; k++) {
      const shown = this.shownKey[k] === '1';
      const cell = pr.cells[k]!;
      if (cell.hidden === shown) cell.hidden = !shown;
      if (shown) COLUMNS[k]!.render(cell, p, f);
    }
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
