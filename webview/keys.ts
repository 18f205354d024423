/**
 * The keyboard: the span tree's keys (when the waterfall has focus) and the page's (search,
 * next match, Escape). Each key is one entry of a map from key to what it does.
 */
import { hasChildren, rowIndexOf, type Tree } from './tree';

/** What the keys act on (the App). */
export interface KeyTarget {
  readonly tree: Tree;
  /** The rows on screen (tree positions). */
  rows(): Int32Array;
  selectedPos(): number;
  isCollapsed(p: number): boolean;
  /** Rows in a page of the viewport, and the row at its top. */
  pageRows(): number;
  firstVisibleRow(): number;
  select(p: number): void;
  setCollapsed(p: number, collapsed: boolean): void;
  openDetail(): void;
  zoomBy(factor: number): void;
  fit(): void;
}

interface TreeKeyContext {
  t: KeyTarget;
  rows: Int32Array;
  /** Selected position (-1: none) and its row index (-1: none or not shown). */
  pos: number;
  i: number;
  /** Select the row at index `to` (clamped). */
  move(to: number): void;
}

type KeyAction = (c: TreeKeyContext) => void;

const expandable = (c: TreeKeyContext) => c.pos >= 0 && hasChildren(c.t.tree, c.pos);

const TREE_KEYS: Record<string, KeyAction> = {
  ArrowDown: (c) => c.move(c.i < 0 ? c.t.firstVisibleRow() : c.i + 1),
  ArrowUp: (c) => c.move(c.i < 0 ? c.t.firstVisibleRow() : c.i - 1),
  PageDown: (c) => c.move((c.i < 0 ? 0 : c.i) + c.t.pageRows()),
  PageUp: (c) => c.move((c.i < 0 ? 0 : c.i) - c.t.pageRows()),
  Home: (c) => c.move(0),
  End: (c) => c.move(c.rows.length - 1),
  // Right: expand, else go to the first child. Left: collapse, else go to the parent.
  ArrowRight: (c) => {
    if (c.pos < 0) c.move(0);
    else if (expandable(c) && c.t.isCollapsed(c.pos)) c.t.setCollapsed(c.pos, false);
    else if (expandable(c) && c.i + 1 < c.rows.length && c.t.tree.parent[c.rows[c.i + 1]!] === c.pos) c.move(c.i + 1);
  },
  ArrowLeft: (c) => {
    if (c.pos < 0) c.move(0);
    else if (expandable(c) && !c.t.isCollapsed(c.pos)) c.t.setCollapsed(c.pos, true);
    else if (c.t.tree.parent[c.pos]! >= 0) {
      const i = rowIndexOf(c.rows, c.t.tree.parent[c.pos]!);
      if (i >= 0) c.move(i);
    }
  },
  Enter: (c) => (c.pos >= 0 ? c.t.openDetail() : c.move(0)),
  ' ': (c) => {
    if (expandable(c)) c.t.setCollapsed(c.pos, !c.t.isCollapsed(c.pos));
  },
  '+': (c) => c.t.zoomBy(1.6),
  '=': (c) => c.t.zoomBy(1.6),
  '-': (c) => c.t.zoomBy(1 / 1.6),
  _: (c) => c.t.zoomBy(1 / 1.6),
  '0': (c) => c.t.fit(),
};

/** A key pressed in the span tree; handled keys do not reach the page. */
export function onTreeKey(e: KeyboardEvent, t: KeyTarget): void {
  const action = Object.prototype.hasOwnProperty.call(TREE_KEYS, e.key) ? TREE_KEYS[e.key] : undefined;
  const rows = t.rows();
  if (!action || !rows.length) return;
  const pos = t.selectedPos();
  const c: TreeKeyContext = {
    t,
    rows,
    pos,
    i: pos >= 0 ? rowIndexOf(rows, pos) : -1,
    move: (to) => t.select(rows[Math.min(Math.max(to, 0), rows.length - 1)]!),
  };
  action(c);
  e.preventDefault();
  e.stopPropagation();
}

/** What the page's keys act on. */
export interface PageKeyTarget {
  focusSearch(): void;
  nextMatch(dir: 1 | -1): void;
  /** Escape: clear the search when typing in it, else close the detail. */
  escape(inField: boolean): void;
}

export function onPageKey(e: KeyboardEvent, t: PageKeyTarget): void {
  const inField = !!(e.target as HTMLElement | null)?.closest?.('vscode-text-field, input, textarea');
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'f') {
    e.preventDefault();
    t.focusSearch();
  } else if (e.key === 'F3') {
    e.preventDefault();
    t.nextMatch(e.shiftKey ? -1 : 1);
  } else if (e.key === 'Escape') {
    t.escape(inField);
  } else if (!inField && e.key === '/' && !e.ctrlKey && !e.metaKey) {
    e.preventDefault();
    t.focusSearch();
  }
}
