/**
 * What a timeline session sends the webview of its own accord, without `vscode`: the run
 * when the webview says `ready` (read ahead while the page loads; the first screenful in
 * `init`, the rest in chunks after it), then the store's live changes in ~100 ms batches
 * (spans, the run, the comparison at most once a second, the runs to compare with). What
 * the webview asks for is answered by the session (session.ts).
 */
import { compareRuns } from '../../core/compare';
import type { Run, Span } from '../../core/model';
import type { StoreChange } from '../../core/store/store';
import { CHUNK_ROWS, displayOrder, firstMessageSize, sameWorkflowFirst } from './order';
import type { SessionDeps } from './sessionPorts';
import { runSignals } from './signals';
import { asOfMs, toCompareView, toRunChoice, toRunView, toSpanColumns, type TimelineSpanHead } from './views';

const CANDIDATES = 25;

/** What the feed reads of the session it sends for. */
export interface FeedOwner {
  /** Whether the webview said `ready` (and has not gone away since). */
  isReady(): boolean;
  /** The run compared with, or null. */
  compareRunId(): string | null;
  /** The compared run was deleted: stop comparing. */
  dropCompare(): void;
  /** The span `init` selects: a reveal still waiting, else the selection (the reveal is then done). */
  takeSelection(): string | null;
}

export class SessionFeed {
  private readonly pendingSpans = new Map<string, Span>();
  private runDirty = false;
  private compareDirty = false;
  private candidatesDirty = false;
  /** The run's logs or metrics may have changed: send its signals again (at most once a second). */
  private signalsDirty = false;
  private lastSignalsAt = 0;
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
    private readonly runId: string,
    private readonly owner: FeedOwner,
  ) {
    this.sub = deps.store.onChange((c) => this.onStoreChange(c));
    const run = deps.store.getRun(runId);
    if (run) deps.ui.setTitle(`Timeline: ${run.name}`);
    // The webview takes hundreds of ms to load and say `ready`: read the run meanwhile (a
    // moment after the panel and its HTML went out), so that `init` leaves at once.
    if (run) this.prefetchTimer = setTimeout(() => this.prefetch(), deps.prefetchDelayMs ?? 30);
  }

  private prefetch(): void {
    this.prefetchTimer = undefined;
    if (this.disposed || this.owner.isReady() || this.missing) return;
    if (!this.deps.store.getRun(this.runId)) return;
    this.prefetched = displayOrder(this.deps.store.spanHeads(this.runId));
  }

  /** The comparison as the webview shows it, or null when there is none (or a run is gone). */
  private compareView() {
    const compareRunId = this.owner.compareRunId();
    if (compareRunId === null) return null;
    const a = this.deps.store.getRun(compareRunId);
    const b = this.deps.store.getRun(this.runId);
    if (!a || !b) return null;
    const aSpans = this.deps.store.getSpans(a.id);
    const cmp = compareRuns({ run: a, spans: aSpans }, { run: b, spans: this.deps.store.getSpans(b.id) }, this.deps.compareOptions);
    return toCompareView(cmp, a, aSpans);
  }

  /** Send the comparison now (the user chose or left one). */
  postCompare(): void {
    this.lastCompareAt = Date.now();
    this.deps.ui.post({ type: 'compareData', compare: this.compareView() });
  }

  private candidates(run: Run) {
    const runs = this.deps.store.listRuns({ limit: 100 }).filter((r) => r.id !== this.runId);
    return sameWorkflowFirst(runs, run).slice(0, CANDIDATES).map(toRunChoice);
  }

  /** The webview said `ready`: send the run (or say it is missing). */
  sendInit(): void {
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
    const first = firstMessageSize(spans.length);
    const selectSpanId = this.owner.takeSelection();
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
    this.postSignals(run);
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
      if (this.stream !== st || this.disposed || !this.owner.isReady()) return;
      const end = Math.min(st.at + CHUNK_ROWS, st.spans.length);
      const spans = toSpanColumns(st.spans.slice(st.at, end), st.run);
      st.at = end;
      if (end >= st.spans.length) this.stream = null;
      this.deps.ui.post({ type: 'spansLoaded', spans, pending: st.spans.length - end });
      if (this.stream) this.nextChunk();
      else this.schedule();
    }, 0);
  }

  /** Stop sending the rest of the run (the webview went away, or `init` starts over). */
  stopStream(): void {
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
    const compareRunId = this.owner.compareRunId();
    const theirs = compareRunId !== null && c.runIds.includes(compareRunId);
    switch (c.type) {
      case 'spans':
        if (mine) {
          if (c.spans) {
            for (const s of c.spans) if (s.runId === this.runId) this.pendingSpans.set(s.spanId, s);
          } else this.runDirty = true;
          if (compareRunId !== null) this.compareDirty = true;
        }
        if (theirs) this.compareDirty = true;
        break;
      case 'runs':
        // Log records and metric points arrive as a change of their run.
        if (mine) this.runDirty = this.signalsDirty = true;
        if (theirs) this.compareDirty = true;
        this.candidatesDirty = true;
        break;
      case 'deleted':
      case 'cleared':
        if (mine) {
          this.missing = true;
          if (this.owner.isReady())
            this.deps.ui.post({ type: 'runMissing', runId: this.runId, message: 'This run was deleted from the Runlens database.' });
          return;
        }
        if (theirs) {
          this.owner.dropCompare();
          if (this.owner.isReady()) this.deps.ui.post({ type: 'compareData', compare: null });
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

  /** Send what changed since the last batch. */
  flush(): void {
    if (this.disposed || !this.owner.isReady()) {
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
        if (this.owner.compareRunId() !== null) post({ type: 'compareData', compare: this.compareView() });
      }
    }
    if (this.signalsDirty) {
      if (Date.now() - this.lastSignalsAt < 1000) this.schedule();
      else this.postSignals(run);
    }
    if (this.candidatesDirty) {
      this.candidatesDirty = false;
      post({ type: 'candidates', runs: this.candidates(run) });
    }
  }

  /** The run's log marks and metric series (read from the store's summaries, not every record). */
  private postSignals(run: Run): void {
    this.signalsDirty = false;
    this.lastSignalsAt = Date.now();
    this.deps.ui.post({ type: 'signals', runId: run.id, signals: runSignals(this.deps.store, run) });
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
