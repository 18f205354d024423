/**
 * The Runs tree as data: which elements exist, their parents and children, which rows a
 * store change touches (what each row shows: treeItems.ts; the filter: treeFilter.ts; the
 * runs, newest first: treeRuns.ts). Pure (no `vscode`): the TreeDataProvider in runsTree.ts
 * only maps these views onto TreeItems, and unit tests drive this in plain node.
 *
 * Element objects are stable (one object per run / span / group for the model's lifetime:
 * treeElements.ts), so a live run updates its own row without collapsing anything the user
 * opened.
 */
import type { Run, Span } from '../core/model';
import { nowNs } from '../core/model';
import type { StoreChange } from '../core/store/store';
import type { SpanNode } from '../core/tree';
import { buildRunTree, spansMatching, type RunElement, type RunTree, type RunsElement, type SpanElement } from './runTree';
import type { SourceLocation } from '../core/source';
import { rerunRefusal } from '../core/launchKey';
import { groupItem, moreItem, runItem, spanItem, type ItemView, type RowContext } from './treeItems';
import { RunFilter, type TreeFilter } from './treeFilter';
import { TreeElements } from './treeElements';
import { RunList } from './treeRuns';
import { logItem, logsItem, RunLogs, type TreeLogReads } from './treeLogs';
import { originText, RunOrigins, type OriginReads } from './treeOrigin';

export interface TreeStore extends TreeLogReads, OriginReads {
  listRuns(opts?: { limit?: number }): Run[];
  getRun(idOrPrefix: string): Run | undefined;
  getSpans(runId: string): Span[];
  /** The text filter's first pass: ids of runs with a span whose name contains `text` (case-insensitive), from the store's index. */
  runsWithSpanMatching(text: string): Set<string>;
}

export type { RunElement, RunsElement, SpanElement } from './runTree';

export type Refresh = { root: true } | { root: false; elements: RunsElement[] };

export interface TreeModelOptions {
  now?: () => bigint;
  /** Where a span's code is (failure line for failed spans); for tooltips. */
  resolve?: (span: Span, run: Run) => SourceLocation | undefined;
  /** How to show a file path (relative to the workspace). */
  displayPath?: (file: string) => string;
  /** Children shown under one parent before a "… N more" row. */
  maxChildren?: number;
  /**
   * Why a run offers no Re-run / Debug from Here, or undefined when it does. Default: the
   * core's check (only a run this user's Runlens launched and signed may be re-run).
   */
  rerunRefusal?: (run: Run) => string | undefined;
  /** Whether Stop is offered on a run (default: never); see `stoppable`. */
  canStop?: (run: Run) => boolean;
  /**
   * The team store's model (stores.ts): its elements carry `source: 'team'` and ids of their own,
   * its rows' context values start with `team:` (the menus offer only what reads), its runs'
   * descriptions end with who and where ran them, and it never offers Re-run or Stop.
   */
  source?: 'team';
}

/** A run Stop applies to: still running, and its process or log is one this window controls. */
export const stoppable = (run: Run, controlled: (runId: string) => boolean): boolean => run.status === 'RUNNING' && controlled(run.id);

const workflowOf = (r: Run) => r.workflow ?? r.name;

export class RunsTreeModel {
  private readonly runs: RunList;
  private readonly elements: TreeElements;
  /** Who and where ran each run (treeOrigin.ts): the origin filter, the team's run labels. */
  readonly origins: RunOrigins;
  private readonly trees = new Map<string, RunTree>();
  /** Each run's error logs (treeLogs.ts): counted when its children are asked, listed when expanded. */
  readonly logs: RunLogs;
  private readonly filter = new RunFilter();
  private grouped = false;
  private readonly now: () => bigint;
  private readonly maxChildren: number;
  private readonly refusal: (run: Run) => string | undefined;
  private readonly canStop: (run: Run) => boolean;

  constructor(
    private readonly store: TreeStore,
    private readonly opts: TreeModelOptions = {},
  ) {
    this.now = opts.now ?? nowNs;
    this.maxChildren = opts.maxChildren ?? 500;
    this.refusal = opts.source ? () => 'a run of the team store' : (opts.rerunRefusal ?? rerunRefusal);
    this.canStop = opts.source ? () => false : (opts.canStop ?? (() => false));
    this.elements = new TreeElements(opts.source);
    this.origins = new RunOrigins(store);
    this.runs = new RunList(() => store.listRuns());
    this.logs = new RunLogs(store);
  }

  // ------------------------------------------------------------------ state

  get groupByWorkflow(): boolean {
    return this.grouped;
  }

  setGroupByWorkflow(on: boolean): void {
    this.grouped = on;
  }

  getFilter(): TreeFilter {
    return this.filter.get();
  }

  setFilter(f: Partial<TreeFilter>): void {
    this.filter.set(f);
    this.runs.load();
    this.recomputeSpanMatches();
    for (const t of this.trees.values()) t.visible = undefined;
  }

  /** Re-read every run (after a reload or when the store was replaced). */
  reload(): void {
    this.runs.unload();
    this.trees.clear();
    this.logs.forget();
    this.origins.forget();
    this.runs.load();
    this.recomputeSpanMatches();
  }

  allRuns(): readonly Run[] {
    return this.runs.all();
  }

  run(runId: string): Run | undefined {
    return this.runs.get(runId);
  }

  span(runId: string, spanId: string): Span | undefined {
    return this.tree(runId)?.byId.get(spanId)?.span;
  }

  hasRunning(): boolean {
    return this.runs.all().some((r) => r.status === 'RUNNING');
  }

  /** Rows whose text changes with the clock (RUNNING runs); refreshed by a timer. */
  ticking(): RunsElement[] {
    return this.runs
      .all()
      .filter((r) => r.status === 'RUNNING' && this.isVisible(r))
      .map((r) => this.runElement(r.id));
  }

  /** Runs the filter lets through, newest first. */
  visibleRuns(): Run[] {
    return this.runs.all().filter((r) => this.isVisible(r));
  }

  // ------------------------------------------------------------------ structure

  roots(): RunsElement[] {
    const runs = this.visibleRuns();
    if (!this.grouped) return runs.map((r) => this.runElement(r.id));
    const seen = new Set<string>();
    const out: RunsElement[] = [];
    for (const r of runs) {
      const wf = workflowOf(r);
      if (seen.has(wf)) continue;
      seen.add(wf);
      out.push(this.elements.group(wf));
    }
    return out;
  }

  children(el?: RunsElement): RunsElement[] {
    if (!el) return this.roots();
    switch (el.kind) {
      case 'group':
        return this.visibleRuns()
          .filter((r) => workflowOf(r) === el.workflow)
          .map((r) => this.runElement(r.id));
      case 'run': {
        const t = this.tree(el.runId);
        const steps = t ? this.nodeChildren(el.runId, t, t.roots, undefined) : [];
        return this.logs.errorCount(el.runId) > 0 ? [this.elements.logsOf(el.runId), ...steps] : steps;
      }
      case 'logs':
        return this.logs.errorRecords(el.runId).map((r, i) => this.elements.log(el.runId, i, this.joined(el.runId, r.spanId)));
      case 'span': {
        const t = this.tree(el.runId);
        const node = t?.byId.get(el.spanId);
        return t && node ? this.nodeChildren(el.runId, t, node.children, el.spanId) : [];
      }
      default:
        return [];
    }
  }

  parent(el: RunsElement): RunsElement | undefined {
    switch (el.kind) {
      case 'group':
        return undefined;
      case 'run': {
        const run = this.run(el.runId);
        return this.grouped && run ? this.elements.group(workflowOf(run)) : undefined;
      }
      case 'span': {
        const p = this.tree(el.runId)?.parent.get(el.spanId);
        return p ? this.elements.span(el.runId, p) : this.runElement(el.runId);
      }
      case 'more':
        return el.parentSpanId ? this.elements.span(el.runId, el.parentSpanId) : this.runElement(el.runId);
      case 'logs':
        return this.runElement(el.runId);
      case 'log':
        return this.elements.logsOf(el.runId);
    }
  }

  /** The step a log record belongs to, when the run has it. */
  private joined(runId: string, spanId: string | undefined): string | undefined {
    return spanId && this.tree(runId)?.byId.has(spanId) ? spanId : undefined;
  }

  /** The element of a run (stable object). */
  runElement(runId: string): RunElement {
    return this.elements.run(runId);
  }

  /** The element of a span if the span exists. */
  findSpan(runId: string, spanId: string): SpanElement | undefined {
    return this.tree(runId)?.byId.has(spanId) ? this.elements.span(runId, spanId) : undefined;
  }

  // ------------------------------------------------------------------ rows

  item(el: RunsElement): ItemView {
    const v = this.row(el);
    if (!this.opts.source) return v;
    const origin = el.kind === 'run' ? originText(this.origins.of(el.runId)) : '';
    return {
      ...v,
      contextValue: `${this.opts.source}:${v.contextValue}`,
      description: origin ? `${v.description} · ${origin}` : v.description,
    };
  }

  private row(el: RunsElement): ItemView {
    const now = this.now();
    switch (el.kind) {
      case 'group':
        return groupItem(
          el,
          this.visibleRuns().filter((r) => workflowOf(r) === el.workflow),
          now,
        );
      case 'run':
        return runItem(el, this.run(el.runId), !!this.trees.get(el.runId)?.roots.length, this.rowContext(now));
      case 'span': {
        const t = this.tree(el.runId);
        const node = t?.byId.get(el.spanId);
        return spanItem(
          el,
          node,
          this.run(el.runId),
          !!node && (t!.failurePath.has(el.spanId) || !!this.filter.text),
          this.rowContext(now),
        );
      }
      case 'more':
        return moreItem(el);
      case 'logs':
        return logsItem(el, this.logs.errorCount(el.runId));
      case 'log':
        return logItem(
          el,
          this.logs.errorRecords(el.runId)[el.index],
          this.run(el.runId),
          el.spanId ? this.span(el.runId, el.spanId)?.name : undefined,
        );
    }
  }

  private rowContext(now: bigint): RowContext {
    return { now, resolve: this.opts.resolve, displayPath: this.opts.displayPath, refusal: this.refusal, canStop: this.canStop };
  }

  // ------------------------------------------------------------------ changes

  /** Fold store changes into the model; returns the rows to refresh (or the whole tree). */
  applyChanges(changes: readonly StoreChange[]): Refresh {
    this.runs.load();
    let root = false;
    const touched = new Set<RunsElement>();
    for (const c of changes) {
      switch (c.type) {
        case 'cleared':
          this.origins.forget();
          this.runs.clear();
          this.trees.clear();
          this.logs.forget();
          this.elements.clearRuns();
          this.filter.clear();
          root = true;
          break;
        case 'deleted':
          for (const id of c.runIds) this.forget(id);
          root = true;
          break;
        case 'runs':
          this.origins.changed(c.runIds);
          for (const id of c.runIds) {
            // Log records arrive as a change of their run.
            this.logs.forget(id);
            const before = this.runs.peek(id);
            const after = this.store.getRun(id);
            if (!after) {
              if (before) this.forget(id);
              root = true;
              continue;
            }
            const wasVisible = before ? this.isVisible(before) : false;
            this.runs.put(id, after, before);
            if (!before) {
              if (this.filter.text) this.updateSpanMatch(id);
              root = true;
              continue;
            }
            const reordered = before.startNs !== after.startNs;
            if (reordered || wasVisible !== this.isVisible(after) || workflowOf(before) !== workflowOf(after)) root = true;
            else {
              touched.add(this.runElement(id));
              if (this.grouped) touched.add(this.elements.group(workflowOf(after)));
            }
          }
          break;
        case 'spans':
          for (const id of c.runIds) {
            this.trees.delete(id);
            const run = this.runs.peek(id);
            if (!run) continue;
            if (this.filter.text) {
              const was = this.isVisible(run);
              this.updateSpanMatch(id);
              if (was !== this.isVisible(run)) {
                root = true;
                continue;
              }
            }
            touched.add(this.runElement(id));
          }
          break;
        default:
          break;
      }
    }
    return root ? { root: true } : { root: false, elements: [...touched] };
  }

  // ------------------------------------------------------------------ internals

  private forget(runId: string): void {
    this.runs.forget(runId);
    this.logs.forget(runId);
    this.trees.delete(runId);
    this.elements.forget(runId);
    this.filter.forget(runId);
  }

  private isVisible(r: Run): boolean {
    return this.filter.isVisible(r) && this.origins.matches(r.id, this.filter.origin);
  }

  private recomputeSpanMatches(): void {
    this.filter.recompute(this.runs.all(), (text) => this.store.runsWithSpanMatching(text));
  }

  private updateSpanMatch(runId: string): void {
    const tree = this.tree(runId);
    this.filter.update(runId, tree ? [...tree.byId.values()].map((n) => n.span.name) : []);
  }

  private tree(runId: string): RunTree | undefined {
    let t = this.trees.get(runId);
    if (t) return t;
    const run = this.runs.peek(runId) ?? this.store.getRun(runId);
    if (!run) return undefined;
    t = buildRunTree(this.store.getSpans(runId), run);
    this.trees.set(runId, t);
    return t;
  }

  /** With a text filter on a run shown for its spans: matching spans and their ancestors. */
  private visibleSpans(runId: string, t: RunTree): Set<string> | undefined {
    const run = this.runs.peek(runId);
    if (!this.filter.text || !run || this.filter.ownTextMatch(run)) return undefined;
    return (t.visible ??= spansMatching(t, this.filter.text));
  }

  private nodeChildren(runId: string, t: RunTree, nodes: SpanNode[], parentSpanId: string | undefined): RunsElement[] {
    const visible = this.visibleSpans(runId, t);
    const shown = visible ? nodes.filter((n) => visible.has(n.span.spanId)) : nodes;
    const out: RunsElement[] = shown.slice(0, this.maxChildren).map((n) => this.elements.span(runId, n.span.spanId));
    if (shown.length > this.maxChildren) out.push(this.elements.more(runId, parentSpanId, shown.length - this.maxChildren));
    return out;
  }
}
