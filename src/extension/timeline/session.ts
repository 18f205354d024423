/**
 * One timeline's host-side logic, without `vscode`: validates every message the webview
 * sends and answers it (a span's detail, Go to Source, choosing a run to compare with,
 * copy), keeps the selection and the comparison, and delegates opening source / picking
 * runs / clipboard to the adapter. What it sends of its own accord (the run at `ready`, the
 * store's live changes in batches) is sessionFeed.ts; the order spans travel in, order.ts;
 * what it needs from outside, sessionPorts.ts. TimelinePanel wires it to a real
 * WebviewPanel; unit tests drive it directly.
 */
import type { Span } from '../../core/model';
import type { TimelineState, WebviewMessage } from '../../shared/protocol';
import { sameWorkflowFirst } from './order';
import { parseWebviewMessage } from './schemas';
import { SessionFeed } from './sessionFeed';
import { spanLogs } from './signals';
import type { SessionDeps } from './sessionPorts';
import { toSpanDetail } from './views';

export { CHUNK_ROWS, displayOrder, FIRST_ROWS } from './order';
export type { SessionDeps, TimelineLog, TimelineStore } from './sessionPorts';

export class TimelineSession {
  private ready = false;
  private selectedSpanId: string | null;
  private compareRunId: string | null;
  private pendingSelect: string | null;
  private readonly feed: SessionFeed;

  constructor(
    private readonly deps: SessionDeps,
    readonly runId: string,
    init: { selectSpanId?: string | null; compareRunId?: string | null } = {},
  ) {
    this.selectedSpanId = init.selectSpanId ?? null;
    this.pendingSelect = init.selectSpanId ?? null;
    this.compareRunId = init.compareRunId ?? null;
    this.feed = new SessionFeed(deps, runId, {
      isReady: () => this.ready,
      compareRunId: () => this.compareRunId,
      dropCompare: () => {
        this.compareRunId = null;
      },
      takeSelection: () => {
        const spanId = this.pendingSelect ?? this.selectedSpanId;
        this.pendingSelect = null;
        return spanId;
      },
    });
  }

  /** What the panel serializer saves. */
  get state(): TimelineState {
    return { runId: this.runId, selectedSpanId: this.selectedSpanId, compareRunId: this.compareRunId };
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** The webview went away (panel hidden without retained context): it will say `ready` again. */
  suspend(): void {
    this.ready = false;
    this.feed.stopStream();
  }

  /** Select and reveal a span (CodeLens, tree). Sent now if the webview is up, else with init. */
  reveal(spanId: string | undefined): void {
    if (!spanId) return;
    this.selectedSpanId = spanId;
    if (this.ready) this.deps.ui.post({ type: 'selectSpan', spanId });
    else this.pendingSelect = spanId;
  }

  /** A message from the webview: validated, then handled. Invalid ones are logged and dropped. */
  async receive(raw: unknown): Promise<void> {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.deps.log.warn(`timeline: ignored an invalid message from the webview (${parsed.error})`);
      return;
    }
    try {
      await this.handle(parsed.message);
    } catch (err) {
      this.deps.log.error(`timeline: ${parsed.message.type} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  private async handle(msg: WebviewMessage): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.feed.sendInit();
        return;
      case 'selectSpan':
        this.selectedSpanId = msg.spanId;
        this.deps.onDidSelectSpan?.(this.runId, msg.spanId);
        return;
      case 'openSource':
        await this.deps.openSource(
          msg.column !== undefined ? { file: msg.file, line: msg.line, column: msg.column } : { file: msg.file, line: msg.line },
        );
        return;
      case 'goToSource': {
        const runId = msg.runId ?? this.runId;
        if (runId !== this.runId && runId !== this.compareRunId) {
          this.deps.log.warn(`timeline: goToSource for a run this panel does not show (${runId})`);
          return;
        }
        const span = this.findSpan(runId, msg.spanId);
        if (!span) {
          this.deps.ui.info('That span is no longer in the database.');
          return;
        }
        const loc = this.deps.resolveSource(span);
        if (loc) await this.deps.openSource(loc);
        else this.deps.ui.info(`No source location recorded for “${span.name}”.`);
        return;
      }
      case 'getSpanDetail': {
        // Attributes, events and source travel only for the span the user looks at.
        const runId = msg.runId ?? this.runId;
        const run = runId === this.runId || runId === this.compareRunId ? this.deps.store.getRun(runId) : undefined;
        const span = run ? this.findSpan(runId, msg.spanId) : undefined;
        // With the span's log records at the severity the Logs section filters by (bounded).
        const detail =
          run && span
            ? { ...toSpanDetail(span, run, this.resolve), logs: spanLogs(this.deps.store, run, span.spanId, msg.minSeverity) }
            : null;
        if (this.ready) this.deps.ui.post({ type: 'spanDetail', runId, spanId: msg.spanId, detail });
        return;
      }
      case 'pickCompareRun':
        await this.pickCompare(msg.runId);
        return;
      case 'clearCompare':
        this.setCompare(null);
        return;
      case 'copy':
        await this.deps.ui.copy(msg.text);
        return;
      case 'reportError':
        this.deps.log.warn(`timeline webview: ${msg.message}`);
        return;
    }
  }

  private findSpan(runId: string, spanId: string): Span | undefined {
    return this.deps.store.getSpan(runId, spanId);
  }

  /** Compare with `runId`, or with a run the user picks (QuickPick) when it is absent. */
  async pickCompare(runId?: string): Promise<void> {
    let id = runId;
    if (id === undefined) {
      const current = this.deps.store.getRun(this.runId);
      if (!current) return;
      const runs = this.deps.store.listRuns({ limit: 200 }).filter((r) => r.id !== this.runId);
      if (!runs.length) {
        this.deps.ui.info('There is no other run to compare with yet.');
        return;
      }
      // Same workflow first: the usual baseline is its last run that worked.
      id = await this.deps.ui.pickRun(sameWorkflowFirst(runs, current), current);
      if (id === undefined) return;
    }
    this.setCompare(id);
  }

  /** Compare with another run (or stop comparing with null). */
  setCompare(runId: string | null): void {
    if (runId !== null && (runId === this.runId || !this.deps.store.getRun(runId))) {
      this.deps.ui.info('That run can no longer be compared (it was deleted).');
      return;
    }
    this.compareRunId = runId;
    if (this.ready) this.feed.postCompare();
  }

  private readonly resolve = (span: Span) => this.deps.resolveSource(span);

  /** Whether the run's spans are still being sent after `init`. */
  get loading(): boolean {
    return this.feed.loading;
  }

  /** Send what changed since the last batch (public for tests). */
  flush(): void {
    this.feed.flush();
  }

  dispose(): void {
    this.feed.dispose();
  }
}
