/**
 * The timeline controller: holds the model (the run's data, model.ts) and the view state
 * (state.ts, changed only by dispatching actions), applies host messages (inbox.ts), and
 * renders everything in one requestAnimationFrame pass so bursts of live updates never
 * cause more than one layout per frame. The page's parts and which action each of their
 * events calls: page.ts; the rows on screen come from visibleRows (filters.ts), the keys
 * from keys.ts.
 */
import type { HostMessage, RunChoiceView, SpanCore } from '../src/shared/protocol';
import type { Chrome } from './chrome';
import type { DetailPanel } from './detail';
import { emptyText, filtersHiding, visibleRows } from './filters';
import { receive, settle, type Inbox, type Pending } from './inbox';
import { formatCount, rangeWindow, zoomWindow, type TimeWindow } from './layout';
import type { Minimap } from './minimap';
import { TimelineModel } from './model';
import { buildPage, type PageActions } from './page';
import { fromPersisted, reduce, toPersisted, type Action, type ViewState } from './state';
import type { Toolbar } from './toolbar';
import { Matches } from './search';
import { hasChildren, rowIndexOf, type Tree } from './tree';
import type { Host, PersistedState } from './vscode';
import { ROW_HEIGHT, type Waterfall } from './waterfall';

export class App implements Inbox, PageActions {
  readonly model = new TimelineModel();
  /** Timings of the last message and frame, reported with each `runlens:rendered` event. */
  readonly perf = { deserializeMs: 0, parseMs: 0, rebuildMs: 0 };
  readonly pending: Pending = { select: null, divergence: false, restoreScroll: null, spans: 0, compareId: null };
  readonly savedScrollTop: number;
  initialised = false;
  private state: ViewState;
  /** The rows on screen and what they were computed from. */
  private visible: { rows: Int32Array; version: number; tree: unknown; collapsed: unknown; filters: unknown } = {
    rows: new Int32Array(0),
    version: -1,
    tree: null,
    collapsed: null,
    filters: null,
  };
  private readonly matches = new Matches();
  private dirtyData = false;
  private frameQueued = false;
  private firstPaint = true;
  private searchTimer = 0;
  private selectNotify = 0;
  private readonly chrome: Chrome;
  private readonly toolbar: Toolbar;
  private readonly waterfall: Waterfall;
  private readonly minimap: Minimap;
  private readonly detail: DetailPanel;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: Host,
  ) {
    const saved = host.getState();
    this.state = fromPersisted(saved);
    this.savedScrollTop = typeof saved.ui?.scrollTop === 'number' ? saved.ui.scrollTop : 0;
    ({
      toolbar: this.toolbar,
      chrome: this.chrome,
      waterfall: this.waterfall,
      minimap: this.minimap,
      detail: this.detail,
    } = buildPage(root, host, this));
    if (this.state.query) this.toolbar.search.value = this.state.query;
    this.syncChrome();
  }

  // -------------------------------------------------------------------------------------
  // State

  /** Apply an action; true when the state changed. */
  private apply(a: Action): boolean {
    const next = reduce(this.state, a);
    if (next === this.state) return false;
    this.state = next;
    this.syncChrome();
    return true;
  }

  dispatch(a: Action): void {
    if (this.apply(a)) this.invalidate();
  }

  get viewState(): ViewState {
    return this.state;
  }

  /** The parts of the page the state lays out directly (widths, detail open). */
  private syncChrome(): void {
    const s = this.state;
    this.waterfall.setNamesWidth(s.namesWidth);
    this.chrome.setDetail(s.detailOpen, s.detailWidth);
  }

  /** The rows on screen, recomputed when the tree, the collapsed rows or the filters changed. */
  rows(): Int32Array {
    const v = this.visible;
    const m = this.model;
    const s = this.state;
    if (v.tree !== m.tree || v.version !== m.version || v.collapsed !== s.collapsed || v.filters !== s.filters) {
      this.visible = { rows: visibleRows(m, s), version: m.version, tree: m.tree, collapsed: s.collapsed, filters: s.filters };
    }
    return this.visible.rows;
  }

  // -------------------------------------------------------------------------------------
  // Host messages (inbox.ts)

  handle(msg: HostMessage): void {
    if (receive(this, msg, performance.now())) this.invalidate();
  }

  saved = (): PersistedState => this.host.getState();
  scrollTo = (px: number): void => void (this.waterfall.scrollTop = px);
  dataChanged = (): void => void (this.dirtyData = true);
  showCandidates = (runs: RunChoiceView[]): void => this.toolbar.setCandidates(runs, this.model.compare);

  // -------------------------------------------------------------------------------------
  // Frame

  invalidate(): void {
    if (this.frameQueued) return;
    this.frameQueued = true;
    requestAnimationFrame(() => {
      this.frameQueued = false;
      this.frame();
    });
  }

  selectedPos(): number {
    const id = this.state.selectedId;
    return id === null ? -1 : (this.model.tree.pos.get(id) ?? -1);
  }

  selectedSpanId(): string | null {
    const p = this.selectedPos();
    return p >= 0 ? this.model.spanIdAt(p) : null;
  }

  private frame(): void {
    const t0 = performance.now();
    const m = this.model;
    if (this.initialised) this.chrome.endBoot();
    if (!this.initialised || m.missing !== null || !m.run) {
      this.chrome.showOverlay(m.missing ?? (this.initialised ? 'No run.' : 'Loading run…'), m.missing === null && !this.initialised);
      return;
    }
    this.chrome.showOverlay(null, false);
    const loading = this.pending.spans > 0;
    this.chrome.setLoading(loading ? `Loading spans… ${formatCount(m.size())} of ${formatCount(m.size() + this.pending.spans)}` : null);
    const wasFirst = this.firstPaint;

    let anchor: { id: string; offset: number } | null = null;
    if (this.dirtyData) {
      // Keep the rows in view where they were when spans arrive above them. (No rows yet: no
      // layout to read, the first frame lays the page out once.)
      const before = this.rows();
      const st = before.length ? this.waterfall.scrollTop : 0;
      if (st > 0) {
        const i = Math.min(this.waterfall.firstVisibleRow(), before.length - 1);
        anchor = { id: m.tree.ids[before[i]!]!, offset: st - i * ROW_HEIGHT };
      }
      const tb = performance.now();
      m.rebuild();
      this.recomputeMatches();
      this.dirtyData = false;
      this.rows();
      this.perf.rebuildMs = performance.now() - tb;
    }
    this.waterfall.setRowCount(this.rows().length);
    if (anchor) {
      const p = m.tree.pos.get(anchor.id);
      const i = p === undefined ? -1 : rowIndexOf(this.rows(), p);
      if (i >= 0) this.waterfall.scrollTop = i * ROW_HEIGHT + anchor.offset;
    }
    settle(this, loading);

    const bounds = m.liveBounds();
    this.apply({ type: 'bounds', bounds });
    const s = this.state;
    const rows = this.rows();
    const now = m.now();
    const selPos = this.selectedPos();
    const fd = m.compare?.firstDivergence;
    const firstDivPos = fd !== null && fd !== undefined ? (m.tree.pos.get(m.compare!.rows[fd]!.key) ?? -1) : -1;
    this.waterfall.render({
      model: m,
      rows,
      view: s.view,
      selectedPos: selPos,
      collapsed: s.collapsed,
      matchFlag: this.matches.flag,
      query: s.query,
      critical: s.critical && !m.comparing ? m.critical() : null,
      layout: s.compareLayout,
      firstDivergencePos: firstDivPos,
      now,
      focused: document.activeElement === this.waterfall.scroller,
    });
    this.waterfall.showEmpty(emptyText(m, rows.length, s.filters));
    this.minimap.render({
      model: m,
      rows,
      view: s.view,
      firstRow: this.waterfall.scrollTop / ROW_HEIGHT,
      visibleRows: this.waterfall.viewportHeight / ROW_HEIGHT,
      now,
      themeVersion: this.chrome.themeVersion,
    });
    if (s.detailOpen) this.detail.render(m, selPos, this.chrome.detailKey(m, s.selectedId, selPos));
    this.toolbar.render(m, s, {
      now,
      bounds,
      firstDivergence: firstDivPos >= 0 ? m.nameAt(firstDivPos) : null,
      count: this.matches.countText(selPos),
    });
    this.saveState();

    this.root.removeAttribute('aria-busy');
    this.firstPaint = false;
    window.dispatchEvent(
      new CustomEvent('runlens:rendered', {
        detail: { ms: performance.now() - t0, first: wasFirst, rows: rows.length, spans: m.tree.size, ...this.perf },
      }),
    );
  }

  /** Persist the view state: at most every 300 ms, and always once after the last change. */
  private saveState(force = false): void {
    this.chrome.throttleSave(force, () => {
      const m = this.model;
      this.host.setState({
        runId: m.run?.id,
        selectedSpanId: this.pending.select?.id ?? this.selectedSpanId(),
        compareRunId: m.compare?.other.id ?? null,
        // While the run is still arriving, what is waiting to be restored is the state.
        ui: toPersisted(this.state, this.pending.restoreScroll ?? this.waterfall.scrollTop),
      });
    });
  }

  // -------------------------------------------------------------------------------------
  // Selection, collapse, reveal

  /**
   * `quiet`: a selection the host asked for (a reveal, a restored one, the first divergence
   * of a comparison arriving) is not echoed back: echoed late, it moved the runs tree's
   * selection under the user, who had gone on to something else, and closed their QuickPick.
   */
  select(pos: number, opts: { reveal?: boolean; center?: boolean; open?: boolean; quiet?: boolean } = {}): void {
    const m = this.model;
    if (pos < 0 || pos >= m.tree.size) return;
    this.apply({ type: 'select', id: m.tree.ids[pos]! });
    if (opts.open && !this.state.detailOpen) this.setDetailOpen(true);
    if (opts.reveal !== false) {
      const i = rowIndexOf(this.rows(), pos);
      if (i >= 0) this.waterfall.reveal(i, opts.center);
    }
    window.clearTimeout(this.selectNotify);
    this.selectNotify = window.setTimeout(() => {
      if (!opts.quiet) this.host.post({ type: 'selectSpan', spanId: this.selectedSpanId() });
      this.saveState(true);
    }, 150);
    this.invalidate();
  }

  /** Select a row by id, expanding its ancestors and lifting the filters that hide it. */
  revealRowId(rowId: string, center: boolean, open: boolean, quiet = false): void {
    const m = this.model;
    const p = m.tree.pos.get(rowId);
    if (p === undefined) return;
    const ancestors: string[] = [];
    for (let a = m.tree.parent[p]!; a >= 0; a = m.tree.parent[a]!) ancestors.push(m.tree.ids[a]!);
    this.apply({ type: 'expand', ids: ancestors });
    this.apply({ type: 'clearFilters', ids: filtersHiding(m, this.state.filters, p) });
    this.select(p, { center, open, quiet });
  }

  selectFirstDivergence(focus = true): void {
    const c = this.model.compare;
    if (!c || c.firstDivergence === null) return;
    // Asked by the user (focus) or done on arrival of a comparison (quiet).
    this.revealRowId(c.rows[c.firstDivergence]!.key, true, true, !focus);
    if (focus) this.waterfall.focus();
  }

  onRowClick(i: number, how: 'click' | 'dblclick'): void {
    const p = this.rows()[i];
    if (p === undefined) return;
    this.waterfall.focus();
    if (how === 'click') return this.select(p, { reveal: false, open: true });
    // Double-click: zoom to the span.
    const m = this.model;
    const lane = m.lane.status[p] !== 255 ? m.lane : m.laneA;
    if (!lane) return;
    const s = lane.start[p]!;
    const pad = Math.max((m.endIn(lane, p) - s) * 0.1, 0.01);
    this.setWindow(rangeWindow(s - pad, m.endIn(lane, p) + pad, m.liveBounds()));
  }

  toggleRow(i: number): void {
    const p = this.rows()[i];
    if (p !== undefined && hasChildren(this.model.tree, p)) this.setCollapsed(p, !this.isCollapsed(p));
  }

  // The rest of what the keys act on (keys.ts).
  get tree(): Tree {
    return this.model.tree;
  }
  isCollapsed = (p: number): boolean => this.state.collapsed.has(this.model.tree.ids[p]!);
  setCollapsed = (p: number, collapsed: boolean): void => this.dispatch({ type: 'setCollapsed', id: this.model.tree.ids[p]!, collapsed });
  pageRows = (): number => Math.max(1, Math.floor(this.waterfall.viewportHeight / ROW_HEIGHT) - 1);
  firstVisibleRow = (): number => this.waterfall.firstVisibleRow();
  openDetail = (): void => this.setDetailOpen(true);

  setDetailOpen(open: boolean): void {
    this.dispatch({ type: 'setDetailOpen', open });
    this.saveState(true);
  }

  // -------------------------------------------------------------------------------------
  // Zoom, pan

  setWindow = (w: TimeWindow): void => this.dispatch({ type: 'setWindow', window: w });

  zoomBy(factor: number, anchor?: number): void {
    const v = this.state.view;
    this.setWindow(zoomWindow(v, factor, anchor ?? (v.start + v.end) / 2, this.model.liveBounds()));
  }

  fit = (): void => this.dispatch({ type: 'fit' });

  // -------------------------------------------------------------------------------------
  // Search

  setQuery(q: string): void {
    this.apply({ type: 'setQuery', query: q });
    window.clearTimeout(this.searchTimer);
    this.searchTimer = window.setTimeout(() => {
      this.recomputeMatches();
      // Jump to the first match at or after the selection.
      const target = this.matches.step(this.selectedPos(), 1, true);
      if (target >= 0) this.revealRowId(this.model.tree.ids[target]!, true, false);
      this.invalidate();
    }, 80);
  }

  private recomputeMatches(): void {
    const m = this.model;
    this.matches.update(m.tree, (p) => m.nameAt(p), this.state.query);
  }

  nextMatch(dir: 1 | -1): void {
    const target = this.matches.step(this.selectedPos(), dir);
    if (target >= 0) this.revealRowId(this.model.tree.ids[target]!, true, false);
  }

  /** For tests and the bench: the span shown in the detail panel. */
  get selectedSpan(): SpanCore | undefined {
    const p = this.selectedPos();
    return p >= 0 ? (this.model.spanAt[p] ?? this.model.otherAt[p]) : undefined;
  }
}
