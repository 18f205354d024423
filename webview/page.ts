/**
 * The timeline page's parts — toolbar, chrome (layout, splitters, overlays), waterfall,
 * minimap, detail panel — built once, and which action of the controller (app.ts) each of
 * their events calls; the page's keys and the tick that redraws a live run. What the actions
 * do is the controller's.
 */
import { Chrome } from './chrome';
import { DetailPanel } from './detail';
import { spanRequests } from './inbox';
import { onPageKey, onTreeKey, type KeyTarget } from './keys';
import { clampWindow, panWindow, rangeWindow, type TimeWindow } from './layout';
import { Minimap } from './minimap';
import { DetailCache, type TimelineModel } from './model';
import type { Action, ViewState } from './state';
import { Toolbar } from './toolbar';
import type { Host } from './vscode';
import { ROW_HEIGHT, Waterfall } from './waterfall';

const LIVE_TICK_MS = 250;

export interface PageParts {
  toolbar: Toolbar;
  chrome: Chrome;
  waterfall: Waterfall;
  minimap: Minimap;
  detail: DetailPanel;
}

/** What the parts' events ask of the controller (the App). */
export interface PageActions extends KeyTarget {
  readonly model: TimelineModel;
  readonly viewState: ViewState;
  dispatch(a: Action): void;
  /** Draw again in the next frame. */
  invalidate(): void;
  zoomBy(factor: number, anchor?: number): void;
  setWindow(w: TimeWindow): void;
  setQuery(q: string): void;
  nextMatch(dir: 1 | -1): void;
  selectFirstDivergence(): void;
  onRowClick(i: number, how: 'click' | 'dblclick'): void;
  toggleRow(i: number): void;
  setDetailOpen(open: boolean): void;
}

/** Build the page's parts in `root` and route their events to `app` (called once, from its constructor). */
export function buildPage(root: HTMLElement, host: Host, app: PageActions): PageParts {
  const post = host.post.bind(host);
  const toolbar = new Toolbar(root, {
    zoomIn: () => app.zoomBy(1.6),
    zoomOut: () => app.zoomBy(1 / 1.6),
    fit: () => app.fit(),
    search: (q) => app.setQuery(q),
    next: (dir) => app.nextMatch(dir),
    filter: (id, value) => app.dispatch({ type: 'setFilter', id, value }),
    critical: (on) => app.dispatch({ type: 'setCritical', on }),
    compareWith: (id) => post(id ? { type: 'pickCompareRun', runId: id } : { type: 'clearCompare' }),
    pickOther: () => post({ type: 'pickCompareRun' }),
    layout: (layout) => app.dispatch({ type: 'setLayout', layout }),
    gotoDivergence: () => app.selectFirstDivergence(),
  });
  const chrome = new Chrome(root, toolbar, {
    detailWidth: (px) => app.dispatch({ type: 'setDetailWidth', px, max: root.clientWidth * 0.7 }),
    resized: () => app.invalidate(),
    themeChanged: () => app.invalidate(),
  });
  const waterfall = new Waterfall(chrome.waterfallSlot, {
    select: (i, how) => app.onRowClick(i, how),
    toggle: (i) => app.toggleRow(i),
    zoom: (f, anchor) => app.zoomBy(f, anchor),
    pan: (d) => app.setWindow(panWindow(app.viewState.view, d, app.model.liveBounds())),
    range: (a, b) => app.setWindow(rangeWindow(a, b, app.model.liveBounds())),
    scrolled: () => app.invalidate(),
    key: (e) => onTreeKey(e, app),
    namesWidth: (px) => app.dispatch({ type: 'setNamesWidth', px, max: root.clientWidth * 0.6 }),
    focusChanged: () => app.invalidate(),
  });
  const minimap = new Minimap(waterfall.minimapSlot, {
    navigate: (ms, frac) => {
      const view = app.viewState.view;
      const span = view.end - view.start;
      app.setWindow(clampWindow({ start: ms - span / 2, end: ms + span / 2 }, app.model.liveBounds()));
      waterfall.scrollTop = Math.max(0, frac * app.rows().length * ROW_HEIGHT - waterfall.viewportHeight / 2);
    },
  });
  const ask = spanRequests(app.model, post, () => app.viewState.logSeverity);
  app.model.details = new DetailCache(ask.detail);
  const detail = new DetailPanel(chrome.main, {
    close: () => app.setDetailOpen(false),
    ...ask,
    logSeverity: () => app.viewState.logSeverity,
    setLogSeverity: (min) => {
      app.dispatch({ type: 'setLogSeverity', min });
      // Details are asked for again, with their records at the new severity.
      app.model.details.invalidate('this');
      app.model.details.invalidate('other');
    },
  });

  document.addEventListener('keydown', (e) =>
    onPageKey(e, {
      focusSearch: () => toolbar.search.focus(),
      nextMatch: (dir) => app.nextMatch(dir),
      escape: (inField) => {
        if (inField && app.viewState.query) {
          toolbar.search.value = '';
          app.setQuery('');
        } else if (app.viewState.detailOpen) app.setDetailOpen(false);
        else return;
        waterfall.focus();
      },
    }),
  );
  window.setInterval(() => {
    if (app.model.isLive()) app.invalidate();
  }, LIVE_TICK_MS);
  return { toolbar, chrome, waterfall, minimap, detail };
}
