/**
 * The waterfall's filters and the one function that turns the model and the view state into
 * the rows on screen. DOM-free: unit-tested in plain node.
 *
 * A filter is one descriptor in FILTERS: its id (the key of its value in ViewState and in
 * the persisted state), the label and kind of its toolbar control, which spans it matches,
 * and what the waterfall says when nothing does. A row is shown when it or a descendant
 * matches every active filter (ancestors stay, so a match keeps its place in the tree), and
 * no collapsed ancestor hides it.
 */
import { flatten, subtreeAny, type Tree } from './tree';
import type { TimelineModel } from './model';
import type { ViewState } from './state';

/** A checkbox (on / off) or a dropdown of the run's values (null: all). */
export type FilterValue = boolean | string | null;
export type FilterValues = Readonly<Record<string, FilterValue>>;

type FilterControl =
  | { kind: 'toggle' }
  | {
      kind: 'choice';
      /** The option that turns the filter off. */
      all: string;
      /** The values to offer, from the run. */
      options(m: FilterModel): readonly string[];
    };

/** What filters read of the model (TimelineModel; a plain object in unit tests). */
export type FilterModel = Pick<TimelineModel, 'tree' | 'version' | 'failed' | 'serviceAt' | 'services'>;

export interface FilterDescriptor {
  id: string;
  label: string;
  /** Tooltip of the control. */
  title?: string;
  control: FilterControl;
  /** Whether position `p` itself matches when the filter's value is `v` (and it is active). */
  predicate(m: FilterModel, v: FilterValue): (p: number) => boolean;
  /** What the waterfall says when no span matches. */
  empty(v: FilterValue): string;
}

// ---------------------------------------------------------------------------------------
// The filters. A new filter is one entry here.

export const FILTERS: readonly FilterDescriptor[] = [
  {
    id: 'errorsOnly',
    label: 'Errors only',
    control: { kind: 'toggle' },
    // Failed or never ended; in compare mode either run's, or a step only one run has or whose status changed.
    predicate: (m) => (p) => m.failed[p] === 1,
    empty: () => 'No failed spans in this run.',
  },
  {
    id: 'service',
    label: 'Service',
    title: "Only the spans of one service (service.name of the span's resource)",
    control: { kind: 'choice', all: 'All services', options: (m) => m.services() },
    predicate: (m, v) => (p) => m.serviceAt(p) === v,
    empty: (v) => `No spans of ${String(v)} in this run.`,
  },
];

// ---------------------------------------------------------------------------------------

const byId = new Map(FILTERS.map((f) => [f.id, f]));

export const filterById = (id: string): FilterDescriptor | undefined => byId.get(id);

/** Every filter off. */
export function defaultFilterValues(): FilterValues {
  const out: Record<string, FilterValue> = {};
  for (const f of FILTERS) out[f.id] = f.control.kind === 'toggle' ? false : null;
  return out;
}

/** A value for filter `f` from untrusted input (persisted state): the filter off when malformed. */
export function parseFilterValue(f: FilterDescriptor, v: unknown): FilterValue {
  if (f.control.kind === 'toggle') return v === true;
  return typeof v === 'string' && v.length > 0 && v.length <= 1000 ? v : null;
}

const isActive = (v: FilterValue | undefined): boolean => v !== undefined && v !== null && v !== false;

const activeFilters = (values: FilterValues): FilterDescriptor[] => FILTERS.filter((f) => isActive(values[f.id]));

/** A key that changes whenever the set of active filters or a value changes. */
const valuesKey = (values: FilterValues): string => JSON.stringify(FILTERS.map((f) => values[f.id] ?? null));

let keepCache: { tree: Tree; version: number; key: string; keep: Uint8Array | undefined } | null = null;

/**
 * Per position: 1 when the node or a descendant matches every active filter; undefined
 * when no filter is active. Remembered for the last model version and values.
 */
function keepFlags(m: FilterModel, values: FilterValues): Uint8Array | undefined {
  const key = valuesKey(values);
  if (keepCache && keepCache.tree === m.tree && keepCache.version === m.version && keepCache.key === key) return keepCache.keep;
  const preds = activeFilters(values).map((f) => f.predicate(m, values[f.id]!));
  let keep: Uint8Array | undefined;
  if (preds.length === 1) keep = subtreeAny(m.tree, preds[0]!);
  else if (preds.length > 1) keep = subtreeAny(m.tree, (p) => preds.every((q) => q(p)));
  keepCache = { tree: m.tree, version: m.version, key, keep };
  return keep;
}

/** The rows on screen, in order (tree positions): the only place rows are filtered. */
export function visibleRows(m: FilterModel, s: Pick<ViewState, 'collapsed' | 'filters'>): Int32Array {
  return flatten(m.tree, { collapsed: s.collapsed, keep: keepFlags(m, s.filters) });
}

/** The active filters that hide position `p` (nothing below it matches them). */
export function filtersHiding(m: FilterModel, values: FilterValues, p: number): string[] {
  const out: string[] = [];
  for (const f of activeFilters(values)) {
    const pred = f.predicate(m, values[f.id]!);
    let any = false;
    for (let q = p; q < m.tree.end[p]! && !any; q++) any = pred(q);
    if (!any) out.push(f.id);
  }
  return out;
}

/** What the waterfall says instead of rows, or null when it has rows. */
export function emptyText(m: FilterModel & { run: TimelineModel['run'] }, rowCount: number, values: FilterValues): string | null {
  if (m.tree.size === 0)
    return m.run?.status === 'RUNNING' ? 'No spans yet — waiting for the workflow to report…' : 'This run recorded no spans.';
  if (rowCount > 0) return null;
  const active = activeFilters(values);
  if (active.length === 1) return active[0]!.empty(values[active[0]!.id]!);
  return active.length ? 'No spans match the filters.' : null;
}
