/** What a timeline session (session.ts, sessionFeed.ts) needs from outside: the store, a log, the VS Code adapter, options. */
import type { CompareOptions } from '../../core/compare';
import type { Run, Span } from '../../core/model';
import type { StoreChange } from '../../core/store/store';
import type { HostMessage } from '../../shared/protocol';
import type { SignalReads } from './signals';
import type { SourceLike, TimelineSpanHead } from './views';

/** The parts of TraceStore a timeline reads (its logs and metrics: SignalReads). */
export interface TimelineStore extends SignalReads {
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
