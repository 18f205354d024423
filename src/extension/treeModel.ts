/**
 * The Runs tree as data: which elements exist, their parents and children, what each row
 * shows, and which rows a store change touches. Pure (no `vscode`): the TreeDataProvider in
 * runsTree.ts only maps these views onto TreeItems, and unit tests drive this in plain node.
 *
 * Element objects are stable (one object per run / span / group for the model's lifetime):
 * VS Code refreshes a row by element identity and keeps expansion by id, so a live run
 * updates its own row without collapsing anything the user opened.
 */
import type { Run, RunStatus, Span } from '../core/model';
import { durationMs, errorSummary, isFailedStatus, nowNs, nsToMs, attrText, RUN_STATUSES } from '../core/model';
import type { StoreChange } from '../core/store/store';
import { buildSpanTree, failureLeaves, type SpanNode } from '../core/tree';
import { formatDuration, relativeTime, runEndNote, stoppedWithRun } from '../core/report';
import type { SourceLocation } from '../core/source';
import { rerunRefusal } from '../core/launchKey';
import { MarkdownBuilder, oneLine } from './markdown';

export interface TreeStore {
  listRuns(opts?: { limit?: number }): Run[];
  getRun(idOrPrefix: string): Run | undefined;
  getSpans(runId: string): Span[];
  /** Optional fast path for the text filter: ids of runs with a span whose name contains `text` (case-insensitive). */
  runsWithSpanMatching?(text: string): Set<string>;
}

export interface GroupElement {
  readonly kind: 'group';
  readonly id: string;
  readonly workflow: string;
}
export interface RunElement {
  readonly kind: 'run';
  readonly id: string;
  readonly runId: string;
}
export interface SpanElement {
  readonly kind: 'span';
  readonly id: string;
  readonly runId: string;
  readonly spanId: string;
}
export interface MoreElement {
  readonly kind: 'more';
  readonly id: string;
  readonly runId: string;
  readonly parentSpanId?: string;
  hidden: number;
}
export type RunsElement = GroupElement | RunElement | SpanElement | MoreElement;

export interface TreeFilter {
  /** Run statuses to show; empty = all. */
  statuses: RunStatus[];
  /** Case-insensitive text in the run name/workflow/id or a span name; '' = no text filter. */
  text: string;
}

export interface IconView {
  id: string;
  color?: string;
}

export interface ItemView {
  id: string;
  label: string;
  description: string;
  /** Markdown; every piece of trace text in it is escaped. */
  tooltip: string;
  icon: IconView;
  collapsible: 'none' | 'collapsed' | 'expanded';
  contextValue: string;
  /** What a click does (besides selecting). */
  command?: 'goToSource' | 'openTimeline';
}

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
}

/** A run Stop applies to: still running, and its process or log is one this window controls. */
export const stoppable = (run: Run, controlled: (runId: string) => boolean): boolean => run.status === 'RUNNING' && controlled(run.id);

interface RunTree {
  roots: SpanNode[];
  byId: Map<string, SpanNode>;
  parent: Map<string, string | undefined>;
  /** Spans on the way to a failure (expanded by default). */
  failurePath: Set<string>;
  /** With a span-name text filter: spans that match or have a matching descendant. */
  visible?: Set<string>;
}

export const ICONS = {
  passed: { id: 'pass', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  warning: { id: 'warning', color: 'list.warningForeground' },
  running: { id: 'loading~spin' },
  queued: { id: 'history', color: 'testing.iconQueued' },
  /** The user stopped it. */
  cancelled: { id: 'circle-slash', color: 'testing.iconSkipped' },
  /** Its recording process went away without ending it. */
  incomplete: { id: 'debug-disconnect', color: 'list.warningForeground' },
} satisfies Record<string, IconView>;

const isFailed = (s: Span) => isFailedStatus(s.status);
const key = (runId: string, spanId: string) => `${runId}\u0000${spanId}`;
const byStartDesc = (a: Run, b: Run) => (a.startNs > b.startNs ? -1 : a.startNs < b.startNs ? 1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
const workflowOf = (r: Run) => r.workflow ?? r.name;

export function runIcon(status: RunStatus): IconView {
  switch (status) {
    case 'SUCCESS':
      return ICONS.passed;
    case 'FAILED':
      return ICONS.failed;
    case 'PARTIAL':
      return ICONS.warning;
    case 'CANCELLED':
      return ICONS.cancelled;
    case 'INCOMPLETE':
      return ICONS.incomplete;
    case 'RUNNING':
      return ICONS.running;
  }
}

/** What each run status means, for the status filter and tooltips. */
export const RUN_STATUS_MEANING: Record<RunStatus, string> = {
  RUNNING: 'still going',
  SUCCESS: 'ended well, no failed step',
  PARTIAL: 'ended, some steps failed',
  FAILED: 'failed (non-zero exit, killed, or a failed run)',
  CANCELLED: 'stopped by the user',
  INCOMPLETE: 'never ended: the process recording it went away',
};

export function spanIcon(span: Span, run?: Run): IconView {
  if (span.status === 'RUNNING') return ICONS.running;
  if (stoppedWithRun(span, run)) return ICONS.cancelled;
  if (span.status === 'INCOMPLETE' || /^BLOCKED$/i.test(span.statusLabel ?? '')) return ICONS.warning;
  if (span.status === 'ERROR') return ICONS.failed;
  return ICONS.passed;
}

/** `FAILED · 2.31 s · 3 min ago · exit 1` — the status word always first. */
export function runDescription(run: Run, now: bigint): string {
  const parts: string[] = [run.status, formatDuration(durationMs(run, now)), relativeTime(run.startNs, now)];
  if (run.signal) parts.push(run.signal);
  else if (run.exitCode !== undefined) parts.push(`exit ${run.exitCode}`);
  return parts.join(' · ');
}

/** Failed: the error summary; hung: `hung …`; running: live elapsed time; else the duration. */
export function spanDescription(span: Span, run: Run | undefined, now: bigint): string {
  switch (span.status) {
    case 'ERROR':
      return oneLine(errorSummary(span) ?? 'error', 200);
    case 'INCOMPLETE': {
      const end = run?.endNs;
      if (stoppedWithRun(span, run)) return end !== undefined && end > span.startNs ? `stopped with the run · ran ${formatDuration(nsToMs(end - span.startNs))}` : 'stopped with the run';
      return end !== undefined && end > span.startNs ? `hung · never ended (ran ${formatDuration(nsToMs(end - span.startNs))} until the run ended)` : 'hung · never ended';
    }
    case 'RUNNING':
      return `running · ${formatDuration(durationMs(span, now))}`;
    default: {
      const d = formatDuration(durationMs(span, now));
      return span.statusLabel && !/^(OK|SUCCESS|COMPLETED?)$/i.test(span.statusLabel) ? `${span.statusLabel} · ${d}` : d;
    }
  }
}

export function describeFilter(f: TreeFilter): string {
  const parts: string[] = [];
  if (f.statuses.length && f.statuses.length < RUN_STATUSES.length) parts.push(f.statuses.join(', '));
  if (f.text) parts.push(`“${f.text}”`);
  return parts.join(' · ');
}

export const isFilterActive = (f: TreeFilter): boolean => describeFilter(f) !== '';

export class RunsTreeModel {
  private runs: Run[] = [];
  private readonly runsById = new Map<string, Run>();
  private readonly runElements = new Map<string, RunElement>();
  private readonly groupElements = new Map<string, GroupElement>();
  private readonly spanElements = new Map<string, SpanElement>();
  private readonly moreElements = new Map<string, MoreElement>();
  private readonly trees = new Map<string, RunTree>();
  /** With a text filter: runs shown because of a span name (not their own name). */
  private spanMatches = new Set<string>();
  private filter: TreeFilter = { statuses: [], text: '' };
  private grouped = false;
  private loaded = false;
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
    this.refusal = opts.rerunRefusal ?? rerunRefusal;
    this.canStop = opts.canStop ?? (() => false);
  }

  // ------------------------------------------------------------------ state

  get groupByWorkflow(): boolean {
    return this.grouped;
  }

  setGroupByWorkflow(on: boolean): void {
    this.grouped = on;
  }

  getFilter(): TreeFilter {
    return { statuses: [...this.filter.statuses], text: this.filter.text };
  }

  setFilter(f: Partial<TreeFilter>): void {
    this.filter = {
      statuses: (f.statuses ?? this.filter.statuses).filter((s) => (RUN_STATUSES as readonly string[]).includes(s)),
      text: (f.text ?? this.filter.text).trim(),
    };
    this.ensureLoaded();
    this.recomputeSpanMatches();
    for (const t of this.trees.values()) t.visible = undefined;
  }

  /** Re-read every run (after a reload or when the store was replaced). */
  reload(): void {
    this.loaded = false;
    this.runs = [];
    this.runsById.clear();
    this.trees.clear();
    this.ensureLoaded();
    this.recomputeSpanMatches();
  }

  allRuns(): readonly Run[] {
    this.ensureLoaded();
    return this.runs;
  }

  run(runId: string): Run | undefined {
    this.ensureLoaded();
    return this.runsById.get(runId);
  }

  span(runId: string, spanId: string): Span | undefined {
    return this.tree(runId)?.byId.get(spanId)?.span;
  }

  hasRunning(): boolean {
    this.ensureLoaded();
    return this.runs.some((r) => r.status === 'RUNNING');
  }

  /** Rows whose text changes with the clock (RUNNING runs); refreshed by a timer. */
  ticking(): RunsElement[] {
    this.ensureLoaded();
    return this.runs.filter((r) => r.status === 'RUNNING' && this.isVisible(r)).map((r) => this.runElement(r.id));
  }

  /** Runs the filter lets through, newest first. */
  visibleRuns(): Run[] {
    this.ensureLoaded();
    return this.runs.filter((r) => this.isVisible(r));
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
      out.push(this.groupElement(wf));
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
        return t ? this.nodeChildren(el.runId, t, t.roots, undefined) : [];
      }
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
        return this.grouped && run ? this.groupElement(workflowOf(run)) : undefined;
      }
      case 'span': {
        const p = this.tree(el.runId)?.parent.get(el.spanId);
        return p ? this.spanElement(el.runId, p) : this.runElement(el.runId);
      }
      case 'more':
        return el.parentSpanId ? this.spanElement(el.runId, el.parentSpanId) : this.runElement(el.runId);
    }
  }

  /** The element of a run (stable object). */
  runElement(runId: string): RunElement {
    let e = this.runElements.get(runId);
    if (!e) this.runElements.set(runId, (e = { kind: 'run', id: `run:${runId}`, runId }));
    return e;
  }

  /** The element of a span if the span exists. */
  findSpan(runId: string, spanId: string): SpanElement | undefined {
    return this.tree(runId)?.byId.has(spanId) ? this.spanElement(runId, spanId) : undefined;
  }

  // ------------------------------------------------------------------ rows

  item(el: RunsElement): ItemView {
    const now = this.now();
    switch (el.kind) {
      case 'group':
        return this.groupItem(el, now);
      case 'run':
        return this.runItem(el, now);
      case 'span':
        return this.spanItem(el, now);
      case 'more':
        return {
          id: el.id,
          label: `… ${el.hidden} more span${el.hidden === 1 ? '' : 's'}`,
          description: 'open the timeline to see all',
          tooltip: 'This level has more spans than the tree lists. The timeline shows every span.',
          icon: { id: 'ellipsis' },
          collapsible: 'none',
          contextValue: 'more',
          command: 'openTimeline',
        };
    }
  }

  private groupItem(el: GroupElement, now: bigint): ItemView {
    const runs = this.visibleRuns().filter((r) => workflowOf(r) === el.workflow);
    const last = runs[0];
    const failed = runs.filter((r) => r.status === 'FAILED' || r.status === 'PARTIAL').length;
    const md = new MarkdownBuilder().md('**').text(el.workflow).md('**\n\n');
    md.row('Runs', `${runs.length}${failed ? ` (${failed} failed or partial)` : ''}`);
    if (last) md.row('Last run', `${last.status}, ${relativeTime(last.startNs, now)}`);
    return {
      id: el.id,
      label: el.workflow,
      description: last ? `${runs.length} run${runs.length === 1 ? '' : 's'} · last ${last.status} ${relativeTime(last.startNs, now)}` : '',
      tooltip: md.toString(),
      icon: last ? runIcon(last.status) : ICONS.queued,
      collapsible: 'expanded',
      contextValue: 'workflow',
    };
  }

  private runItem(el: RunElement, now: bigint): ItemView {
    const run = this.run(el.runId);
    if (!run) {
      return { id: el.id, label: el.runId, description: 'deleted', tooltip: '', icon: { id: 'circle-slash' }, collapsible: 'none', contextValue: 'run' };
    }
    const md = new MarkdownBuilder().md('**').text(run.name).md(`** — ${run.status}\n\n`);
    md.row('Run', run.id);
    if (run.workflow && run.workflow !== run.name) md.row('Workflow', run.workflow);
    md.row('Started', `${new Date(Number(run.startNs / 1_000_000n)).toLocaleString()} (${relativeTime(run.startNs, now)})`);
    md.row(run.status === 'RUNNING' ? 'Running for' : 'Duration', formatDuration(durationMs(run, now)));
    const endNote = runEndNote(run);
    if (endNote) md.row('Why', endNote);
    if (run.signal) md.row('Ended by', run.signal);
    else if (run.exitCode !== undefined) md.row('Exit code', String(run.exitCode));
    if (run.command?.length) md.row('Command', run.command.join(' '));
    if (run.cwd) md.row('Directory', this.opts.displayPath ? this.opts.displayPath(run.cwd) : run.cwd);
    if (run.gitCommit) md.row('Commit', run.gitCommit.slice(0, 12));
    md.row('Source', { launch: 'launched from Runlens', otlp: 'attached (OTLP)', log: 'attached (log file)', import: 'imported file' }[run.source]);
    md.row('Spans', `${run.spanCount}${run.errorCount ? ` (${run.errorCount} failed or hung)` : ''}`);
    const finalError = run.attributes['final_error'] ?? run.attributes['runlens.launch_error'];
    if (finalError !== undefined) md.row('Error', oneLine(attrText(finalError), 300));
    const refusal = this.refusal(run);
    if (refusal) md.row('Re-run', `not offered: ${refusal}`);
    return {
      id: el.id,
      label: run.name,
      description: runDescription(run, now),
      tooltip: md.toString(),
      icon: runIcon(run.status),
      collapsible: run.spanCount > 0 || this.trees.get(run.id)?.roots.length ? 'collapsed' : 'none',
      // `run` plus flags the context menu's `when` clauses read: `+rerun` offers Re-run, `+stop` Stop.
      contextValue: `run${refusal ? '' : '+rerun'}${this.canStop(run) ? '+stop' : ''}`,
    };
  }

  private spanItem(el: SpanElement, now: bigint): ItemView {
    const t = this.tree(el.runId);
    const node = t?.byId.get(el.spanId);
    const run = this.run(el.runId);
    if (!t || !node) {
      return { id: el.id, label: el.spanId, description: 'gone', tooltip: '', icon: { id: 'circle-slash' }, collapsible: 'none', contextValue: 'span' };
    }
    const span = node.span;
    const failed = isFailed(span);
    const stopped = stoppedWithRun(span, run);
    const md = new MarkdownBuilder().md('**').text(span.name).md(`** — ${stopped ? 'INCOMPLETE (stopped with the run)' : span.status === 'INCOMPLETE' ? 'INCOMPLETE (hung)' : span.status}`);
    if (span.statusLabel && span.statusLabel !== span.status) md.md(' (').text(span.statusLabel).md(')');
    md.md('\n\n');
    if (span.status === 'RUNNING') md.row('Running for', formatDuration(durationMs(span, now)));
    else if (span.endNs !== undefined) md.row('Duration', formatDuration(durationMs(span, now)));
    if (run) md.row('Started', `+${formatDuration(nsToMs(span.startNs > run.startNs ? span.startNs - run.startNs : 0n))} into the run`);
    const err = stopped ? 'still running when the user stopped the run' : failed ? errorSummary(span) : undefined;
    if (err) md.row(stopped ? 'Stopped' : span.status === 'INCOMPLETE' ? 'Hung' : 'Error', oneLine(err, 400));
    let located = false;
    if (run && this.opts.resolve) {
      const loc = this.opts.resolve(span, run);
      located = !!loc;
      if (loc) {
        const where = `${this.opts.displayPath ? this.opts.displayPath(loc.file) : loc.file}:${loc.line}`;
        md.row('Source', `${where}${loc.via === 'stack' ? ' (from the stack trace)' : ''}`);
      } else {
        md.row('Source', `unknown: no code.* attributes or workspace stack frame. Go to Source looks for a workspace symbol named “${span.name}”.`);
      }
    }
    const attrs = Object.entries(span.attributes).filter(([k]) => !k.startsWith('code.'));
    if (attrs.length) {
      md.md('\n');
      for (const [k, v] of attrs.slice(0, 12)) md.row(k, oneLine(attrText(v), 120) + (span.truncated?.[k] ? ` (truncated from ${span.truncated[k]} chars)` : ''));
      if (attrs.length > 12) md.text(`… and ${attrs.length - 12} more attributes (see the timeline)`);
    }
    const hasKids = node.children.length > 0;
    return {
      id: el.id,
      label: span.name,
      description: spanDescription(span, run, now),
      tooltip: md.toString(),
      icon: spanIcon(span, run),
      collapsible: !hasKids ? 'none' : t.failurePath.has(span.spanId) || this.filter.text ? 'expanded' : 'collapsed',
      contextValue: !failed ? 'span' : run && !this.refusal(run) ? 'span-failed+rerun' : 'span-failed',
      // Like the Testing view: a click on a step opens its code when it is known; a failed
      // step always tries (Go to Source falls back to a symbol named like it).
      command: failed || located ? 'goToSource' : undefined,
    };
  }

  // ------------------------------------------------------------------ changes

  /** Fold store changes into the model; returns the rows to refresh (or the whole tree). */
  applyChanges(changes: readonly StoreChange[]): Refresh {
    this.ensureLoaded();
    let root = false;
    const touched = new Set<RunsElement>();
    for (const c of changes) {
      switch (c.type) {
        case 'cleared':
          this.runs = [];
          this.runsById.clear();
          this.trees.clear();
          this.runElements.clear();
          this.spanElements.clear();
          this.moreElements.clear();
          this.spanMatches.clear();
          root = true;
          break;
        case 'deleted':
          for (const id of c.runIds) this.forget(id);
          root = true;
          break;
        case 'runs':
          for (const id of c.runIds) {
            const before = this.runsById.get(id);
            const after = this.store.getRun(id);
            if (!after) {
              if (before) this.forget(id);
              root = true;
              continue;
            }
            const wasVisible = before ? this.isVisible(before) : false;
            this.runsById.set(id, after);
            if (!before) {
              this.runs.push(after);
              this.runs.sort(byStartDesc);
              if (this.filter.text) this.updateSpanMatch(id);
              root = true;
              continue;
            }
            this.runs[this.runs.indexOf(before)] = after;
            const reordered = before.startNs !== after.startNs;
            if (reordered) this.runs.sort(byStartDesc);
            if (reordered || wasVisible !== this.isVisible(after) || workflowOf(before) !== workflowOf(after)) root = true;
            else {
              touched.add(this.runElement(id));
              if (this.grouped) touched.add(this.groupElement(workflowOf(after)));
            }
          }
          break;
        case 'spans':
          for (const id of c.runIds) {
            this.trees.delete(id);
            const run = this.runsById.get(id);
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

  private ensureLoaded(): void {
    if (this.loaded) return;
    this.loaded = true;
    this.runs = this.store.listRuns().slice().sort(byStartDesc);
    this.runsById.clear();
    for (const r of this.runs) this.runsById.set(r.id, r);
  }

  private forget(runId: string): void {
    const r = this.runsById.get(runId);
    if (r) this.runs.splice(this.runs.indexOf(r), 1);
    this.runsById.delete(runId);
    this.trees.delete(runId);
    this.runElements.delete(runId);
    this.spanMatches.delete(runId);
    for (const k of [...this.spanElements.keys()]) if (k.startsWith(runId + '\u0000')) this.spanElements.delete(k);
    for (const k of [...this.moreElements.keys()]) if (k.startsWith(runId + '\u0000')) this.moreElements.delete(k);
  }

  private ownTextMatch(r: Run): boolean {
    const t = this.filter.text.toLowerCase();
    return [r.name, r.workflow ?? '', r.id, ...(r.command ?? [])].some((s) => s.toLowerCase().includes(t));
  }

  private isVisible(r: Run): boolean {
    if (this.filter.statuses.length && !this.filter.statuses.includes(r.status)) return false;
    if (!this.filter.text) return true;
    return this.ownTextMatch(r) || this.spanMatches.has(r.id);
  }

  private recomputeSpanMatches(): void {
    this.spanMatches = new Set();
    if (!this.filter.text) return;
    if (this.store.runsWithSpanMatching) {
      const ids = this.store.runsWithSpanMatching(this.filter.text);
      for (const r of this.runs) if (ids.has(r.id)) this.spanMatches.add(r.id);
      return;
    }
    for (const r of this.runs) this.updateSpanMatch(r.id);
  }

  private updateSpanMatch(runId: string): void {
    const t = this.filter.text.toLowerCase();
    const tree = this.tree(runId);
    const hit = !!tree && [...tree.byId.values()].some((n) => n.span.name.toLowerCase().includes(t));
    if (hit) this.spanMatches.add(runId);
    else this.spanMatches.delete(runId);
  }

  private tree(runId: string): RunTree | undefined {
    let t = this.trees.get(runId);
    if (t) return t;
    const run = this.runsById.get(runId) ?? this.store.getRun(runId);
    if (!run) return undefined;
    const spans = this.store.getSpans(runId);
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
    t = { roots, byId, parent, failurePath };
    this.trees.set(runId, t);
    return t;
  }

  /** With a text filter on a run shown for its spans: matching spans and their ancestors. */
  private visibleSpans(runId: string, t: RunTree): Set<string> | undefined {
    const run = this.runsById.get(runId);
    if (!this.filter.text || !run || this.ownTextMatch(run)) return undefined;
    if (t.visible) return t.visible;
    const text = this.filter.text.toLowerCase();
    const visible = new Set<string>();
    for (const n of t.byId.values()) {
      if (!n.span.name.toLowerCase().includes(text)) continue;
      for (let id: string | undefined = n.span.spanId; id && !visible.has(id); id = t.parent.get(id)) visible.add(id);
    }
    t.visible = visible;
    return visible;
  }

  private nodeChildren(runId: string, t: RunTree, nodes: SpanNode[], parentSpanId: string | undefined): RunsElement[] {
    const visible = this.visibleSpans(runId, t);
    const shown = visible ? nodes.filter((n) => visible.has(n.span.spanId)) : nodes;
    const out: RunsElement[] = shown.slice(0, this.maxChildren).map((n) => this.spanElement(runId, n.span.spanId));
    if (shown.length > this.maxChildren) {
      const k = key(runId, parentSpanId ?? '');
      let more = this.moreElements.get(k);
      if (!more) this.moreElements.set(k, (more = { kind: 'more', id: `more:${runId}:${parentSpanId ?? ''}`, runId, parentSpanId, hidden: 0 }));
      more.hidden = shown.length - this.maxChildren;
      out.push(more);
    }
    return out;
  }

  private spanElement(runId: string, spanId: string): SpanElement {
    const k = key(runId, spanId);
    let e = this.spanElements.get(k);
    if (!e) this.spanElements.set(k, (e = { kind: 'span', id: `span:${runId}:${spanId}`, runId, spanId }));
    return e;
  }

  private groupElement(workflow: string): GroupElement {
    let e = this.groupElements.get(workflow);
    if (!e) this.groupElements.set(workflow, (e = { kind: 'group', id: `workflow:${workflow}`, workflow }));
    return e;
  }
}
