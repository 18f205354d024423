/**
 * The types of the store's public surface (re-exported by store.ts, where users import them
 * from): how a store is opened, what a write returns, what a change tells its listeners.
 */
import type { Span } from '../model';
import type { Limits } from '../limits';
import type { TraceStore } from './store';

export interface StoreOptions {
  /** Database file; undefined keeps everything in memory (tests, forwarding). */
  path?: string;
  /**
   * Keep at most this many runs (the finished ones received first go first). Given, it is
   * saved with the store, so every process writing to it (the CLI, other windows) applies
   * the same; not given, the saved value (default 200). Applied on writes only, never on open.
   */
  maxRuns?: number;
  /** Keep the database under about this many bytes; saved like maxRuns. Default 200 MB. */
  maxBytes?: number;
  /** String attribute values longer than this are truncated at ingest. Default 4096. */
  maxAttrLength?: number;
  /** Sizes of names, keys, counts… (src/core/limits.ts); `maxAttrLength` wins for attribute values. */
  limits?: Partial<Limits>;
  /** Rewrite the database file once the journal is this large. Default 32 MB. */
  snapshotJournalBytes?: number;
  /** Rewrite the database file after this long without writes. Default 5 s; 0 = never on idle. */
  snapshotIdleMs?: number;
  /** Where to report recoveries (corrupt file moved aside, torn journal). */
  log?: (message: string) => void;
  /** Read the file and journal as they are, without locking or writing (another process owns them). */
  readOnly?: boolean;
  /** Milliseconds now; tests inject a clock to check the settle rule without waiting. Default Date.now. */
  clock?: () => number;
  /**
   * When the database does not exist yet, create nothing (no folder, .gitignore, lock or
   * secret) until the first write: a window that only looks never touches the workspace.
   * The first write takes the files as open() would (a DatabaseLockedError if another
   * process holds them then). Reads see an empty store until then.
   */
  createOnFirstWrite?: boolean;
}

export interface SpanKey {
  traceId: string;
  spanId: string;
}

export interface ApplyResult {
  /** Spans not stored because their run is full (see Limits.spansPerRun). */
  rejected: number;
  rejectMessage?: string;
  /** Spans not stored because a span with the same ids belongs to another run (it is left as it was). */
  conflicts?: (SpanKey & { runId: string })[];
}

export interface ApplyOptions {
  /**
   * Acknowledge once journalled: the rows are written into the runs' databases shortly
   * after, off the caller's path, in order, and before any read or other write. Conflicts
   * (spans another run holds) are then not reported to the caller; they are kept out all the same.
   */
  defer?: boolean;
}

export interface StoreChange {
  type: 'runs' | 'spans' | 'output' | 'deleted' | 'cleared';
  runIds: string[];
  /** The spans written, for views that fold them in; absent: read the runs again (a big batch from another thread comes without). */
  spans?: Span[];
}

/** What the extension reads and writes: TraceStore's public surface, met by RemoteStore (remote.ts) too. */
export type Store = Pick<
  TraceStore,
  | 'path'
  | 'secret'
  | 'limits'
  | 'maxAttrLength'
  | 'warnings'
  | 'apply'
  | 'endRun'
  | 'appendOutput'
  | 'deleteRun'
  | 'clear'
  | 'listRuns'
  | 'getRun'
  | 'getSpans'
  | 'spanHeads'
  | 'getSpan'
  | 'spansByKey'
  | 'getOutput'
  | 'getLogs'
  | 'logSummary'
  | 'getMetrics'
  | 'runDigest'
  | 'runContext'
  | 'runOrigins'
  | 'runsWithSpanMatching'
  | 'query'
  | 'queryRun'
  | 'onChange'
  | 'sizeBytes'
  | 'snapshot'
  | 'sync'
  | 'close'
  | 'retention'
  | 'create'
  | 'created'
  | 'onDidCreate'
>;
