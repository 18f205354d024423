/**
 * What the parts of one TraceStore share (made by it, handed to each part): the catalog,
 * the pool of run databases, where the journal stands, the store's life (closed, read-only,
 * not created yet), its listeners, and the few calls one part makes into another made after it.
 */
import type { SqlJsStatic } from 'sql.js';
import type { Limits } from '../limits';
import type { Journal } from './journal';
import type { RunFiles } from './runFiles';
import type { Db } from './sqlite';
import type { StoreChange, StoreOptions } from './types';

/** (trace id → runs holding its spans) entries remembered before starting over. */
const TRACE_CACHE = 100_000;

/** Calls across the store's parts, wired by TraceStore. */
interface StoreHooks {
  /** Before a write: a store with no files yet takes them now (see StoreOptions.createOnFirstWrite). */
  born(): void;
  /** Write journalled rows still waiting (before a read or another write: everything reads as journalled, in order). */
  flush(): void;
  /** After a write: idle run databases closed, digests and snapshots scheduled. */
  afterWrite(): void;
  /** Delete the finished runs beyond the retention. */
  enforceRetention(): void;
}

export class StoreContext {
  readonly listeners = new Set<(c: StoreChange) => void>();
  journal: Journal | undefined;
  /** The last journal record written (or replayed). */
  seq = 0;
  /** Journal records up to this one are in the catalog file: replay applies their catalog part only after it. */
  catalogSeq = 0;
  closed = false;
  /** Opened with createOnFirstWrite and nothing written yet: no file, no lock (see TraceStore.born). */
  unborn = false;
  /** The catalog changed without a journal record (digests): written at the next snapshot or close. */
  catalogDirty = false;
  /** Size of the catalog file as last written. */
  catalogBytes = 0;
  private readonly traceRuns = new Map<string, Set<string>>();

  constructor(
    readonly SQL: SqlJsStatic,
    public catalog: Db,
    readonly opts: StoreOptions,
    readonly files: RunFiles,
    readonly readOnly: boolean,
    readonly limits: Limits,
    readonly hooks: StoreHooks,
  ) {}

  /** Milliseconds now (StoreOptions.clock). */
  now(): number {
    return this.opts.clock ? this.opts.clock() : Date.now();
  }

  emit(change: StoreChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (err) {
        this.opts.log?.(`store listener failed: ${(err as Error).stack ?? err}`);
      }
    }
  }

  runExists(id: string): boolean {
    return this.catalog.all('SELECT 1 AS x FROM runs WHERE id = ?', [id]).length > 0;
  }

  /** The runs holding spans of a trace. */
  runsOfTrace(traceId: string): Set<string> {
    let runs = this.traceRuns.get(traceId);
    if (!runs) {
      if (this.traceRuns.size >= TRACE_CACHE) this.traceRuns.clear();
      runs = new Set(this.catalog.all('SELECT run_id FROM run_traces WHERE trace_id = ?', [traceId]).map((r) => String(r.run_id)));
      this.traceRuns.set(traceId, runs);
    }
    return runs;
  }

  /** Runs deleted, or a record rolled back: what runsOfTrace remembers may be wrong. */
  forgetTraces(): void {
    this.traceRuns.clear();
  }
}
