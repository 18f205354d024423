/**
 * The Runs tree's elements (stable objects the model hands VS Code) and one run's span tree
 * as the model indexes it. Pure: no `vscode`.
 */
import type { Run, Span } from '../core/model';
import { buildSpanTree, failureLeaves, type SpanNode } from '../core/tree';

/**
 * Which store an element's run is in: absent for the workspace store (the default), 'team' for
 * the team store (stores.ts). The same run id can be in both (a published run): the element says which.
 */
type Sourced = { readonly source?: 'team' };

export interface GroupElement extends Sourced {
  readonly kind: 'group';
  readonly id: string;
  readonly workflow: string;
}
export interface RunElement extends Sourced {
  readonly kind: 'run';
  readonly id: string;
  readonly runId: string;
}
export interface SpanElement extends Sourced {
  readonly kind: 'span';
  readonly id: string;
  readonly runId: string;
  readonly spanId: string;
}
export interface MoreElement extends Sourced {
  readonly kind: 'more';
  readonly id: string;
  readonly runId: string;
  readonly parentSpanId?: string;
  hidden: number;
}
/** The "N error logs" row under a run. */
export interface LogsElement extends Sourced {
  readonly kind: 'logs';
  readonly id: string;
  readonly runId: string;
}
/** One error log record under it (`index` into the run's error records); `spanId`: the step it belongs to, when joined. */
export interface LogElement extends Sourced {
  readonly kind: 'log';
  readonly id: string;
  readonly runId: string;
  readonly index: number;
  spanId?: string;
}
export type RunsElement = GroupElement | RunElement | SpanElement | MoreElement | LogsElement | LogElement;

/** One run's spans as a tree, indexed by span id. */
export interface RunTree {
  roots: SpanNode[];
  byId: Map<string, SpanNode>;
  parent: Map<string, string | undefined>;
  /** Spans on the way to a failure (expanded by default). */
  failurePath: Set<string>;
  /** With a span-name text filter: spans that match or have a matching descendant (cached). */
  visible?: Set<string>;
}

export function buildRunTree(spans: Span[], run: Run): RunTree {
  const roots = buildSpanTree(spans, run);
  const byId = new Map<string, SpanNode>();
  const parent = new Map<string, string | undefined>();
  const visit = (nodes: SpanNode[], p: string | undefined) => {
    for (const n of nodes) {
      if (byId.has(n.span.spanId)) continue;
      byId.set(n.span.spanId, n);
      parent.set(n.span.spanId, p);
      visit(n.children, n.span.spanId);
    }
  };
  visit(roots, undefined);
  const failurePath = new Set<string>();
  for (const leaf of failureLeaves(spans)) {
    for (let p = parent.get(leaf.spanId); p; p = parent.get(p)) {
      if (failurePath.has(p)) break;
      failurePath.add(p);
    }
  }
  return { roots, byId, parent, failurePath };
}

/** Spans whose name contains `text` (case-insensitive), and their ancestors. */
export function spansMatching(t: RunTree, text: string): Set<string> {
  const needle = text.toLowerCase();
  const visible = new Set<string>();
  for (const n of t.byId.values()) {
    if (!n.span.name.toLowerCase().includes(needle)) continue;
    for (let id: string | undefined = n.span.spanId; id && !visible.has(id); id = t.parent.get(id)) visible.add(id);
  }
  return visible;
}
