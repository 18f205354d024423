/**
 * The trace store: a small catalog database (runs, which runs hold which traces) and one
 * database per run (its spans, resources, output), each a sql.js SQLite database kept in
 * memory while in use, made durable by one append-only journal (see journal.ts) and written
 * out as files by atomic snapshots of what changed. A question about one run opens that run's
 * file only; listing runs reads the catalog only. All writers go through
 * `apply`/`endRun`/`appendOutput`/`deleteRun`/`clear`; all views read the query methods and
 * subscribe to `onChange`.
 *
 * TraceStore opens the files and wires its parts, each in a file of its own: writes.ts (the
 * writes and their backlog), apply.ts (journal records → rows), catalogRuns.ts +
 * spanWrites.ts (the rows themselves), reads.ts, digests.ts, snapshots.ts, retention.ts,
 * migrate.ts, runFiles.ts (the runs' databases), lock.ts; context.ts is what they share.
 */
import type { RunContext, RunOrigin } from '../context/types';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { SqlJsStatic } from 'sql.js';
import type { IngestBatch, Run, Span, SpanHead } from '../model';
import type { RunDigest } from '../digest';
import type { LogQuery, LogRecord, LogSummary, MetricSeries } from '../signals';
import { limitsWith, type Limits } from '../limits';
import { Applier } from './apply';
import { CatalogRuns } from './catalogRuns';
import { StoreContext } from './context';
import { Digests } from './digests';
import { Journal } from './journal';
import { acquireLock, makeFolder, releaseLock, writeSecret } from './lock';
import { loadCatalog, migrateCatalog } from './migrate';
import { Reader } from './reads';
import { Retention } from './retention';
import { SignalReader } from './signalReads';
import { exists, RunFiles, runsDirOf } from './runFiles';
import { Snapshots } from './snapshots';
import { Db, loadDatabase, loadSql, type Row } from './sqlite';
import type { ApplyOptions, ApplyResult, SpanKey, StoreChange, StoreOptions } from './types';
import { Writer } from './writes';

export type { ApplyOptions, ApplyResult, SpanKey, Store, StoreChange, StoreOptions } from './types';
export { DatabaseLockedError, describeLock, readLock, readStoreSecret, type LockInfo } from './lock';
export { runFileName, runsDirOf } from './runFiles';

export class TraceStore {
  private readonly ctx: StoreContext;
  /** The runs' databases (store-files.test.ts counts the open ones by this name). */
  private readonly runDbs: RunFiles;
  private readonly applier: Applier;
  private readonly reader: Reader;
  private readonly signals: SignalReader;
  private readonly writer: Writer;
  private readonly snapshots: Snapshots;
  private readonly digests: Digests;
  private readonly retentionRules: Retention;
  private readonly createdListeners = new Set<() => void>();
  readonly maxAttrLength: number;
  readonly limits: Limits;
  /** Messages about recoveries made while opening (corrupt file moved aside…). */
  readonly warnings: string[] = [];
  /** The secret local Runlens clients send to this store's collector (written next to the lock). */
  secret: string | undefined;

  private constructor(SQL: SqlJsStatic, catalog: Db, opts: StoreOptions, runsDir: string | undefined, readOnly = false) {
    this.limits = limitsWith({ ...opts.limits, attrValueLength: opts.maxAttrLength ?? opts.limits?.attrValueLength });
    this.maxAttrLength = this.limits.attrValueLength;
    this.runDbs = new RunFiles(SQL, runsDir, readOnly, (warning) => {
      this.warnings.push(warning);
      opts.log?.(warning);
    });
    this.ctx = new StoreContext(SQL, catalog, opts, this.runDbs, readOnly, this.limits, {
      born: () => this.born(),
      flush: () => this.writer.flush(),
      afterWrite: () => this.afterWrite(),
      enforceRetention: () => this.retentionRules.enforce(),
    });
    const runs = new CatalogRuns(this.ctx);
    this.applier = new Applier(this.ctx, runs);
    this.reader = new Reader(this.ctx);
    this.signals = new SignalReader(this.ctx);
    this.writer = new Writer(this.ctx, this.applier, runs, this.reader);
    this.snapshots = new Snapshots(this.ctx, this.writer);
    const source = {
      getRun: (id: string) => this.getRun(id),
      queryRun: (id: string, sql: string, params: (string | number | bigint | null)[]) => this.queryRun(id, sql, params),
      digestSpans: (id: string) => this.digestSpans(id),
    };
    this.digests = new Digests(this.ctx, source, this.snapshots);
    this.retentionRules = new Retention(this.ctx, this.applier, this.reader, this.snapshots);
  }

  get path(): string | undefined {
    return this.ctx.opts.path;
  }

  static async open(opts: StoreOptions = {}): Promise<TraceStore> {
    const SQL = await loadSql();
    if (!opts.path) {
      const store = new TraceStore(SQL, new Db(new SQL.Database()), opts, undefined);
      store.secret = randomBytes(32).toString('hex');
      migrateCatalog(store.ctx);
      return store;
    }
    const dbPath = path.resolve(opts.path);
    if (opts.readOnly) return TraceStore.openReadOnly(SQL, dbPath, opts);
    const store = new TraceStore(SQL, new Db(new SQL.Database()), { ...opts, path: dbPath }, runsDirOf(dbPath));
    if (opts.createOnFirstWrite && !exists(dbPath) && !exists(`${dbPath}.journal`)) {
      // Nothing on disk until something is written: reads see an empty store.
      store.ctx.unborn = true;
      store.secret = randomBytes(32).toString('hex');
      migrateCatalog(store.ctx);
      return store;
    }
    store.takeFiles(randomBytes(32).toString('hex'));
    return store;
  }

  /**
   * Take the database's files: the folder (and its .gitignore), the lock, the secret, the
   * catalog, the journal replayed. On failure the lock is released and the error thrown.
   */
  private takeFiles(secret: string): void {
    const ctx = this.ctx;
    const dbPath = ctx.opts.path!;
    makeFolder(dbPath);
    acquireLock(dbPath);
    try {
      this.secret = writeSecret(dbPath, secret);
      loadCatalog(ctx, dbPath, (warnings) => this.warnings.push(...warnings));
      ctx.journal = new Journal(`${dbPath}.journal`);
      ctx.catalogSeq = ctx.seq = Number(ctx.catalog.meta('journal_seq') ?? '0');
      const lost = this.applier.replayJournal(ctx.journal.replay());
      if (lost) this.warnings.push(lost);
      this.runDbs.removeStray(() => ctx.catalog.all('SELECT id FROM runs').map((r) => String(r.id)));
      this.retentionRules.save();
      this.closeOrphans();
      if (lost) this.snapshot(); // the journal starts over: its damage is reported once, kept aside
      this.digests.schedule();
    } catch (err) {
      ctx.journal?.close();
      ctx.journal = undefined;
      releaseLock(dbPath);
      throw err;
    }
    for (const w of this.warnings) ctx.opts.log?.(w);
  }

  /** Whether the store has its files (see StoreOptions.createOnFirstWrite). */
  get created(): boolean {
    return !this.ctx.unborn;
  }

  /** Called once when a store opened with createOnFirstWrite takes its files (its first write). */
  onDidCreate(listener: () => void): { dispose(): void } {
    this.createdListeners.add(listener);
    return { dispose: () => this.createdListeners.delete(listener) };
  }

  /**
   * A store opened with createOnFirstWrite takes its files now, without writing anything
   * (a window that sees another process has made the database and let it go). Throws
   * DatabaseLockedError while another process holds it. Nothing to do once created.
   */
  create(): void {
    this.born();
  }

  /** Before a write: a store with no files yet takes them now (another process may have made them meanwhile). */
  private born(): void {
    if (!this.ctx.unborn || this.ctx.closed) return;
    this.takeFiles(this.secret ?? randomBytes(32).toString('hex'));
    this.ctx.unborn = false;
    for (const l of [...this.createdListeners]) l();
    this.ctx.emit({ type: 'runs', runIds: this.listRuns().map((r) => r.id) });
  }

  private static openReadOnly(SQL: SqlJsStatic, dbPath: string, opts: StoreOptions): TraceStore {
    const warnings: string[] = [];
    const catalog = new Db(loadDatabase(SQL, dbPath, warnings, true));
    const store = new TraceStore(SQL, catalog, { ...opts, path: undefined }, runsDirOf(dbPath), true);
    const ctx = store.ctx;
    store.warnings.push(...warnings);
    migrateCatalog(ctx);
    ctx.catalogSeq = ctx.seq = Number(ctx.catalog.meta('journal_seq') ?? '0');
    const lost = store.applier.replayJournal(new Journal(`${dbPath}.journal`).replay(true));
    if (lost) store.warnings.push(lost);
    return store;
  }

  // ------------------------------------------------------------------ writes (writes.ts)

  /** Upsert runs and spans. Durable (journalled) when it returns; see ApplyOptions.defer. */
  apply(batch: IngestBatch, options: ApplyOptions = {}): ApplyResult {
    return this.writer.apply(batch, options);
  }

  /**
   * A run's process ended: its still-open spans become INCOMPLETE, its status is settled.
   * `cancelled`: the user stopped it (CANCELLED). `incomplete`: why the run ended without its
   * process saying so (INCOMPLETE, the reason kept in `runlens.incomplete_reason`).
   */
  endRun(runId: string, exit: { exitCode?: number; signal?: string; endNs?: bigint; cancelled?: boolean; incomplete?: string }): Run {
    return this.writer.endRun(runId, exit);
  }

  /**
   * Plain output lines of a run (not span data), kept up to a cap per run. `start`: the line
   * number of the first line (a writer that sends its run's output again after a hand-over
   * rewrites the same lines, never appends them twice). Default: after the last.
   */
  appendOutput(runId: string, stream: 'stdout' | 'stderr', lines: string[], start?: number): void {
    this.writer.appendOutput(runId, stream, lines, start);
  }

  deleteRun(runId: string): void {
    this.writer.deleteRun(runId);
  }

  clear(): void {
    this.writer.clear();
  }

  /**
   * Attached (OTLP) runs still waiting for a parent span that has sent nothing for `idleMs`
   * are taken as finished: the parent lives in a process that does not export here (a
   * remote parent) or never will. Their status then comes from their spans. Returns the runs
   * settled; called periodically by the collector.
   */
  settleIdle(idleMs: number, now = this.ctx.now()): string[] {
    return this.writer.settleIdle(idleMs, now);
  }

  /**
   * Runs still RUNNING whose recording process (`owner`: pid + start time on this host) is
   * gone are closed INCOMPLETE, with the reason: nothing stays RUNNING without a live owner.
   * Called on open and periodically by the collector. Returns the runs closed.
   */
  closeOrphans(): string[] {
    return this.writer.closeOrphans();
  }

  /** After a write: idle run databases closed, digests wait for the writes to stop, the files rewritten when due. */
  private afterWrite(): void {
    this.runDbs.trim();
    this.digests.afterWrite();
    if (this.snapshots.journalFull()) this.snapshotInBackground();
    else this.snapshots.schedule();
  }

  // ------------------------------------------------------------------ reads (reads.ts, digests.ts)

  listRuns(opts: { limit?: number; workflow?: string; status?: string } = {}): Run[] {
    return this.reader.listRuns(opts);
  }

  /** By id, unique id prefix, or `last` (the newest run). */
  getRun(idOrPrefix: string): Run | undefined {
    return this.reader.getRun(idOrPrefix);
  }

  getSpans(runId: string): Span[] {
    return this.reader.getSpans(runId);
  }

  /**
   * A run's spans without attributes, events, resource (a narrow read for drawing many
   * spans: the timeline, the tree); events are decoded only for failed spans, for `error`.
   */
  spanHeads(runId: string): SpanHead[] {
    return this.reader.spanHeads(runId);
  }

  getSpan(runId: string, spanId: string): Span | undefined {
    return this.reader.getSpan(runId, spanId);
  }

  /** The stored spans with these (trace id, span id) keys, whatever their run. */
  spansByKey(keys: readonly SpanKey[]): Span[] {
    return this.reader.spansByKey(keys);
  }

  runContext(runId: string): RunContext | undefined {
    return this.reader.runContext(runId);
  }

  /** A run's output lines in order, from line number `from` on. */
  /** Who and where each run was recorded, for runs whose context names it. */
  runOrigins(): Map<string, RunOrigin> {
    return this.reader.runOrigins();
  }

  getOutput(runId: string, from = 0): { stream: string; text: string; seq: number }[] {
    return this.reader.getOutput(runId, from);
  }

  /** A run's log records in time order (at most 10 000; page with `from`), by span and least severity. */
  getLogs(runId: string, query?: LogQuery): LogRecord[] {
    return this.signals.getLogs(runId, query);
  }

  /** How many log records a run has, how many are errors, and per span the count and worst severity. */
  logSummary(runId: string): LogSummary {
    return this.signals.logSummary(runId);
  }

  /** A run's metric series with their points in time order (bounded: 500 series, each its latest 2 000 points). */
  getMetrics(runId: string): MetricSeries[] {
    return this.signals.getMetrics(runId);
  }

  /**
   * A run's digest (see digest.ts): kept in the catalog for a finished run, so the editor's
   * lenses, Problems and the tree's filter never read every run's spans; computed from the
   * run's spans when missing or stale (and then kept, by a writer).
   */
  runDigest(runId: string, opts: { ifReady?: boolean } = {}): RunDigest | undefined {
    return this.digests.runDigest(runId, opts);
  }

  /** A run's spans as a digest reads them (the spans digests are made from; store-files.test.ts compares them by this name). */
  private digestSpans(runId: string): Span[] {
    return this.reader.digestSpans(runId);
  }

  /**
   * Someone is asking questions (a window's views, through the store's thread): background
   * work (digests) waits until they have been quiet for a moment, so each question is not
   * answered only after another run's digest.
   */
  yieldToReaders(ms = 300): void {
    this.digests.yieldToReaders(ms);
  }

  /** Runs with a span whose name contains `text` (case-insensitive), from their digests. */
  runsWithSpanMatching(text: string): Set<string> {
    return this.digests.runsWithSpanMatching(text);
  }

  /** Raw SQL on the catalog (runs, run_traces, meta) for tools and tests (read-only use expected). */
  query(sql: string, params: (string | number | bigint | null)[] = []): Row[] {
    return this.reader.query(sql, params);
  }

  /** Raw SQL on one run's database (spans, resources, output); no rows when the run has none. */
  queryRun(runId: string, sql: string, params: (string | number | bigint | null)[] = []): Row[] {
    return this.reader.queryRun(runId, sql, params);
  }

  onChange(listener: (c: StoreChange) => void): { dispose(): void } {
    this.ctx.listeners.add(listener);
    return { dispose: () => this.ctx.listeners.delete(listener) };
  }

  /** Approximate size of everything the store holds, in bytes: the catalog and every run's database. */
  sizeBytes(): number {
    return this.reader.sizeBytes();
  }

  /** The retention this store applies: saved with it by whoever configured it, else the defaults. */
  retention(): { maxRuns: number; maxBytes: number } {
    return this.retentionRules.get();
  }

  // ------------------------------------------------------------------ persistence (snapshots.ts)

  /**
   * Write every changed database now (each atomically: the runs' first, then the catalog)
   * and start the journal over. Unchanged runs' files are not touched: the cost is what
   * changed, not what the store holds.
   */
  snapshot(): void {
    this.snapshots.snapshot();
  }

  /** A snapshot that does not block (see Snapshots.inBackground; store-files.test.ts calls it by this name). */
  private snapshotInBackground(): void {
    this.snapshots.inBackground();
  }

  /** The background snapshot being written, if any (store-files.test.ts awaits it by this name). */
  private get writing(): Promise<void> | undefined {
    return this.snapshots.writing;
  }

  /** fsync the journal: acknowledged data then survives power loss too, not only kill -9. */
  sync(): void {
    this.snapshots.sync();
  }

  async close(): Promise<void> {
    const ctx = this.ctx;
    if (ctx.closed) return;
    await this.writing?.catch(() => undefined);
    if (ctx.closed) return;
    this.writer.flush();
    ctx.closed = true;
    try {
      if (this.snapshots.unwritten()) this.snapshot();
    } finally {
      this.snapshots.stop();
      this.digests.stop();
      this.writer.stop();
      ctx.journal?.close();
      this.runDbs.closeAll();
      ctx.catalog.close();
      if (ctx.opts.path && !ctx.unborn) releaseLock(ctx.opts.path);
      ctx.listeners.clear();
    }
  }
}
