/**
 * The waterfall's data columns, between the span names (the tree) and the time lane. A
 * column is one descriptor: its header, width, when it shows, and how it fills a row's cell
 * (text only: trace data reaches the page through textContent). The waterfall builds the
 * header and the cells from COLUMNS and lays the lane out after the columns shown.
 * DOM-free (a cell is anything with text, a title and a class): unit-tested in plain node.
 */
import type { Frame } from './frame';
import { formatDelta, formatDuration } from '../src/shared/format';
import { ST_NONE, type Lane, type TimelineModel } from './model';
import { selfTime } from './tree';

/** What a column writes to (a row's cell element). */
interface Cell {
  textContent: string | null;
  title: string;
  className: string;
}

const setText = (cell: Cell, text: string): void => {
  if (cell.textContent !== text) cell.textContent = text;
};

export interface Column {
  id: string;
  header: string;
  /** Tooltip of the header. */
  title: string;
  /** Width in px. */
  width: number;
  /** Whether the column is on screen for this model (e.g. only while comparing). */
  shown(m: TimelineModel): boolean;
  /**
   * Fill the cell (class `c-col c-<id>`) of the row at tree position `p`. Called when the
   * row's content changes (data, selection, position), not every frame.
   */
  render(cell: Cell, p: number, f: Frame): void;
}

// ---------------------------------------------------------------------------------------
// The columns, left to right. A new column is one entry here.

export const COLUMNS: readonly Column[] = [
  {
    id: 'self',
    header: 'Self',
    title: "Self time: the span's duration minus the time its child spans cover",
    width: 64,
    shown: () => true,
    render(cell, p, f) {
      const t = selfTimeAt(f.model, p);
      setText(cell, t === null ? '' : formatDuration(t));
      cell.title = t === null ? '' : `Self time ${formatDuration(t)}`;
    },
  },
  {
    id: 'delta',
    header: 'Δ vs baseline',
    title: "This run's duration minus the baseline's",
    width: 150,
    shown: (m) => m.comparing,
    render: renderDelta,
  },
];

// ---------------------------------------------------------------------------------------

/** The lane the row's own span is on: this run's, else the baseline's (compare). */
function laneOf(m: TimelineModel, p: number): Lane | null {
  if (m.lane.status[p] !== ST_NONE) return m.lane;
  return m.laneA && m.laneA.status[p] !== ST_NONE ? m.laneA : null;
}

/** Self time of the span at `p` (null while it is open: it has no duration yet). */
export function selfTimeAt(m: TimelineModel, p: number): number | null {
  const lane = laneOf(m, p);
  if (!lane || Number.isNaN(lane.dur[p]!)) return null;
  const l = lane;
  // Children only the other run has cover nothing of this span.
  const startOf = (q: number) => (l.status[q] === ST_NONE ? Infinity : l.start[q]!);
  const endOf = (q: number) => (l.status[q] === ST_NONE ? -Infinity : m.endIn(l, q));
  return selfTime(m.tree, p, startOf, endOf);
}

function renderDelta(cell: Cell, p: number, f: Frame): void {
  const m = f.model;
  const row = m.rowAt[p];
  if (!row) {
    setText(cell, '');
    return;
  }
  const first = f.firstDivergencePos === p;
  let text: string;
  let cls: string;
  if (row.divergence === 'onlyA') {
    text = 'only in baseline';
    cls = 'dl-missing';
  } else if (row.divergence === 'onlyB') {
    text = 'only in this run';
    cls = 'dl-missing';
  } else if (row.statusChanged) {
    text = `${m.otherAt[p]?.status ?? '?'} → ${m.spanAt[p]?.status ?? '?'}`;
    cls = 'dl-status';
  } else if (row.deltaMs !== null) {
    const ratio = row.ratio !== null && Math.abs(row.ratio - 1) >= 0.05 ? ` ×${row.ratio.toFixed(row.ratio >= 10 ? 0 : 2)}` : '';
    text = formatDelta(row.deltaMs) + ratio;
    cls =
      row.ratio !== null && row.ratio >= 1.2 && row.deltaMs > 1
        ? 'dl-slower'
        : row.ratio !== null && row.ratio <= 0.83 && row.deltaMs < -1
          ? 'dl-faster'
          : 'dl-same';
  } else {
    text = '—';
    cls = 'dl-same';
  }
  if (first) text = `◆ ${text}`;
  setText(cell, text);
  cell.className = `c-col c-delta ${cls}`;
  cell.title = first ? `First divergence: ${text.slice(2)}` : text;
}
