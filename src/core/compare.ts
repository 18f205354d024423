/**
 * Align and diff two runs of the same workflow ("works once, then fails on the next run").
 *
 * Steps are matched by their path of names from the top of the run, with an occurrence
 * index for siblings that share a name (`load#0/batch#2`), so the third `batch` of one run
 * lines up with the third `batch` of the other whatever their span ids. Pure: no I/O.
 * Siblings are ordered by start time; the merged order is A's, with steps only B made
 * placed after the step that preceded them in B.
 *
 * Convention: A is the baseline (the run picked to compare against), B the run under
 * inspection; deltas are B − A.
 */
import { attrText, nsToMs, type AttrValue, type Run, type Span } from './model';

type Divergence = 'onlyA' | 'onlyB' | 'status' | 'attributes';

interface AttrDiff {
  key: string;
  /** Display text of the value in A / B; null when the attribute is absent there. */
  a: string | null;
  b: string | null;
}

export interface CompareRow {
  /** Stable key of the step's path of names (+ occurrence indexes), equal across recomputes. */
  key: string;
  parentKey: string | null;
  depth: number;
  name: string;
  a?: Span;
  b?: Span;
  statusChanged: boolean;
  aDurationMs: number | null;
  bDurationMs: number | null;
  /** B − A in ms; null when either side is missing or never ended. */
  deltaMs: number | null;
  /** B / A; null when not computable (missing, never ended, A took 0 ms). */
  ratio: number | null;
  attrDiffs: AttrDiff[];
  /** The strongest way this step differs: missing on one side > status > attributes. */
  divergence: Divergence | null;
}

export interface RunComparison {
  rows: CompareRow[];
  /** Index into rows of the first divergence (see `findFirstDivergence`), or null. */
  firstDivergence: number | null;
  summary: {
    onlyA: number;
    onlyB: number;
    statusChanged: number;
    attributesChanged: number;
    /** B's run duration minus A's, ms; null while either is still running. */
    durationDeltaMs: number | null;
  };
}

export interface CompareSide {
  run: Run;
  spans: readonly Span[];
}

export interface CompareOptions {
  /** Attribute keys never reported as differences (default: volatile per-process facts, and memory readings, ids, timestamps, durations). */
  ignoreAttributes?: readonly string[];
}

/** Attributes that differ between any two processes and say nothing about the workflow. */
const DEFAULT_IGNORED_ATTRIBUTES: readonly string[] = [
  'thread.id',
  'thread.name',
  'process.pid',
  'process.parent_pid',
  'runlens.run_id',
  'otel.scope.name',
];

/**
 * Attributes that differ on every run and explain nothing: memory readings, process and thread
 * ids, timestamps and durations (steps' durations are compared as durations). Never reported,
 * in the timeline's compare mode and in Run Diff alike.
 */
const VOLATILE_ATTRIBUTE =
  /^process\.memory\.|(^|[._])(pid|parent_pid|thread\.id|thread\.name|rss(_bytes)?(\.\w+)?|timestamp|time_ns|started_at|ended_at|elapsed(_ms|_s)?|duration(_ms|_s|_ns)?|latency(_ms|_s)?)$/;

interface Node {
  span: Span;
  children: Node[];
}

/** Children ordered by start time (span id breaks ties); spans whose parent is absent are roots. */
function buildForest(spans: readonly Span[]): Node[] {
  const byId = new Map<string, Node>();
  for (const span of spans) byId.set(span.spanId, { span, children: [] });
  const roots: Node[] = [];
  for (const node of byId.values()) {
    const pid = node.span.parentSpanId;
    const parent = pid !== undefined && pid !== node.span.spanId ? byId.get(pid) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  // Spans caught in a parent cycle are unreachable from the roots: promote one per cycle.
  const reached = new Set<Node>();
  const mark = (start: Node) => {
    const stack = [start];
    while (stack.length) {
      const n = stack.pop()!;
      if (reached.has(n)) continue;
      reached.add(n);
      stack.push(...n.children);
    }
  };
  roots.forEach(mark);
  for (const node of byId.values()) {
    if (reached.has(node)) continue;
    const parent = byId.get(node.span.parentSpanId!)!;
    parent.children.splice(parent.children.indexOf(node), 1);
    roots.push(node);
    mark(node);
  }
  const byStart = (x: Node, y: Node) =>
    x.span.startNs < y.span.startNs ? -1 : x.span.startNs > y.span.startNs ? 1 : x.span.spanId < y.span.spanId ? -1 : 1;
  roots.sort(byStart);
  for (const node of byId.values()) node.children.sort(byStart);
  return roots;
}

/** 53-bit string hash (cyrb53) as 14 hex chars: keys stay short however deep the tree. */
function hash53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/**
 * Keys for an ordered sibling list: a hash chaining the parent's key with the name and the
 * occurrence index among same-named siblings — the path of names, in fixed size.
 */
function keyed(parentKey: string | null, nodes: readonly Node[]): Map<string, Node> {
  const seen = new Map<string, number>();
  const out = new Map<string, Node>();
  for (const node of nodes) {
    const occ = seen.get(node.span.name) ?? 0;
    seen.set(node.span.name, occ + 1);
    out.set(hash53(`${parentKey ?? ''}\u001f${node.span.name}\u001f${occ}`), node);
  }
  return out;
}

/**
 * Merge two ordered key lists: A's order, with each B-only key placed right after the key
 * that precedes it in B (so a retry that only B made shows up where B made it).
 */
function mergeOrder(aKeys: readonly string[], bKeys: readonly string[]): string[] {
  const inA = new Set(aKeys);
  const HEAD = '';
  const after = new Map<string, string[]>();
  let prev = HEAD;
  for (const key of bKeys) {
    if (!inA.has(key)) {
      const list = after.get(prev);
      if (list) list.push(key);
      else after.set(prev, [key]);
    }
    prev = key;
  }
  const out: string[] = [];
  const emitAfter = (anchor: string) => {
    const stack = [...(after.get(anchor) ?? [])].reverse();
    while (stack.length) {
      const key = stack.pop()!;
      out.push(key);
      const next = after.get(key);
      if (next) for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]!);
    }
  };
  emitAfter(HEAD);
  for (const key of aKeys) {
    out.push(key);
    emitAfter(key);
  }
  return out;
}

const spanDurationMs = (s: Span | undefined): number | null =>
  s && s.endNs !== undefined ? Math.max(0, nsToMs(s.endNs - s.startNs)) : null;

function diffAttributes(a: Span, b: Span, ignored: (key: string) => boolean): AttrDiff[] {
  const keys = new Set([...Object.keys(a.attributes), ...Object.keys(b.attributes)]);
  const diffs: AttrDiff[] = [];
  const text = (v: AttrValue | undefined) => (v === undefined ? null : attrText(v));
  for (const key of [...keys].sort()) {
    if (ignored(key)) continue;
    const av = text(a.attributes[key]);
    const bv = text(b.attributes[key]);
    if (av !== bv) diffs.push({ key, a: av, b: bv });
  }
  return diffs;
}

function makeRow(
  key: string,
  parentKey: string | null,
  depth: number,
  a: Span | undefined,
  b: Span | undefined,
  ignored: (key: string) => boolean,
): CompareRow {
  const aDurationMs = spanDurationMs(a);
  const bDurationMs = spanDurationMs(b);
  const deltaMs = aDurationMs !== null && bDurationMs !== null ? bDurationMs - aDurationMs : null;
  const ratio = aDurationMs !== null && bDurationMs !== null && aDurationMs > 0 ? bDurationMs / aDurationMs : null;
  const statusChanged = !!a && !!b && a.status !== b.status;
  const attrDiffs = a && b ? diffAttributes(a, b, ignored) : [];
  const divergence: Divergence | null = !b ? 'onlyA' : !a ? 'onlyB' : statusChanged ? 'status' : attrDiffs.length ? 'attributes' : null;
  return {
    key,
    parentKey,
    depth,
    name: (a ?? b)!.name,
    a,
    b,
    statusChanged,
    aDurationMs,
    bDurationMs,
    deltaMs,
    ratio,
    attrDiffs,
    divergence,
  };
}

/**
 * The step where the runs first part ways, as an index into `rows` (pre-order), or null.
 *
 * Candidates, strongest tier first, the earliest row in pre-order within a tier:
 * 1. a status change involving ERROR where it starts (not on ancestors whose ERROR only
 *    reflects a descendant's), or a step missing from one run (at the top of its missing
 *    subtree) — steps a failure kept from running come after the failure in pre-order;
 * 2. any other status change (a step left RUNNING / INCOMPLETE: usually a consequence);
 * 3. attribute differences.
 */
export function findFirstDivergence(rows: readonly CompareRow[]): number | null {
  const errorChange = (r: CompareRow) => r.divergence === 'status' && (r.a?.status === 'ERROR' || r.b?.status === 'ERROR');
  const index = new Map(rows.map((r, i) => [r.key, i]));
  const parentOf = rows.map((r) => (r.parentKey === null ? -1 : (index.get(r.parentKey) ?? -1)));
  // Reverse pre-order visits every child before its parent.
  const errorBelow = new Array<boolean>(rows.length).fill(false);
  const statusBelow = new Array<boolean>(rows.length).fill(false);
  for (let i = rows.length - 1; i >= 0; i--) {
    const p = parentOf[i]!;
    if (p < 0) continue;
    if (errorBelow[i] || errorChange(rows[i]!)) errorBelow[p] = true;
    if (statusBelow[i] || rows[i]!.divergence === 'status') statusBelow[p] = true;
  }
  const tier = (i: number): number => {
    const row = rows[i]!;
    if (row.divergence === 'onlyA' || row.divergence === 'onlyB') {
      const p = parentOf[i]!;
      return p < 0 || rows[p]!.divergence !== row.divergence ? 1 : 0;
    }
    if (row.divergence === 'status') {
      if (errorChange(row)) return errorBelow[i] ? 0 : 1;
      return statusBelow[i] ? 0 : 2;
    }
    return row.divergence === 'attributes' ? 3 : 0;
  };
  let best: number | null = null;
  let bestTier = 4;
  for (let i = 0; i < rows.length; i++) {
    const t = tier(i);
    if (t > 0 && t < bestTier) {
      best = i;
      bestTier = t;
      if (t === 1) break;
    }
  }
  return best;
}

/** Align B's steps with A's and say how each differs. */
export function compareRuns(a: CompareSide, b: CompareSide, opts: CompareOptions = {}): RunComparison {
  // Given a list, exactly those; by default the per-process facts and whatever looks volatile.
  const listed = new Set(opts.ignoreAttributes ?? DEFAULT_IGNORED_ATTRIBUTES);
  const ignored = opts.ignoreAttributes
    ? (key: string) => listed.has(key)
    : (key: string) => listed.has(key) || VOLATILE_ATTRIBUTE.test(key);
  const rows: CompareRow[] = [];
  // Iterative pre-order walk over the merged trees (deep runs must not blow the stack).
  type Item = { row: CompareRow; aKids: readonly Node[]; bKids: readonly Node[] };
  const level = (parentKey: string | null, depth: number, aKids: readonly Node[], bKids: readonly Node[]): Item[] => {
    const aMap = keyed(parentKey, aKids);
    const bMap = keyed(parentKey, bKids);
    return mergeOrder([...aMap.keys()], [...bMap.keys()]).map((key) => {
      const an = aMap.get(key);
      const bn = bMap.get(key);
      return {
        row: makeRow(key, parentKey, depth, an?.span, bn?.span, ignored),
        aKids: an?.children ?? [],
        bKids: bn?.children ?? [],
      };
    });
  };
  const stack = level(null, 0, buildForest(a.spans), buildForest(b.spans)).reverse();
  while (stack.length) {
    const { row, aKids, bKids } = stack.pop()!;
    rows.push(row);
    const kids = level(row.key, row.depth + 1, aKids, bKids);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }

  const summary = {
    onlyA: rows.filter((r) => r.divergence === 'onlyA').length,
    onlyB: rows.filter((r) => r.divergence === 'onlyB').length,
    statusChanged: rows.filter((r) => r.statusChanged).length,
    attributesChanged: rows.filter((r) => r.attrDiffs.length > 0).length,
    durationDeltaMs:
      a.run.endNs !== undefined && b.run.endNs !== undefined
        ? nsToMs(b.run.endNs - b.run.startNs) - nsToMs(a.run.endNs - a.run.startNs)
        : null,
  };
  return { rows, firstDivergence: findFirstDivergence(rows), summary };
}
