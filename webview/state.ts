/**
 * The timeline's view state — what the user chose, apart from the data: selection,
 * collapsed rows, filters, search, zoom window, highlight and layout — and the named
 * actions that change it. `reduce` is pure (the state is never mutated; an action that
 * changes nothing returns the same object), so it is unit-tested without a DOM. The App
 * dispatches actions and renders from the state; the model (the run's data) is elsewhere.
 */
import { clampWindow, fitWindow, type TimeWindow } from './layout';
import { defaultFilterValues, FILTERS, filterById, parseFilterValue, type FilterValue, type FilterValues } from './filters';
import type { PersistedState, UiState } from './vscode';
import { DEFAULT_LOG_SEVERITY, LOG_LEVELS } from '../src/shared/protocol';

type CompareLayout = 'overlay' | 'side';

export interface ViewState {
  readonly selectedId: string | null;
  /** Row ids whose children are hidden. */
  readonly collapsed: ReadonlySet<string>;
  readonly filters: FilterValues;
  readonly query: string;
  /** The time window on screen; while `follow`, the whole run (fit) as it grows. */
  readonly view: TimeWindow;
  readonly follow: boolean;
  readonly critical: boolean;
  readonly compareLayout: CompareLayout;
  readonly namesWidth: number;
  readonly detailWidth: number;
  readonly detailOpen: boolean;
  /** The least severity the detail's Logs section shows (OTLP severity number). */
  readonly logSeverity: number;
}

export type Action =
  | { type: 'select'; id: string | null }
  | { type: 'setCollapsed'; id: string; collapsed: boolean }
  /** Show these rows' children (revealing a row below them). */
  | { type: 'expand'; ids: readonly string[] }
  | { type: 'setFilter'; id: string; value: FilterValue }
  /** Turn these filters off (they hid a row the user asked to see). */
  | { type: 'clearFilters'; ids: readonly string[] }
  | { type: 'setQuery'; query: string }
  | { type: 'setWindow'; window: TimeWindow }
  | { type: 'fit' }
  /** The run's extent changed: follow it, or keep the window inside it. */
  | { type: 'bounds'; bounds: TimeWindow }
  | { type: 'setCritical'; on: boolean }
  | { type: 'setLayout'; layout: CompareLayout }
  /** Widths in px; `max` is what the page's width allows. */
  | { type: 'setNamesWidth'; px: number; max: number }
  | { type: 'setDetailWidth'; px: number; max: number }
  | { type: 'setDetailOpen'; open: boolean }
  | { type: 'setLogSeverity'; min: number }
  /** The panel now shows another run than the one the state was for. */
  | { type: 'otherRun' }
  /** Compare mode started, stopped or changed baseline: rows are different rows now. */
  | { type: 'compareChanged' };

const MIN_NAMES_W = 140;
const MIN_DETAIL_W = 240;
const MAX_PERSISTED_COLLAPSED = 5000;

export const INITIAL_STATE: ViewState = {
  selectedId: null,
  collapsed: new Set(),
  filters: defaultFilterValues(),
  query: '',
  view: { start: 0, end: 1 },
  follow: true,
  critical: false,
  compareLayout: 'overlay',
  namesWidth: 300,
  detailWidth: 380,
  detailOpen: false,
  logSeverity: DEFAULT_LOG_SEVERITY,
};

const clampPx = (px: number, min: number, max: number): number => Math.round(Math.min(Math.max(px, min), Math.max(max, min)));
const sameWindow = (a: TimeWindow, b: TimeWindow): boolean => a.start === b.start && a.end === b.end;

export function reduce(s: ViewState, a: Action): ViewState {
  switch (a.type) {
    case 'select':
      return s.selectedId === a.id ? s : { ...s, selectedId: a.id };
    case 'setCollapsed': {
      if (s.collapsed.has(a.id) === a.collapsed) return s;
      const collapsed = new Set(s.collapsed);
      if (a.collapsed) collapsed.add(a.id);
      else collapsed.delete(a.id);
      return { ...s, collapsed };
    }
    case 'expand': {
      if (!a.ids.some((id) => s.collapsed.has(id))) return s;
      const collapsed = new Set(s.collapsed);
      for (const id of a.ids) collapsed.delete(id);
      return { ...s, collapsed };
    }
    case 'setFilter': {
      const f = filterById(a.id);
      if (!f) return s;
      const value = parseFilterValue(f, a.value);
      return s.filters[a.id] === value ? s : { ...s, filters: { ...s.filters, [a.id]: value } };
    }
    case 'clearFilters': {
      const off = defaultFilterValues();
      const ids = a.ids.filter((id) => id in off && s.filters[id] !== off[id]);
      if (!ids.length) return s;
      const filters = { ...s.filters };
      for (const id of ids) filters[id] = off[id]!;
      return { ...s, filters };
    }
    case 'setQuery':
      return s.query === a.query ? s : { ...s, query: a.query };
    case 'setWindow':
      return !s.follow && sameWindow(s.view, a.window) ? s : { ...s, view: a.window, follow: false };
    case 'fit':
      return s.follow ? s : { ...s, follow: true };
    case 'bounds': {
      const view = s.follow ? fitWindow(a.bounds) : clampWindow(s.view, a.bounds);
      return sameWindow(view, s.view) ? s : { ...s, view };
    }
    case 'setCritical':
      return s.critical === a.on ? s : { ...s, critical: a.on };
    case 'setLayout':
      return s.compareLayout === a.layout ? s : { ...s, compareLayout: a.layout };
    case 'setNamesWidth': {
      const w = clampPx(a.px, MIN_NAMES_W, a.max);
      return s.namesWidth === w ? s : { ...s, namesWidth: w };
    }
    case 'setDetailWidth': {
      const w = clampPx(a.px, MIN_DETAIL_W, a.max);
      return s.detailWidth === w ? s : { ...s, detailWidth: w };
    }
    case 'setDetailOpen':
      return s.detailOpen === a.open ? s : { ...s, detailOpen: a.open };
    case 'setLogSeverity': {
      const min = LOG_LEVELS.some((l) => l.min === a.min) ? a.min : s.logSeverity;
      return s.logSeverity === min ? s : { ...s, logSeverity: min };
    }
    case 'otherRun':
      return { ...s, collapsed: new Set(), follow: true, selectedId: null };
    case 'compareChanged':
      return { ...s, collapsed: new Set(), selectedId: null };
  }
}

// ---------------------------------------------------------------------------------------
// Persistence (VS Code keeps it across reloads of the panel; read back as untrusted input).

const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/** The view state a reloaded panel starts from. */
export function fromPersisted(saved: PersistedState): ViewState {
  const ui: Partial<UiState> & { errorsOnly?: unknown } = saved.ui && typeof saved.ui === 'object' ? saved.ui : {};
  const filters: Record<string, FilterValue> = { ...defaultFilterValues() };
  const savedFilters: Record<string, unknown> = ui.filters && typeof ui.filters === 'object' ? ui.filters : { errorsOnly: ui.errorsOnly };
  for (const f of FILTERS) filters[f.id] = parseFilterValue(f, savedFilters[f.id]);
  const v = ui.view;
  const view =
    v && typeof v === 'object' && Number.isFinite(v.start) && Number.isFinite(v.end) && v.end > v.start
      ? { start: v.start, end: v.end }
      : null;
  const d = INITIAL_STATE;
  return {
    selectedId: typeof saved.selectedSpanId === 'string' ? saved.selectedSpanId : null,
    collapsed: new Set(Array.isArray(ui.collapsed) ? ui.collapsed.filter((x): x is string => typeof x === 'string') : []),
    filters,
    query: typeof ui.query === 'string' ? ui.query : '',
    view: view ?? d.view,
    follow: view === null,
    critical: ui.critical === true,
    compareLayout: ui.compareLayout === 'side' ? 'side' : 'overlay',
    namesWidth: num(ui.namesWidth, d.namesWidth),
    detailWidth: num(ui.detailWidth, d.detailWidth),
    detailOpen: ui.detailOpen === true,
    logSeverity: LOG_LEVELS.some((l) => l.min === ui.logSeverity) ? (ui.logSeverity as number) : d.logSeverity,
  };
}

/** What is kept of the view state (the scroll position is the waterfall's). */
export function toPersisted(s: ViewState, scrollTop: number): UiState {
  return {
    filters: { ...s.filters },
    critical: s.critical,
    compareLayout: s.compareLayout,
    namesWidth: s.namesWidth,
    detailWidth: s.detailWidth,
    detailOpen: s.detailOpen,
    logSeverity: s.logSeverity,
    collapsed: [...s.collapsed].slice(0, MAX_PERSISTED_COLLAPSED),
    query: s.query,
    view: s.follow ? null : s.view,
    scrollTop,
  };
}
