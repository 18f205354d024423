/**
 * What a timeline sends in which order, without `vscode`: a run's spans in the order the
 * timeline shows them (the first screenful travels first), how many go in the first message,
 * and the runs offered for comparison (the same workflow's first).
 */
import type { Run } from '../../core/model';

/** Spans in the first message: more than a screenful of rows (22 px each) on a tall screen. */
export const FIRST_ROWS = 250;
/** Spans per message after the first. */
export const CHUNK_ROWS = 25_000;

/** How many of a run's `total` spans `init` carries: all of them when the rest would be a small chunk. */
export const firstMessageSize = (total: number): number => (total <= FIRST_ROWS + CHUNK_ROWS / 10 ? total : FIRST_ROWS);

/** Runs of `current`'s workflow first (the usual "works once, then fails" pair), each part in the given order. */
export function sameWorkflowFirst(runs: Run[], current: Run): Run[] {
  const same = runs.filter((r) => current.workflow !== undefined && r.workflow === current.workflow);
  return [...same, ...runs.filter((r) => !same.includes(r))];
}

/**
 * The spans in the order the timeline shows them: depth first, children by start (then id),
 * roots by start. Spans on a parent cycle come last. The webview builds the same order
 * itself; this one only decides which spans travel first. Index arrays, no per-span
 * allocations: ~15 ms for 100k spans.
 */
export function displayOrder<T extends { spanId: string; parentSpanId?: string; startNs: bigint }>(spans: readonly T[]): T[] {
  const byStart = (a: T, b: T) =>
    a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
  let sorted = true;
  for (let i = 1; i < spans.length; i++) {
    if (byStart(spans[i - 1]!, spans[i]!) > 0) {
      sorted = false;
      break;
    }
  }
  const list = sorted ? spans : [...spans].sort(byStart);
  const n = list.length;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(list[i]!.spanId, i);
  // Children lists in start order (compressed: one array of child indices per parent, roots under n).
  const parent = new Int32Array(n);
  const count = new Int32Array(n + 2);
  for (let i = 0; i < n; i++) {
    const s = list[i]!;
    const p = s.parentSpanId === undefined || s.parentSpanId === s.spanId ? undefined : index.get(s.parentSpanId);
    parent[i] = p === undefined ? n : p;
    count[parent[i]! + 1]!++;
  }
  for (let i = 1; i <= n + 1; i++) count[i]! += count[i - 1]!;
  const fill = count.slice(0, n + 1);
  const children = new Int32Array(n);
  for (let i = 0; i < n; i++) children[fill[parent[i]!]!++] = i;
  const out: T[] = [];
  const seen = new Uint8Array(n);
  const stack: number[] = [];
  for (let c = count[n + 1]! - 1; c >= count[n]!; c--) stack.push(children[c]!);
  while (stack.length) {
    const i = stack.pop()!;
    if (seen[i]) continue;
    seen[i] = 1;
    out.push(list[i]!);
    for (let c = count[i + 1]! - 1; c >= count[i]!; c--) stack.push(children[c]!);
  }
  if (out.length < n) for (let i = 0; i < n; i++) if (!seen[i]) out.push(list[i]!);
  return out;
}
