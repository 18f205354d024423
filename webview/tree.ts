/**
 * The span tree in pre-order, flattening with collapse and a keep filter, search, the
 * critical path and self time. No DOM here — unit-tested in plain node. Every walk is
 * iterative: traces can nest thousands deep and the webview must not overflow its stack.
 */

// ---------------------------------------------------------------------------------------
// Tree

/** Position of a node by id. */
interface PosLookup {
  get(id: string): number | undefined;
}

/** The tree in pre-order positions (`pos`). Children of `p` are p+1 … end[p]-1, grouped. */
export interface Tree {
  readonly size: number;
  /** Node id by position. */
  readonly ids: readonly string[];
  readonly depth: Int32Array;
  /** Position of the parent, -1 for a root. */
  readonly parent: Int32Array;
  /** Exclusive end of the subtree: descendants of p are the positions (p, end[p]). */
  readonly end: Int32Array;
  readonly pos: PosLookup;
  /** For trees built from items: the item index at each position. */
  readonly item: Int32Array;
}

export interface TreeItem {
  id: string;
  parentId: string | null;
  startMs: number;
}

/**
 * Build the tree of items (spans): children ordered by start (id breaks ties); an item
 * whose parent is absent (or itself) is a root; items caught in a parent cycle are cut
 * loose at the first one met, so every item appears exactly once. Duplicate ids: last wins.
 *
 * `index` (id → item index, one entry per live item) may be passed when the caller keeps
 * one already. One global sort by start plus compressed child lists keep this ~linear.
 */
export function buildTree(items: readonly TreeItem[], index?: ReadonlyMap<string, number>): Tree {
  const n0 = items.length;
  let indexOf = index;
  if (!indexOf) {
    const m = new Map<string, number>();
    for (let i = 0; i < n0; i++) m.set(items[i]!.id, i);
    indexOf = m;
  }
  const live = new Uint8Array(n0);
  for (const i of indexOf.values()) live[i] = 1;
  const n = indexOf.size;

  // Compressed child lists (and the roots, under a virtual parent n0), in arrival order.
  const start = new Float64Array(n0);
  for (let i = 0; i < n0; i++) start[i] = items[i]!.startMs;
  const parentItem = new Int32Array(n0).fill(-1);
  const childCount = new Int32Array(n0 + 1);
  for (let i = 0; i < n0; i++) {
    if (!live[i]) continue;
    const it = items[i]!;
    const p = it.parentId === null || it.parentId === it.id ? undefined : indexOf.get(it.parentId);
    if (p === undefined) childCount[n0]!++;
    else {
      parentItem[i] = p;
      childCount[p]!++;
    }
  }
  const firstChild = new Int32Array(n0 + 2);
  for (let i = 0; i <= n0; i++) firstChild[i + 1] = firstChild[i]! + childCount[i]!;
  const fill = firstChild.slice(0, n0 + 1);
  const children = new Int32Array(n);
  for (let i = 0; i < n0; i++) {
    if (!live[i]) continue;
    const p = parentItem[i]!;
    children[fill[p >= 0 ? p : n0]!++] = i;
  }
  // Order each list by start (id breaks ties); spans mostly arrive in order, so most lists
  // are already sorted and cost one pass.
  const before = (a: number, b: number): number => {
    const d = start[a]! - start[b]!;
    if (d !== 0) return d;
    const x = items[a]!.id;
    const y = items[b]!.id;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  for (let p = 0; p <= n0; p++) {
    const a = firstChild[p]!;
    const b = firstChild[p + 1]!;
    for (let c = a + 1; c < b; c++) {
      if (before(children[c - 1]!, children[c]!) > 0) {
        children.subarray(a, b).sort(before);
        break;
      }
    }
  }

  const ids: string[] = new Array(n);
  const depth = new Int32Array(n);
  const parent = new Int32Array(n);
  const end = new Int32Array(n);
  const item = new Int32Array(n);
  const posOfItem = new Int32Array(n0).fill(-1);
  let next = 0;
  // Explicit stack of (item, parent position, depth); a negative item closes a subtree.
  const stack = new Int32Array(3 * (n + n + 2));
  const open = new Int32Array(n + 1);

  const walk = (root: number) => {
    let sp = 0;
    let op = 0;
    stack[sp++] = root;
    stack[sp++] = -1;
    stack[sp++] = 0;
    while (sp > 0) {
      const d = stack[--sp]!;
      const pp = stack[--sp]!;
      const i = stack[--sp]!;
      if (i < 0) {
        end[open[--op]!] = next;
        continue;
      }
      if (posOfItem[i]! >= 0) continue;
      const p = next++;
      posOfItem[i] = p;
      ids[p] = items[i]!.id;
      depth[p] = d;
      parent[p] = pp;
      item[p] = i;
      open[op++] = p;
      stack[sp++] = -1;
      stack[sp++] = 0;
      stack[sp++] = 0;
      for (let c = firstChild[i + 1]! - 1; c >= firstChild[i]!; c--) {
        stack[sp++] = children[c]!;
        stack[sp++] = p;
        stack[sp++] = d + 1;
      }
    }
  };
  for (let c = firstChild[n0]!; c < firstChild[n0 + 1]!; c++) walk(children[c]!);
  // Whatever is left sits on a parent cycle: start each leftover cycle at its earliest item.
  if (next < n) {
    const left: number[] = [];
    for (let i = 0; i < n0; i++) if (live[i] && posOfItem[i]! < 0) left.push(i);
    left.sort(before);
    for (const i of left) if (posOfItem[i]! < 0) walk(i);
  }
  const lookup = indexOf;
  const pos: PosLookup = {
    get: (id) => {
      const i = lookup.get(id);
      if (i === undefined) return undefined;
      const p = posOfItem[i]!;
      return p >= 0 ? p : undefined;
    },
  };
  return { size: n, ids, depth, parent, end, pos, item };
}

/** A tree from nodes already in pre-order with their depths (compare rows). */
export function treeFromPreorder(ids: readonly string[], depths: ArrayLike<number>): Tree {
  const n = ids.length;
  const depth = new Int32Array(n);
  const parent = new Int32Array(n);
  const end = new Int32Array(n);
  const item = new Int32Array(n);
  const pos = new Map<string, number>();
  const open: number[] = [];
  for (let p = 0; p < n; p++) {
    // Clamp depth so it never jumps more than one level below its predecessor.
    const want = Math.max(0, depths[p]!);
    const d = Math.min(want, open.length);
    while (open.length > d) end[open.pop()!] = p;
    depth[p] = d;
    parent[p] = d === 0 ? -1 : open[open.length - 1]!;
    item[p] = p;
    pos.set(ids[p]!, p);
    open.push(p);
  }
  while (open.length) end[open.pop()!] = n;
  return { size: n, ids, depth, parent, end, pos, item };
}

export const hasChildren = (tree: Tree, p: number): boolean => tree.end[p]! > p + 1;

/** Positions of p's direct children. */
function childrenOf(tree: Tree, p: number): number[] {
  const out: number[] = [];
  for (let c = p + 1; c < tree.end[p]!; c = tree.end[c]!) out.push(c);
  return out;
}

/** Per position: 1 when the node itself or any descendant is flagged. */
export function subtreeAny(tree: Tree, flagged: (p: number) => boolean): Uint8Array {
  const out = new Uint8Array(tree.size);
  for (let p = tree.size - 1; p >= 0; p--) {
    if (flagged(p)) out[p] = 1;
    if (out[p]) {
      const par = tree.parent[p]!;
      if (par >= 0) out[par] = 1;
    }
  }
  return out;
}

export interface FlattenOptions {
  /** Ids whose children are hidden. */
  collapsed: ReadonlySet<string>;
  /** When given, only positions with keep[p] = 1 are shown (their subtree is skipped otherwise). */
  keep?: Uint8Array;
}

/** The visible rows (positions) in order, honouring collapse and the keep filter. */
export function flatten(tree: Tree, opts: FlattenOptions): Int32Array {
  const rows = new Int32Array(tree.size);
  let n = 0;
  const { collapsed, keep } = opts;
  const anyCollapsed = collapsed.size > 0;
  let p = 0;
  while (p < tree.size) {
    if (keep && !keep[p]) {
      p = tree.end[p]!;
      continue;
    }
    rows[n++] = p;
    p = anyCollapsed && collapsed.has(tree.ids[p]!) ? tree.end[p]! : p + 1;
  }
  return rows.subarray(0, n);
}

/** Index of `p` in `rows` (binary search: rows are ascending), or -1. */
export function rowIndexOf(rows: Int32Array, p: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = rows[mid]!;
    if (v === p) return mid;
    if (v < p) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------
// Search

/** Positions whose text contains `query` (case-insensitive), ascending. */
export function searchPositions(tree: Tree, textOf: (p: number) => string, query: string): Int32Array {
  const q = query.trim().toLowerCase();
  if (!q) return new Int32Array(0);
  const out: number[] = [];
  for (let p = 0; p < tree.size; p++) if (textOf(p).toLowerCase().includes(q)) out.push(p);
  return Int32Array.from(out);
}

/** The next (dir 1) or previous (dir -1) match after position `from`, wrapping; -1 if none. */
export function stepMatch(matches: Int32Array, from: number, dir: 1 | -1): number {
  if (matches.length === 0) return -1;
  if (dir > 0) {
    for (const m of matches) if (m > from) return m;
    return matches[0]!;
  }
  for (let i = matches.length - 1; i >= 0; i--) if (matches[i]! < from) return matches[i]!;
  return matches[matches.length - 1]!;
}

/** Ranges [start, end) of `query` in `text`, case-insensitive, non-overlapping. */
export function matchRanges(text: string, query: string): [number, number][] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const t = text.toLowerCase();
  const out: [number, number][] = [];
  for (let i = t.indexOf(q); i >= 0; i = t.indexOf(q, i + q.length)) out.push([i, i + q.length]);
  return out;
}

// ---------------------------------------------------------------------------------------
// Critical path and self time

/**
 * The critical path: the chain of spans that determined when the run ended. From the
 * last-ending root, walk back in time: at each span the child that finished last before the
 * current point is on the path, then the child that finished last before *that* one started,
 * and so on, recursively. Returns 1 per position on the path.
 */
export function criticalPath(tree: Tree, startOf: (p: number) => number, endOf: (p: number) => number): Uint8Array {
  const on = new Uint8Array(tree.size);
  const roots: number[] = [];
  for (let p = 0; p < tree.size; p = tree.end[p]!) roots.push(p);
  // Work items: a list of sibling candidates with the time point to walk back from.
  const work: { kids: number[]; until: number; from: number }[] = [];
  if (roots.length) {
    let last = -Infinity;
    for (const r of roots) last = Math.max(last, endOf(r));
    work.push({ kids: roots, until: last, from: -Infinity });
  }
  while (work.length) {
    const { kids, until, from } = work.pop()!;
    const sorted = kids.slice().sort((a, b) => endOf(b) - endOf(a));
    let cur = until;
    for (const c of sorted) {
      if (cur <= from) break;
      // Children are clipped to their parent's end; one that was still going at `cur`
      // (ended after it) did not hold up what came next, so it is not on the path.
      const kidEnd = Math.min(endOf(c), until);
      if (kidEnd > cur) continue;
      on[c] = 1;
      if (hasChildren(tree, c)) work.push({ kids: childrenOf(tree, c), until: kidEnd, from: startOf(c) });
      cur = Math.min(cur, startOf(c));
    }
  }
  return on;
}

/** Time inside the span not covered by any of its direct children (clipped to the span). */
export function selfTime(tree: Tree, p: number, startOf: (p: number) => number, endOf: (p: number) => number): number {
  const s = startOf(p);
  const e = endOf(p);
  if (!(e > s)) return 0;
  const iv = childrenOf(tree, p)
    .map((c) => [Math.max(startOf(c), s), Math.min(endOf(c), e)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let curS = -Infinity;
  let curE = -Infinity;
  for (const [a, b] of iv) {
    if (a > curE) {
      if (curE > curS) covered += curE - curS;
      curS = a;
      curE = b;
    } else if (b > curE) curE = b;
  }
  if (curE > curS) covered += curE - curS;
  return Math.max(0, e - s - covered);
}
