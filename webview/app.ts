/**
 * The timeline controller: owns the view state (selection, collapse, filters, zoom window,
 * search), applies host messages, and renders everything in one requestAnimationFrame pass
 * so bursts of live updates never cause more than one layout per frame.
 */
import { decodeSpans, spanIdsOf, type HostMessage, type SpanCore } from '../src/shared/protocol';
import { DetailPanel } from './detail';
import { el, setText } from './dom';
import {
  clampWindow,
  fitWindow,
  flatten,
  formatCount,
  formatDuration,
  hasChildren,
  panWindow,
  rangeWindow,
  rowIndexOf,
  searchPositions,
  stepMatch,
  zoomWindow,
  type TimeWindow,
} from './layout';
import { Minimap } from './minimap';
import { DetailCache, TimelineModel } from './model';
import { Toolbar } from './toolbar';
import type { Host, UiState } from './vscode';
import { ROW_HEIGHT, Waterfall } from './waterfall';

const DEFAULT_UI: UiState = {
  errorsOnly: false,
  critical: false,
  compareLayout: 'overlay',
  namesWidth: 300,
  detailWidth: 380,
  detailOpen: false,
  collapsed: [],
  query: '',
  view: null,
  scrollTop: 0,
};
const MAX_PERSISTED_COLLAPSED = 5000;
const LIVE_TICK_MS = 250;

/** Identity numbers for view objects, so "did the selected span change" is one compare. */
const objIds = new WeakMap<object, number>();
let nextObjId = 1;
const objId = (o: object | undefined): number => {
  if (!o) return 0;
  let id = objIds.get(o);
  if (id === undefined) objIds.set(o, (id = nextObjId++));
  return id;
};

export class App {
  readonly model = new TimelineModel();
  /** Timings of the last message and frame, reported with each `runlens:rendered` event. */
  readonly perf = { deserializeMs: 0, parseMs: 0, rebuildMs: 0 };
  private ui: UiState;
  private readonly collapsed: Set<string>;
  private selectedId: string | null = null;
  private rows: Int32Array = new Int32Array(0);
  private matches: Int32Array = new Int32Array(0);
  private matchFlag: Uint8Array | null = null;
  private view: TimeWindow = { start: 0, end: 1 };
  /** The window follows the whole run (fit) until the user zooms or pans. */
  private follow = true;
  private dirtyData = false;
  private dirtyRows = false;
  private frameQueued = false;
  private firstPaint = true;
  private initialised = false;
  private pendingSelect: { id: string; center: boolean; open?: boolean } | null = null;
  private lastCompareId: string | null = null;
  private themeVersion = 0;
  private lastStateSave = 0;
  private selectNotify = 0;
  private searchTimer = 0;
  private focused = false;
  /** Spans of the run the host has still to send after init (streamed in chunks). */
  private pendingSpans = 0;
  private readonly loadingLabel: HTMLElement;

  private readonly main: HTMLElement;
  private readonly toolbar: Toolbar;
  private readonly waterfall: Waterfall;
  private readonly minimap: Minimap;
  private readonly detail: DetailPanel;
  private readonly overlay: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: Host,
  ) {
    const saved = host.getState();
    this.ui = { ...DEFAULT_UI, ...(saved.ui ?? {}) };
    this.collapsed = new Set(this.ui.collapsed);
    this.selectedId = saved.selectedSpanId ?? null;
    if (this.ui.view) this.follow = false;

    this.toolbar = new Toolbar(root, {
      zoomIn: () => this.zoomBy(1.6),
      zoomOut: () => this.zoomBy(1 / 1.6),
      fit: () => this.fit(),
      search: (q) => this.setQuery(q),
      next: (dir) => this.nextMatch(dir),
      errorsOnly: (on) => this.setErrorsOnly(on),
      critical: (on) => {
        this.ui.critical = on;
        this.invalidate();
      },
      compareWith: (id) => host.post(id ? { type: 'pickCompareRun', runId: id } : { type: 'clearCompare' }),
      pickOther: () => host.post({ type: 'pickCompareRun' }),
      layout: (l) => {
        this.ui.compareLayout = l;
        this.invalidate();
      },
      gotoDivergence: () => this.selectFirstDivergence(),
    });
    this.main = el('div', 'tl-main');
    const wfWrap = el('div', 'tl-wf-wrap');
    this.main.appendChild(wfWrap);
    root.appendChild(this.main);
    this.waterfall = new Waterfall(wfWrap, {
      select: (i, how) => this.onRowClick(i, how),
      toggle: (i) => this.toggleRow(i),
      zoom: (f, anchor) => this.zoomBy(f, anchor),
      pan: (d) => this.panBy(d),
      range: (a, b) => this.setWindow(rangeWindow(a, b, this.model.liveBounds())),
      scrolled: () => this.invalidate(),
      key: (e) => this.onKey(e),
      namesWidth: (px) => this.setNamesWidth(px),
      focusChanged: () => {
        this.focused = document.activeElement === this.waterfall.scroller;
        this.invalidate();
      },
    });
    this.minimap = new Minimap(this.waterfall.minimapSlot, {
      navigate: (ms, frac) => {
        const span = this.view.end - this.view.start;
        this.setWindow(clampWindow({ start: ms - span / 2, end: ms + span / 2 }, this.model.liveBounds()));
        const target = frac * this.rows.length * ROW_HEIGHT - this.waterfall.viewportHeight / 2;
        this.waterfall.scrollTop = Math.max(0, target);
      },
    });
    const sash = el('div', 'tl-sash');
    sash.title = 'Drag to resize the details';
    this.main.appendChild(sash);
    this.model.details = new DetailCache((side, spanId) => {
      const other = this.model.compare?.other.id;
      if (side === 'this') host.post({ type: 'getSpanDetail', spanId });
      else if (other) host.post({ type: 'getSpanDetail', spanId, runId: other });
    });
    this.detail = new DetailPanel(this.main, {
      close: () => this.setDetailOpen(false),
      goToSource: (span, side) =>
        host.post(side === 'other' && this.model.compare ? { type: 'goToSource', spanId: span.id, runId: this.model.compare.other.id } : { type: 'goToSource', spanId: span.id }),
      openSource: (file, line, column) => host.post(column !== undefined ? { type: 'openSource', file, line, column } : { type: 'openSource', file, line }),
      copy: (text) => host.post({ type: 'copy', text }),
    });
    this.wireSash(sash);
    this.loadingLabel = el('span', 'tl-loading');
    this.loadingLabel.setAttribute('role', 'status');
    this.loadingLabel.hidden = true;
    this.toolbar.bar.appendChild(this.loadingLabel);
    this.overlay = el('div', 'tl-overlay');
    const ring = document.createElement('vscode-progress-ring');
    this.overlay.append(ring, el('span', 'tl-overlay-text', 'Loading run…'));
    root.appendChild(this.overlay);

    this.toolbar.errorsBox.checked = this.ui.errorsOnly;
    this.toolbar.criticalBox.checked = this.ui.critical;
    this.toolbar.setLayout(this.ui.compareLayout);
    if (this.ui.query) this.toolbar.search.value = this.ui.query;
    this.setNamesWidth(this.ui.namesWidth);
    this.setDetailWidth(this.ui.detailWidth);
    this.applyDetailOpen();

    document.addEventListener('keydown', (e) => this.onGlobalKey(e));
    new ResizeObserver(() => this.invalidate()).observe(this.main);
    // VS Code switches themes by changing the body class and the variables on <html>.
    const mo = new MutationObserver(() => {
      this.themeVersion++;
      this.invalidate();
    });
    mo.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
    window.setInterval(() => {
      if (this.model.isLive()) this.invalidate();
    }, LIVE_TICK_MS);
  }

  // -------------------------------------------------------------------------------------
  // Host messages

  handle(msg: HostMessage): void {
    const now = performance.now();
    switch (msg.type) {
      case 'init': {
        const m = this.model;
        const sameRun = m.run?.id === msg.run.id;
        m.missing = null;
        m.run = msg.run;
        m.resetSpans(decodeSpans(msg.spans));
        this.pendingSpans = msg.pending ?? 0;
        m.details.clear();
        m.setAsOf(msg.asOfMs, now);
        m.setCompare(msg.compare ?? null);
        m.candidates = msg.candidates ?? m.candidates;
        const saved = this.host.getState();
        if (!sameRun && saved.runId && saved.runId !== msg.run.id) {
          // A different run than the one the saved view was for: start fresh.
          this.collapsed.clear();
          this.ui.view = null;
          this.follow = true;
          this.selectedId = null;
        }
        const want = msg.selectSpanId ?? (saved.runId === msg.run.id ? saved.selectedSpanId : null) ?? null;
        // A span the host asked for (CodeLens, tree, Problems) opens with its detail.
        if (want) this.pendingSelect = { id: want, center: true, open: !!msg.selectSpanId };
        this.lastCompareId = msg.compare?.other.id ?? null;
        if (msg.compare && !want) this.pendingDivergence = true;
        if (this.ui.view && !this.initialised) {
          this.view = this.ui.view;
          this.follow = false;
        }
        this.restoreScroll = !this.initialised ? this.ui.scrollTop : null;
        this.initialised = true;
        this.dirtyData = true;
        break;
      }
      case 'spansLoaded':
        // The rest of the run, in display order: rows appear as chunks arrive.
        this.model.upsert(decodeSpans(msg.spans));
        this.pendingSpans = msg.pending;
        this.dirtyData = true;
        break;
      case 'spansUpdated':
        this.model.run = msg.run;
        this.model.upsert(decodeSpans(msg.spans));
        this.model.details.invalidate('this', spanIdsOf(msg.spans));
        this.model.setAsOf(msg.asOfMs, now);
        this.dirtyData = true;
        break;
      case 'runUpdated':
        this.model.run = msg.run;
        this.model.setAsOf(msg.asOfMs, now);
        this.dirtyData = true;
        break;
      case 'compareData': {
        const prevSel = this.selectedSpanId();
        const newOther = msg.compare?.other.id ?? null;
        this.model.setCompare(msg.compare);
        if (newOther !== this.lastCompareId) this.model.details.clear('other');
        else this.model.details.invalidate('other');
        if (newOther !== this.lastCompareId) {
          this.lastCompareId = newOther;
          this.collapsed.clear();
          if (msg.compare) this.pendingDivergence = true;
          else if (prevSel) this.pendingSelect = { id: prevSel, center: true };
          this.selectedId = null;
        }
        this.dirtyData = true;
        break;
      }
      case 'candidates':
        this.model.candidates = msg.runs;
        this.toolbar.setCandidates(msg.runs, this.model.compare);
        return;
      case 'selectSpan':
        this.pendingSelect = { id: msg.spanId, center: true };
        this.ui.detailOpen = true;
        this.applyDetailOpen();
        break;
      case 'spanDetail': {
        const m = this.model;
        const side = msg.runId === m.run?.id ? 'this' : msg.runId === m.compare?.other.id ? 'other' : null;
        if (!side) return;
        m.details.receive(side, msg.spanId, msg.detail);
        break;
      }
      case 'runMissing':
        this.model.missing = msg.message;
        this.initialised = true;
        break;
    }
    this.invalidate();
  }

  private pendingDivergence = false;
  private restoreScroll: number | null = null;

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

  private selectedPos(): number {
    if (this.selectedId === null) return -1;
    return this.model.tree.pos.get(this.selectedId) ?? -1;
  }

  private selectedSpanId(): string | null {
    const p = this.selectedPos();
    return p >= 0 ? this.model.spanIdAt(p) : null;
  }

  private frame(): void {
    const t0 = performance.now();
    const m = this.model;
    if (this.initialised) this.endBoot();
    if (!this.initialised || m.missing !== null || !m.run) {
      this.showOverlay(m.missing ?? (this.initialised ? 'No run.' : 'Loading run…'), m.missing === null && !this.initialised);
      return;
    }
    this.showOverlay(null, false);
    const loading = this.pendingSpans > 0;
    this.loadingLabel.hidden = !loading;
    if (loading) setText(this.loadingLabel, `Loading spans… ${formatCount(m.size())} of ${formatCount(m.size() + this.pendingSpans)}`);
    const wasFirst = this.firstPaint;

    let anchor: { id: string; offset: number } | null = null;
    if (this.dirtyData) {
      // (No rows yet: no layout to read, the first frame lays the page out once.)
      const st = this.rows.length ? this.waterfall.scrollTop : 0;
      if (st > 0) {
        const i = Math.min(this.waterfall.firstVisibleRow(), this.rows.length - 1);
        anchor = { id: m.tree.ids[this.rows[i]!]!, offset: st - i * ROW_HEIGHT };
      }
      const tb = performance.now();
      m.rebuild();
      this.recomputeMatches();
      this.dirtyData = false;
      this.rows = flatten(m.tree, { collapsed: this.collapsed, keep: this.ui.errorsOnly ? m.errorBelow : undefined });
      this.dirtyRows = false;
      this.perf.rebuildMs = performance.now() - tb;
    }
    if (this.dirtyRows) {
      this.rows = flatten(m.tree, { collapsed: this.collapsed, keep: this.ui.errorsOnly ? m.errorBelow : undefined });
      this.dirtyRows = false;
    }
    this.waterfall.setRowCount(this.rows.length);
    if (anchor) {
      // Keep the rows in view where they were when spans arrive above them.
      const p = m.tree.pos.get(anchor.id);
      const i = p === undefined ? -1 : rowIndexOf(this.rows, p);
      if (i >= 0) this.waterfall.scrollTop = i * ROW_HEIGHT + anchor.offset;
    }
    if (this.restoreScroll !== null && !loading) {
      // The saved scroll position, once every row it may point into has arrived.
      if (this.restoreScroll > 0) this.waterfall.scrollTop = this.restoreScroll;
      this.restoreScroll = null;
    }
    if (this.pendingDivergence) {
      this.pendingDivergence = false;
      this.selectFirstDivergence(false);
    }
    if (this.pendingSelect) {
      const { id, center, open } = this.pendingSelect;
      const rowId = m.rowIdForSpan(id);
      // A span still on its way keeps the request until it arrives (or the run is all here).
      if (rowId !== null || !loading) this.pendingSelect = null;
      if (rowId !== null) this.revealRowId(rowId, center, !!open);
    }

    const bounds = m.liveBounds();
    this.view = this.follow ? fitWindow(bounds) : clampWindow(this.view, bounds);
    const now = m.now();
    const selPos = this.selectedPos();
    const fd = m.compare?.firstDivergence;
    const firstDivPos = fd !== null && fd !== undefined ? (m.tree.pos.get(m.compare!.rows[fd]!.key) ?? -1) : -1;
    const critical = this.ui.critical && !m.comparing ? m.critical() : null;

    this.waterfall.render({
      model: m,
      rows: this.rows,
      view: this.view,
      selectedPos: selPos,
      collapsed: this.collapsed,
      matchFlag: this.matchFlag,
      query: this.ui.query,
      critical,
      layout: this.ui.compareLayout,
      firstDivergencePos: firstDivPos,
      now,
      focused: this.focused,
    });
    const empty =
      m.tree.size === 0
        ? m.run.status === 'RUNNING'
          ? 'No spans yet — waiting for the workflow to report…'
          : 'This run recorded no spans.'
        : this.rows.length === 0 && this.ui.errorsOnly
          ? 'No failed spans in this run.'
          : null;
    this.waterfall.showEmpty(empty);
    this.minimap.render({
      model: m,
      rows: this.rows,
      view: this.view,
      firstRow: this.waterfall.scrollTop / ROW_HEIGHT,
      visibleRows: this.waterfall.viewportHeight / ROW_HEIGHT,
      now,
      themeVersion: this.themeVersion,
    });
    if (this.ui.detailOpen) {
      const key = `${this.selectedId}#${objId(m.spanAt[selPos])}.${objId(m.otherAt[selPos])}.${objId(m.rowAt[selPos])}.${m.comparing}.${m.details.version}`;
      this.detail.render(m, selPos, key);
    }
    this.toolbar.setRun(m.run, now);
    this.toolbar.setCandidates(m.candidates, m.compare);
    this.toolbar.setLayout(this.ui.compareLayout);
    this.toolbar.setBanner(m.compare, firstDivPos >= 0 ? m.nameAt(firstDivPos) : null);
    this.toolbar.setRange(`${formatDuration(Math.max(this.view.start, bounds.start))} – ${formatDuration(Math.min(this.view.end, bounds.end))}`);
    this.toolbar.criticalBox.toggleAttribute('disabled', m.comparing);
    this.updateCount(selPos);
    this.saveState();

    this.root.removeAttribute('aria-busy');
    this.firstPaint = false;
    window.dispatchEvent(
      new CustomEvent('runlens:rendered', {
        detail: { ms: performance.now() - t0, first: wasFirst, rows: this.rows.length, spans: m.tree.size, deserializeMs: this.perf.deserializeMs, parseMs: this.perf.parseMs, rebuildMs: this.perf.rebuildMs },
      }),
    );
  }

  /** Drop the page's own loading state (html.ts) once the App shows the run or why not. */
  private endBoot(): void {
    if (!this.root.classList.contains('booting')) return;
    this.root.querySelector('.tl-boot')?.remove();
    this.root.classList.remove('booting');
  }

  private showOverlay(text: string | null, spinner: boolean): void {
    this.overlay.hidden = text === null;
    this.main.hidden = text !== null;
    if (text !== null) {
      setText(this.overlay.querySelector('.tl-overlay-text')!, text);
      (this.overlay.firstElementChild as HTMLElement).hidden = !spinner;
    }
  }

  private saveTimer = 0;

  /** Persist view state: at most every 300 ms, and always once after the last change. */
  private saveState(force = false): void {
    const t = performance.now();
    if (!force && t - this.lastStateSave < 300) {
      if (!this.saveTimer) {
        this.saveTimer = window.setTimeout(() => {
          this.saveTimer = 0;
          this.saveState(true);
        }, 300 - (t - this.lastStateSave));
      }
      return;
    }
    window.clearTimeout(this.saveTimer);
    this.saveTimer = 0;
    this.lastStateSave = t;
    const m = this.model;
    this.ui.collapsed = [...this.collapsed].slice(0, MAX_PERSISTED_COLLAPSED);
    this.ui.view = this.follow ? null : this.view;
    // While the run is still arriving, what is waiting to be restored is the state.
    this.ui.scrollTop = this.restoreScroll ?? this.waterfall.scrollTop;
    this.host.setState({
      runId: m.run?.id,
      selectedSpanId: this.pendingSelect?.id ?? this.selectedSpanId(),
      compareRunId: m.compare?.other.id ?? null,
      ui: this.ui,
    });
  }

  // -------------------------------------------------------------------------------------
  // Selection, collapse, reveal

  private select(pos: number, opts: { reveal?: boolean; center?: boolean; open?: boolean } = {}): void {
    const m = this.model;
    if (pos < 0 || pos >= m.tree.size) return;
    this.selectedId = m.tree.ids[pos]!;
    if (opts.open && !this.ui.detailOpen) this.setDetailOpen(true);
    if (opts.reveal !== false) {
      const i = rowIndexOf(this.rows, pos);
      if (i >= 0) this.waterfall.reveal(i, opts.center);
    }
    this.notifySelection();
    this.invalidate();
  }

  private notifySelection(): void {
    window.clearTimeout(this.selectNotify);
    this.selectNotify = window.setTimeout(() => {
      this.host.post({ type: 'selectSpan', spanId: this.selectedSpanId() });
      this.saveState(true);
    }, 150);
  }

  /** Select a row by id, expanding ancestors and lifting a filter that hides it. */
  private revealRowId(rowId: string, center: boolean, open: boolean): void {
    const m = this.model;
    const p = m.tree.pos.get(rowId);
    if (p === undefined) return;
    let changed = false;
    for (let a = m.tree.parent[p]!; a >= 0; a = m.tree.parent[a]!) {
      if (this.collapsed.delete(m.tree.ids[a]!)) changed = true;
    }
    if (this.ui.errorsOnly && !m.errorBelow[p]) {
      this.ui.errorsOnly = false;
      this.toolbar.errorsBox.checked = false;
      changed = true;
    }
    if (changed) this.rows = flatten(m.tree, { collapsed: this.collapsed, keep: this.ui.errorsOnly ? m.errorBelow : undefined });
    this.select(p, { center, open });
  }

  private selectFirstDivergence(focus = true): void {
    const c = this.model.compare;
    if (!c || c.firstDivergence === null) return;
    this.revealRowId(c.rows[c.firstDivergence]!.key, true, true);
    if (focus) this.waterfall.focus();
  }

  private onRowClick(i: number, how: 'click' | 'dblclick'): void {
    const p = this.rows[i];
    if (p === undefined) return;
    this.waterfall.focus();
    if (how === 'dblclick') {
      const m = this.model;
      const lane = m.lane.status[p] !== 255 ? m.lane : m.laneA;
      if (!lane) return;
      const s = lane.start[p]!;
      const e = m.endIn(lane, p);
      const pad = Math.max((e - s) * 0.1, 0.01);
      this.setWindow(rangeWindow(s - pad, e + pad, m.liveBounds()));
      return;
    }
    this.select(p, { reveal: false, open: true });
  }

  private toggleRow(i: number): void {
    const p = this.rows[i];
    if (p === undefined || !hasChildren(this.model.tree, p)) return;
    this.setCollapsed(p, !this.collapsed.has(this.model.tree.ids[p]!));
  }

  private setCollapsed(p: number, collapsed: boolean): void {
    const id = this.model.tree.ids[p]!;
    if (collapsed === this.collapsed.has(id)) return;
    if (collapsed) this.collapsed.add(id);
    else this.collapsed.delete(id);
    this.reflatten();
  }

  /** Recompute the visible rows now (keyboard handlers read them before the next frame). */
  private reflatten(): void {
    if (this.dirtyData) {
      this.dirtyRows = true;
    } else {
      const m = this.model;
      this.rows = flatten(m.tree, { collapsed: this.collapsed, keep: this.ui.errorsOnly ? m.errorBelow : undefined });
      this.dirtyRows = false;
    }
    this.invalidate();
  }

  // -------------------------------------------------------------------------------------
  // Keyboard

  private onKey(e: KeyboardEvent): void {
    const m = this.model;
    const rows = this.rows;
    if (!rows.length) return;
    const pos = this.selectedPos();
    let i = pos >= 0 ? rowIndexOf(rows, pos) : -1;
    const page = Math.max(1, Math.floor(this.waterfall.viewportHeight / ROW_HEIGHT) - 1);
    const move = (to: number) => {
      const j = Math.min(Math.max(to, 0), rows.length - 1);
      this.select(rows[j]!, {});
    };
    switch (e.key) {
      case 'ArrowDown':
        move(i < 0 ? this.waterfall.firstVisibleRow() : i + 1);
        break;
      case 'ArrowUp':
        move(i < 0 ? this.waterfall.firstVisibleRow() : i - 1);
        break;
      case 'PageDown':
        move((i < 0 ? 0 : i) + page);
        break;
      case 'PageUp':
        move((i < 0 ? 0 : i) - page);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(rows.length - 1);
        break;
      case 'ArrowRight':
        if (pos < 0) move(0);
        else if (hasChildren(m.tree, pos) && this.collapsed.has(m.tree.ids[pos]!)) this.setCollapsed(pos, false);
        else if (hasChildren(m.tree, pos) && i + 1 < rows.length && m.tree.parent[rows[i + 1]!] === pos) move(i + 1);
        break;
      case 'ArrowLeft':
        if (pos < 0) move(0);
        else if (hasChildren(m.tree, pos) && !this.collapsed.has(m.tree.ids[pos]!)) this.setCollapsed(pos, true);
        else if (m.tree.parent[pos]! >= 0) {
          i = rowIndexOf(rows, m.tree.parent[pos]!);
          if (i >= 0) move(i);
        }
        break;
      case 'Enter':
        if (pos >= 0) this.setDetailOpen(true);
        else move(0);
        break;
      case ' ':
        if (pos >= 0 && hasChildren(m.tree, pos)) this.setCollapsed(pos, !this.collapsed.has(m.tree.ids[pos]!));
        break;
      case '+':
      case '=':
        this.zoomBy(1.6);
        break;
      case '-':
      case '_':
        this.zoomBy(1 / 1.6);
        break;
      case '0':
        this.fit();
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  }

  private onGlobalKey(e: KeyboardEvent): void {
    const inField = (e.target as HTMLElement | null)?.closest?.('vscode-text-field, input, textarea');
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'f') {
      e.preventDefault();
      this.toolbar.search.focus();
      return;
    }
    if (e.key === 'F3') {
      e.preventDefault();
      this.nextMatch(e.shiftKey ? -1 : 1);
      return;
    }
    if (e.key === 'Escape') {
      if (inField && this.ui.query) {
        this.toolbar.search.value = '';
        this.setQuery('');
        this.waterfall.focus();
      } else if (this.ui.detailOpen) {
        this.setDetailOpen(false);
        this.waterfall.focus();
      }
      return;
    }
    if (!inField && e.key === '/' && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      this.toolbar.search.focus();
    }
  }

  // -------------------------------------------------------------------------------------
  // Zoom, pan

  private setWindow(w: TimeWindow): void {
    this.view = w;
    this.follow = false;
    this.invalidate();
  }

  private zoomBy(factor: number, anchor?: number): void {
    const at = anchor ?? (this.view.start + this.view.end) / 2;
    this.setWindow(zoomWindow(this.view, factor, at, this.model.liveBounds()));
  }

  private panBy(deltaMs: number): void {
    this.setWindow(panWindow(this.view, deltaMs, this.model.liveBounds()));
  }

  private fit(): void {
    this.follow = true;
    this.invalidate();
  }

  // -------------------------------------------------------------------------------------
  // Search and filters

  private setQuery(q: string): void {
    this.ui.query = q;
    window.clearTimeout(this.searchTimer);
    this.searchTimer = window.setTimeout(() => {
      this.recomputeMatches();
      // Jump to the first match at or after the selection.
      if (this.matches.length) {
        const from = this.selectedPos();
        const target = from >= 0 && this.matchFlag?.[from] ? from : stepMatch(this.matches, from, 1);
        if (target >= 0) this.revealRowId(this.model.tree.ids[target]!, true, false);
      }
      this.invalidate();
    }, 80);
  }

  private recomputeMatches(): void {
    const m = this.model;
    this.matches = searchPositions(m.tree, (p) => m.nameAt(p), this.ui.query);
    if (this.matches.length) {
      this.matchFlag = new Uint8Array(m.tree.size);
      for (const p of this.matches) this.matchFlag[p] = 1;
    } else this.matchFlag = null;
  }

  private nextMatch(dir: 1 | -1): void {
    if (!this.matches.length) return;
    const target = stepMatch(this.matches, this.selectedPos(), dir);
    if (target >= 0) this.revealRowId(this.model.tree.ids[target]!, true, false);
  }

  private updateCount(selPos: number): void {
    if (!this.ui.query.trim()) {
      this.toolbar.setCount('');
      return;
    }
    const n = this.matches.length;
    if (!n) {
      this.toolbar.setCount('No results');
      return;
    }
    const k = selPos >= 0 && this.matchFlag?.[selPos] ? rowIndexOf(this.matches, selPos) + 1 : 0;
    this.toolbar.setCount(k ? `${k} of ${n}` : `${n} found`);
  }

  private setErrorsOnly(on: boolean): void {
    this.ui.errorsOnly = on;
    this.reflatten();
  }

  // -------------------------------------------------------------------------------------
  // Layout

  private setNamesWidth(px: number): void {
    const w = Math.round(Math.min(Math.max(px, 140), Math.max(this.root.clientWidth * 0.6, 200)));
    this.ui.namesWidth = w;
    this.waterfall.setNamesWidth(w);
    this.invalidate();
  }

  private setDetailWidth(px: number): void {
    const w = Math.round(Math.min(Math.max(px, 240), Math.max(this.root.clientWidth * 0.7, 300)));
    this.ui.detailWidth = w;
    this.main.style.setProperty('--detail-w', `${w}px`);
    this.invalidate();
  }

  private setDetailOpen(open: boolean): void {
    this.ui.detailOpen = open;
    this.applyDetailOpen();
    this.saveState(true);
    this.invalidate();
  }

  private applyDetailOpen(): void {
    this.main.classList.toggle('detail-open', this.ui.detailOpen);
  }

  private wireSash(sash: HTMLElement): void {
    let drag: { x: number; w: number; id: number } | null = null;
    sash.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, w: this.ui.detailWidth, id: e.pointerId };
      sash.setPointerCapture(e.pointerId);
    });
    sash.addEventListener('pointermove', (e) => {
      if (drag && drag.id === e.pointerId) this.setDetailWidth(drag.w - (e.clientX - drag.x));
    });
    sash.addEventListener('pointerup', () => (drag = null));
  }

  /** For tests and the bench: the span id shown in the detail panel. */
  get selectedSpan(): SpanCore | undefined {
    const p = this.selectedPos();
    return p >= 0 ? (this.model.spanAt[p] ?? this.model.otherAt[p]) : undefined;
  }
}
