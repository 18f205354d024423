/**
 * One timeline's host-side logic, without `vscode`: answers the webview's `ready` with the
 * run, validates every message it receives, forwards live store changes in ~100 ms batches,
 * computes comparisons, and delegates opening source / picking runs / clipboard to the
 * adapter. TimelinePanel wires it to a real WebviewPanel; unit tests drive it directly.
 */
import { compareRuns, type CompareOptions } from '../../core/compare';
import type { Run, Span } from '../../core/model';
import type { StoreChange } from '../../core/store/store';
import type { HostMessage, TimelineState, WebviewMessage } from '../../shared/protocol';
import { parseWebviewMessage } from './schemas';
import {
  asOfMs,
  toCompareView,
  toRunChoice,
  toRunView,
  toSpanColumns,
  toSpanDetail,
  type SourceLike,
  type TimelineSpanHead,
} from './views';

/** The parts of TraceStore a timeline reads. */
export interface TimelineStore {
  getRun(idOrPrefix: string): Run | undefined;
  /** A run's spans without attributes and events (with their service when the store says it): what the timeline draws. */
  spanHeads(runId: string): TimelineSpanHead[];
  /** One span in full (indexed lookup): the selected span's detail, Go to Source. */
  getSpan(runId: string, spanId: string): Span | undefined;
  /** Every span in full: read only to compare two runs. */
  getSpans(runId: string): Span[];
  listRuns(opts?: { limit?: number; workflow?: string }): Run[];
  onChange(listener: (c: StoreChange) => void): { dispose(): void };
}

export interface TimelineLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What the VS Code adapter does for the session. */
interface SessionUi {
  post(message: HostMessage): void;
  /** Let the user choose a run to compare with (QuickPick); undefined when dismissed. */
  pickRun(runs: Run[], current: Run): Promise<string | undefined>;
  copy(text: string): Promise<void>;
  info(message: string): void;
  setTitle(title: string): void;
}

export interface SessionDeps {
  store: TimelineStore;
  resolveSource(span: Span): SourceLike | undefined;
  openSource(loc: SourceLike): unknown;
  log: TimelineLog;
  ui: SessionUi;
  /** Called when the user selects a span in the timeline. */
  onDidSelectSpan?(runId: string, spanId: string | null): void;
  /** Live-update batching window (ms). */
  batchMs?: number;
  /** How long after the panel opens the run is read, ahead of the webview's `ready` (ms). */
  prefetchDelayMs?: number;
  compareOptions?: CompareOptions;
}

const CANDIDATES = 25;
/** Spans in the first message: more than a screenful of rows (22 px each) on a tall screen. */
export const FIRST_ROWS = 250;
/** Spans per message after the first. */
export const CHUNK_ROWS = 25_000;

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

export class TimelineSession {
  private ready = false;
  private selectedSpanId: string | null;
  private compareRunId: string | null;
  private pendingSelect: string | null;
  private readonly pendingSpans = new Map<string, Span>();
  private runDirty = false;
  private compareDirty = false;
  private candidatesDirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly sub: { dispose(): void };
  private disposed = false;
  private missing = false;
  private lastCompareAt = 0;
  /** The run's span heads in display order, read while the page loads (null: read at `ready`). */
  private prefetched: TimelineSpanHead[] | null = null;
  private prefetchTimer: ReturnType<typeof setTimeout> | undefined;
  /** The rest of the run after `init`, sent a chunk at a time; null when all was sent. */
  private stream: { run: Run; spans: TimelineSpanHead[]; at: number; timer: ReturnType<typeof setTimeout> | undefined } | null = null;

  constructor(
    private readonly deps: SessionDeps,
    readonly runId: string,
    init: { selectSpanId?: string | null; compareRunId?: string | null } = {},
  ) {
    this.selectedSpanId = init.selectSpanId ?? null;
    this.pendingSelect = init.selectSpanId ?? null;
    this.compareRunId = init.compareRunId ?? null;
    this.sub = deps.store.onChange((c) => this.onStoreChange(c));
    const run = deps.store.getRun(runId);
    if (run) deps.ui.setTitle(`Timeline: ${run.name}`);
    // The webview takes hundreds of ms to load and say `ready`: read the run meanwhile (a
    // moment after the panel and its HTML went out), so that `init` leaves at once.
    if (run) this.prefetchTimer = setTimeout(() => this.prefetch(), deps.prefetchDelayMs ?? 30);
  }

  private prefetch(): void {
    this.prefetchTimer = undefined;
    if (this.disposed || this.ready || this.missing) return;
    if (!this.deps.store.getRun(this.runId)) return;
    this.prefetched = displayOrder(this.deps.store.spanHeads(this.runId));
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
    this.stopStream();
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
        this.sendInit();
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
        const detail = run && span ? toSpanDetail(span, run, this.resolve) : null;
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
      const same = runs.filter((r) => current.workflow !== undefined && r.workflow === current.workflow);
      id = await this.deps.ui.pickRun([...same, ...runs.filter((r) => !same.includes(r))], current);
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
    if (this.ready) {
      this.lastCompareAt = Date.now();
      this.deps.ui.post({ type: 'compareData', compare: this.compareView() });
    }
  }

  private compareView() {
    if (this.compareRunId === null) return null;
    const a = this.deps.store.getRun(this.compareRunId);
    const b = this.deps.store.getRun(this.runId);
    if (!a || !b) return null;
    const aSpans = this.deps.store.getSpans(a.id);
    const cmp = compareRuns({ run: a, spans: aSpans }, { run: b, spans: this.deps.store.getSpans(b.id) }, this.deps.compareOptions);
    return toCompareView(cmp, a, aSpans);
  }

  private readonly resolve = (span: Span) => this.deps.resolveSource(span);

  private candidates(run: Run) {
    const runs = this.deps.store.listRuns({ limit: 100 }).filter((r) => r.id !== this.runId);
    // Runs of the same workflow first (the usual "works once, then fails" pair), newest first.
    const same = runs.filter((r) => run.workflow !== undefined && r.workflow === run.workflow);
    const other = runs.filter((r) => !same.includes(r));
    return [...same, ...other].slice(0, CANDIDATES).map(toRunChoice);
  }

  private sendInit(): void {
    const run = this.deps.store.getRun(this.runId);
    if (!run) {
      this.missing = true;
      this.deps.ui.post({ type: 'runMissing', runId: this.runId, message: 'This run is no longer in the Runlens database.' });
      return;
    }
    this.missing = false;
    this.stopStream();
    this.pendingSpans.clear();
    this.runDirty = this.compareDirty = false;
    // The first screenful first (narrow read: no attributes or events), the rest in chunks
    // after it, and the runs to compare with once the spans are there.
    if (this.prefetchTimer !== undefined) clearTimeout(this.prefetchTimer);
    this.prefetchTimer = undefined;
    const spans = this.prefetched ?? displayOrder(this.deps.store.spanHeads(this.runId));
    this.prefetched = null;
    const first = spans.length <= FIRST_ROWS + CHUNK_ROWS / 10 ? spans.length : FIRST_ROWS;
    const selectSpanId = this.pendingSelect ?? this.selectedSpanId;
    this.pendingSelect = null;
    this.deps.ui.setTitle(`Timeline: ${run.name}`);
    this.deps.ui.post({
      type: 'init',
      run: toRunView(run),
      spans: toSpanColumns(first < spans.length ? spans.slice(0, first) : spans, run),
      pending: spans.length - first,
      asOfMs: asOfMs(run),
      selectSpanId,
      compare: this.compareView(),
    });
    this.candidatesDirty = true;
    if (first < spans.length) {
      this.stream = { run, spans, at: first, timer: undefined };
      this.nextChunk();
    } else this.schedule();
  }

  /** Post the next chunk of the run `init` started, on a later turn (the host stays responsive). */
  private nextChunk(): void {
    const st = this.stream;
    if (!st) return;
    st.timer = setTimeout(() => {
      st.timer = undefined;
      if (this.stream !== st || this.disposed || !this.ready) return;
      const end = Math.min(st.at + CHUNK_ROWS, st.spans.length);
      const spans = toSpanColumns(st.spans.slice(st.at, end), st.run);
      st.at = end;
      if (end >= st.spans.length) this.stream = null;
      this.deps.ui.post({ type: 'spansLoaded', spans, pending: st.spans.length - end });
      if (this.stream) this.nextChunk();
      else this.schedule();
    }, 0);
  }

  private stopStream(): void {
    if (this.stream?.timer !== undefined) clearTimeout(this.stream.timer);
    this.stream = null;
  }

  /** Whether the run's spans are still being sent after `init`. */
  get loading(): boolean {
    return this.stream !== null;
  }

  private onStoreChange(c: StoreChange): void {
    if (this.disposed) return;
    const mine = c.runIds.includes(this.runId);
    // What was read ahead of `ready` is out of date: read again then.
    if (mine) this.prefetched = null;
    const theirs = this.compareRunId !== null && c.runIds.includes(this.compareRunId);
    switch (c.type) {
      case 'spans':
        if (mine) {
          if (c.spans) {
            for (const s of c.spans) if (s.runId === this.runId) this.pendingSpans.set(s.spanId, s);
          } else this.runDirty = true;
          if (this.compareRunId !== null) this.compareDirty = true;
        }
        if (theirs) this.compareDirty = true;
        break;
      case 'runs':
        if (mine) this.runDirty = true;
        if (theirs) this.compareDirty = true;
        this.candidatesDirty = true;
        break;
      case 'deleted':
      case 'cleared':
        if (mine) {
          this.missing = true;
          if (this.ready)
            this.deps.ui.post({ type: 'runMissing', runId: this.runId, message: 'This run was deleted from the Runlens database.' });
          return;
        }
        if (theirs) {
          this.compareRunId = null;
          if (this.ready) this.deps.ui.post({ type: 'compareData', compare: null });
        }
        this.candidatesDirty = true;
        break;
      default:
        return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.deps.batchMs ?? 100);
  }

  /** Send what changed since the last batch (public for tests). */
  flush(): void {
    if (this.disposed || !this.ready) {
      // The init message sent on `ready` will carry everything.
      this.pendingSpans.clear();
      return;
    }
    const run = this.deps.store.getRun(this.runId);
    if (!run) return;
    if (this.stream) {
      // Live changes wait until the chunks of the snapshot sent with init are all out, so
      // that an older copy of a span never overwrites a newer one.
      this.schedule();
      return;
    }
    if (this.missing) {
      // The run came back (re-imported): start over.
      this.sendInit();
      return;
    }
    const post = this.deps.ui.post;
    if (this.pendingSpans.size) {
      const spans = toSpanColumns([...this.pendingSpans.values()], run);
      this.pendingSpans.clear();
      post({ type: 'spansUpdated', run: toRunView(run), spans, asOfMs: asOfMs(run) });
      this.runDirty = false;
    } else if (this.runDirty) {
      post({ type: 'runUpdated', run: toRunView(run), asOfMs: asOfMs(run) });
      this.runDirty = false;
      this.deps.ui.setTitle(`Timeline: ${run.name}`);
    }
    if (this.compareDirty) {
      // Comparing re-reads both runs: at most once a second while spans stream in.
      const now = Date.now();
      if (now - this.lastCompareAt < 1000) this.schedule();
      else {
        this.compareDirty = false;
        this.lastCompareAt = now;
        if (this.compareRunId !== null) post({ type: 'compareData', compare: this.compareView() });
      }
    }
    if (this.candidatesDirty) {
      this.candidatesDirty = false;
      post({ type: 'candidates', runs: this.candidates(run) });
    }
  }

  dispose(): void {
    this.disposed = true;
    this.stopStream();
    if (this.prefetchTimer !== undefined) clearTimeout(this.prefetchTimer);
    this.prefetched = null;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.sub.dispose();
  }
}
