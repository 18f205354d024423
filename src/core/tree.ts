/** Span forest of a run: the shape every view (CLI, sidebar tree, timeline) shows. */
import type { Run, Span } from './model';
import { isFailedStatus } from './model';

export interface SpanNode {
  span: Span;
  children: SpanNode[];
  depth: number;
}

/**
 * Top-level spans are those whose parent is not in the run (absent, the run's TRACEPARENT
 * span, or a remote parent). Children are ordered by start time.
 */
export function buildSpanTree(spans: Span[], run?: Pick<Run, 'rootSpanId'>): SpanNode[] {
  const byId = new Map<string, SpanNode>();
  for (const span of spans) byId.set(span.spanId, { span, children: [], depth: 0 });
  const roots: SpanNode[] = [];
  for (const node of byId.values()) {
    const parentId = node.span.parentSpanId;
    const parent = parentId && parentId !== run?.rootSpanId ? byId.get(parentId) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const order = (a: SpanNode, b: SpanNode) => (a.span.startNs < b.span.startNs ? -1 : a.span.startNs > b.span.startNs ? 1 : 0);
  const visit = (nodes: SpanNode[], depth: number, seen: Set<SpanNode>) => {
    nodes.sort(order);
    for (const n of nodes) {
      if (seen.has(n)) continue;
      seen.add(n);
      n.depth = depth;
      visit(n.children, depth + 1, seen);
    }
  };
  visit(roots, 0, new Set());
  return roots;
}

/**
 * Failed spans with no failed descendant: where failures start. Of a step retried under the
 * same parent only the last attempt counts (earlier failed attempts were retried).
 */
export function failureLeaves(spans: Span[]): Span[] {
  const failed = spans.filter((s) => isFailedStatus(s.status));
  const failedParents = new Set(failed.map((s) => s.parentSpanId).filter(Boolean));
  const lastAttempt = new Map<string, Span>();
  for (const s of spans) {
    const key = `${s.parentSpanId ?? ''}\u0000${s.name}`;
    const seen = lastAttempt.get(key);
    if (!seen || seen.startNs <= s.startNs) lastAttempt.set(key, s);
  }
  return failed.filter((s) => !failedParents.has(s.spanId) && lastAttempt.get(`${s.parentSpanId ?? ''}\u0000${s.name}`) === s);
}
