/**
 * The trace store: a small catalog database (runs, which runs hold which traces) and one
 * database per run (its spans, resources, output), each a sql.js SQLite database kept in
 * memory while in use, made durable by one append-only journal (see journal.ts) and written
 * out as files by atomic snapshots of what changed. A question about one run opens that run's
 * file only; listing runs reads the catalog only. All writers go through
 * `apply`/`endRun`/`appendOutput`/`deleteRun`/`clear`; all views read the query methods and
 * subscribe to `onChange`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import type { SqlJsStatic } from 'sql.js';
import type { Attributes, IngestBatch, Run, RunPatch, Span, SpanEvent, SpanHead } from '../model';
import { deriveRunStatus, errorSummary, nowNs } from '../model';
import { Journal, type JournalRecord } from './journal';
import { MIGRATIONS, RUN_MIGRATIONS } from './schema';
import { Db, loadDatabase, loadSql, writeFileAtomic, writeFileDurable, type Row } from './sqlite';
import { decode, encode, encodeData } from './codec';
import { boundRun, boundSpan, limitsWith, type Limits } from '../limits';
import { isProcessAlive } from '../processes';
import { DIGEST_VERSION, digestRun, type RunDigest } from '../digest';
import { DEFAULT_MAX_RUNS, DEFAULT_MAX_SIZE_MB } from '../../shared/defaults';

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

export class DatabaseLockedError extends Error {
  constructor(
    readonly dbPath: string,
    readonly owner: LockInfo,
  ) {
    super(
      `${dbPath} is in use by process ${owner.pid}${owner.what ? ` (${owner.what})` : ''}` +
        `${owner.endpoint ? `, collecting at ${owner.endpoint}` : ''}. Close it or pass another database path.`,
    );
  }
}

export interface LockInfo {
  pid: number;
  /** The worker thread of `pid` holding it (a window's store runs on a thread of its own); absent: the main thread. */
  thread?: number;
  what?: string;
  endpoint?: string;
}

const MAX_OUTPUT_LINES = 5000;
const MAX_OUTPUT_LINE = 4096;
const openPaths = new Set<string>();

interface RunCounts {
  spans: number;
  errors: number;
  running: number;
  /** Earliest start and latest end of the batch's spans, as decimal ns. */
  first?: string;
  last?: string;
  /** The batch's rows of this run (attached runs track missing parents from them). */
  rows?: SpanRow[];
}
const emptyCounts = (): RunCounts => ({ spans: 0, errors: 0, running: 0 });
function countStatus(c: RunCounts, status: string, sign: 1 | -1): void {
  if (status === 'ERROR' || status === 'INCOMPLETE') c.errors += sign;
  else if (status === 'RUNNING') c.running += sign;
}
/**
 * A span as the parameters of INSERT_SPAN (column order). Times are decimal strings (what
 * sql.js binds a bigint as anyway); `resource` is an index into the batch's resources until
 * the row is written, then the resources row id.
 */
type SpanRow = [
  traceId: string,
  spanId: string,
  runId: string,
  parentSpanId: string | null,
  name: string,
  kind: number,
  startNs: string,
  endNs: string | null,
  status: string,
  statusMessage: string | null,
  statusLabel: string | null,
  attributes: string,
  events: string,
  truncated: string | null,
  resource: number | null,
  scopeName: string | null,
  scopeVersion: string | null,
];
const R = {
  traceId: 0,
  spanId: 1,
  runId: 2,
  parent: 3,
  startNs: 6,
  endNs: 7,
  status: 8,
  attributes: 11,
  events: 12,
  truncated: 13,
  resource: 14,
} as const;

const SPAN_COLUMNS = `trace_id, span_id, run_id, parent_span_id, name, kind, start_ns, end_ns, status, status_message,
         status_label, attributes, events, truncated, resource_id, scope_name, scope_version`;
const INSERT_SPAN_IF_NEW = `INSERT INTO spans (${SPAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (trace_id, span_id) DO NOTHING`;
/** Spans per multi-row INSERT: fewer statement calls (bind/step/reset) per span. */
const INSERT_CHUNK = 64;
// Attributes and events are bound as their UTF-8 bytes and cast back to TEXT (the same
// value): sql.js copies bytes in one go but encodes a string in a JavaScript loop, ~6 µs
// for a span's typical 400-character attributes.
const INSERT_SPANS_IF_NEW = `INSERT INTO spans (${SPAN_COLUMNS}) VALUES ${Array(INSERT_CHUNK)
  .fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), CAST(? AS TEXT), ?, ?, ?, ?)')
  .join(', ')}
       ON CONFLICT (trace_id, span_id) DO NOTHING`;
const UPSERT_SPAN = `INSERT INTO spans (${SPAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (trace_id, span_id) DO UPDATE SET
         run_id = excluded.run_id, parent_span_id = excluded.parent_span_id, name = excluded.name, kind = excluded.kind,
         start_ns = excluded.start_ns, end_ns = excluded.end_ns, status = excluded.status,
         status_message = excluded.status_message, status_label = excluded.status_label,
         attributes = excluded.attributes, events = excluded.events, truncated = excluded.truncated,
         resource_id = excluded.resource_id, scope_name = excluded.scope_name, scope_version = excluded.scope_version`;

function spanRow(s: Span, resource: number | null): SpanRow {
  return [
    s.traceId,
    s.spanId,
    s.runId,
    s.parentSpanId ?? null,
    s.name,
    s.kind,
    s.startNs.toString(),
    s.endNs === undefined ? null : s.endNs.toString(),
    s.status,
    s.statusMessage ?? null,
    s.statusLabel ?? null,
    JSON.stringify(s.attributes),
    s.events.length ? encode(s.events) : '[]',
    s.truncated && Object.keys(s.truncated).length ? JSON.stringify(s.truncated) : null,
    resource,
    s.scope?.name ?? null,
    s.scope?.version ?? null,
  ];
}

/**
 * A row in the journal: the scalar columns as a JSON array, then attributes, events and
 * truncated spliced in as the JSON they already are (not serialised a second time).
 */
function journalRow(row: SpanRow): string {
  const scalars = JSON.stringify([
    row[0],
    row[1],
    row[2],
    row[3],
    row[4],
    row[5],
    row[6],
    row[7],
    row[8],
    row[9],
    row[10],
    row[14],
    row[15],
    row[16],
  ]);
  return `${scalars.slice(0, -1)},${journalData(row[11])},${row[12]},${row[13] === null ? 'null' : journalData(row[13])}]`;
}

/** Plain JSON of data (the SQL column) as the journal must hold it: keys starting with U+0000 escaped (see codec). */
const journalData = (json: string): string => (json.includes('"\\u0000') ? encodeData(JSON.parse(json)) : json);

/** A journalled `apply` record → the rows `applyRecord` writes (also reads the older per-span form). */
function fromJournal(rec: JournalRecord): JournalRecord {
  if (rec.op !== 'apply') return rec;
  if (Array.isArray(rec.rows)) {
    const rows = (rec.rows as unknown[][]).map((j): SpanRow => [
      j[0] as string,
      j[1] as string,
      j[2] as string,
      j[3] as string | null,
      j[4] as string,
      j[5] as number,
      j[6] as string,
      j[7] as string | null,
      j[8] as string,
      j[9] as string | null,
      j[10] as string | null,
      JSON.stringify(j[14]),
      (j[15] as unknown[]).length ? encode(j[15]) : '[]',
      j[16] === null ? null : JSON.stringify(j[16]),
      j[11] as number | null,
      j[12] as string | null,
      j[13] as string | null,
    ]);
    return { ...rec, resources: rec.resources ?? [], rows };
  }
  // Journals written before rows: whole spans, each with its resource.
  const resources: string[] = [];
  const index = new Map<string, number>();
  const rows = ((rec.spans ?? []) as Span[]).map((s) => {
    let res: number | null = null;
    if (s.resource) {
      const json = JSON.stringify(s.resource);
      res = index.get(json) ?? null;
      if (res === null) index.set(json, (res = resources.push(json) - 1));
    }
    return spanRow(s, res);
  });
  return { ...rec, resources, rows };
}

/** a < b for non-negative decimal integers without leading zeros. */
const decLess = (a: string, b: string): boolean => (a.length !== b.length ? a.length < b.length : a < b);

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
  | 'runDigest'
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

/** A run's own database: its file (absent in memory), the journal record it holds up to. */
interface RunDb {
  readonly runId: string;
  readonly db: Db;
  /** Undefined: kept in memory only (an in-memory store). */
  readonly file: string | undefined;
  /** Journal records up to this one are in the file (its meta `journal_seq`): replay skips them here. */
  seq: number;
  /** Changed since it was last written; never closed until written (or, read-only, ever). */
  dirty: boolean;
  /** The operation that used it last (eviction keeps those of the current one). */
  usedAt: number;
  readonly resourceIds: Map<string, number>;
}

/** Journalled spans waiting for their rows before a write waits for them (bounds the backlog's memory). */
const MAX_BACKLOG_SPANS = 100_000;
/** Quiet time after the last write before background digests start. */
const DIGEST_AFTER_WRITES_MS = 3000;
/** Spans per journal record of a deferred apply (about a slice's work to write). */
const DEFER_RECORD_SPANS = 1000;
/** Time one turn of the event loop spends writing backlog rows before it yields. */
const BACKLOG_SLICE_MS = 20;

/** A journalled apply whose rows are not written yet. */
interface Pending {
  rec: JournalRecord;
  spans: Span[];
  created: boolean;
}

/** Run databases kept open when not in use (the newest used). Changed ones stay until written. */
const OPEN_RUN_DBS = 4;
/** (trace id → runs holding its spans) entries remembered before starting over. */
const TRACE_CACHE = 100_000;

/** `<catalog>.runs/`: where a store's per-run database files live. */
export const runsDirOf = (dbPath: string): string => `${dbPath}.runs`;
/** A run's database file name: its id hashed (run ids come from clients: never a path). */
export const runFileName = (runId: string): string => `${createHash('sha256').update(runId).digest('hex').slice(0, 32)}.db`;

export class TraceStore {
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private journal: Journal | undefined;
  private seq = 0;
  /** Journal records up to this one are in the catalog file: replay applies their catalog part only after it. */
  private catalogSeq = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readOnly = false;
  private readonly runDbs = new Map<string, RunDb>();
  private readonly traceRuns = new Map<string, Set<string>>();
  private readonly fileBytes = new Map<string, number>();
  private readonly outputSeq = new Map<string, number>();
  /** Attached runs: when spans last arrived, and those taken as finished despite a missing parent. */
  private readonly lastTouched = new Map<string, number>();
  private readonly settled = new Set<string>();
  private readonly pending = new Map<string, Set<string>>();
  private readonly openedAt: number;
  /** Spans of the record being applied that belong to another run already (see withoutConflicts). */
  private conflicts: (SpanKey & { runId: string })[] = [];
  /** Databases inside the record being applied (each holds a savepoint: the record is all or nothing). */
  private recordDbs: Set<Db> | undefined;
  /** Databases inside the backlog slice being written (one commit per slice, not per record). */
  private sliceDbs: Set<Db> | undefined;
  private readonly backlog: Pending[] = [];
  private backlogSpans = 0;
  private backlogTimer: NodeJS.Immediate | undefined;
  private flushing = false;
  /** Per run, spans journalled and not yet counted in the catalog (the room left in a run). */
  private readonly backlogPerRun = new Map<string, number>();
  /** While replaying: runs whose rows were replayed (their counts are recomputed from their file). */
  private replayTouched: Set<string> | undefined;
  private op = 0;
  /** Size of the catalog file as last written. */
  private catalogBytes = 0;
  private largestDirtyBytes = 0;
  private digestTimer: NodeJS.Timeout | undefined;
  private readersUntil = 0;
  /** Opened with createOnFirstWrite and nothing written yet: no file, no lock (see born()). */
  private unborn = false;
  private readonly createdListeners = new Set<() => void>();
  /** The catalog changed without a journal record (digests): written at the next snapshot or close. */
  private catalogDirty = false;
  /** A snapshot being written in the background, and the runs whose files it writes. */
  private writing: Promise<void> | undefined;
  private readonly writingRuns = new Set<string>();
  /** Bumped by every snapshot: a background write renames its files into place only while still the latest. */
  private generation = 0;
  readonly maxAttrLength: number;
  readonly limits: Limits;
  /** Messages about recoveries made while opening (corrupt file moved aside…). */
  readonly warnings: string[] = [];

  private constructor(
    private readonly SQL: SqlJsStatic,
    private catalog: Db,
    private readonly opts: StoreOptions,
    private readonly runsDir: string | undefined,
  ) {
    this.limits = limitsWith({ ...opts.limits, attrValueLength: opts.maxAttrLength ?? opts.limits?.attrValueLength });
    this.maxAttrLength = this.limits.attrValueLength;
    this.openedAt = this.now();
  }

  private now(): number {
    return this.opts.clock ? this.opts.clock() : Date.now();
  }

  get path(): string | undefined {
    return this.opts.path;
  }

  /** The secret local Runlens clients send to this store's collector (written next to the lock). */
  secret: string | undefined;

  static async open(opts: StoreOptions = {}): Promise<TraceStore> {
    const SQL = await loadSql();
    if (!opts.path) {
      const store = new TraceStore(SQL, new Db(new SQL.Database()), opts, undefined);
      store.secret = randomBytes(32).toString('hex');
      store.migrate();
      return store;
    }
    const dbPath = path.resolve(opts.path);
    if (opts.readOnly) return TraceStore.openReadOnly(SQL, dbPath, opts);
    const store = new TraceStore(SQL, new Db(new SQL.Database()), { ...opts, path: dbPath }, runsDirOf(dbPath));
    if (opts.createOnFirstWrite && !exists(dbPath) && !exists(`${dbPath}.journal`)) {
      // Nothing on disk until something is written: reads see an empty store.
      store.unborn = true;
      store.secret = randomBytes(32).toString('hex');
      store.migrate();
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
    const dbPath = this.opts.path!;
    const dir = path.dirname(dbPath);
    fs.mkdirSync(dir, { recursive: true });
    const ignore = path.join(dir, '.gitignore');
    if (path.basename(dir) === '.runlens' && !fs.existsSync(ignore))
      fs.writeFileSync(ignore, '# Runlens trace database: local data, not source.\n*\n');
    acquireLock(dbPath);
    const warnings: string[] = [];
    try {
      this.secret = writeSecret(dbPath, secret);
      this.catalog.close();
      this.catalog = new Db(loadDatabase(this.SQL, dbPath, warnings));
      this.warnings.push(...warnings);
      try {
        this.catalogBytes = fs.statSync(dbPath).size;
      } catch {
        /* a new database */
      }
      const from = this.catalog.version();
      if (this.migrate() || from < 3) {
        // The spans now live in the runs' files: the catalog is written at once, without them.
        this.catalog.exec('VACUUM');
        const data = this.catalog.export();
        writeFileAtomic(dbPath, data);
        this.catalogBytes = data.length;
      }
      this.journal = new Journal(`${dbPath}.journal`);
      this.catalogSeq = this.seq = Number(this.catalog.meta('journal_seq') ?? '0');
      const replay = this.journal.replay();
      const skipped = this.replay(replay.records);
      const lost = replay.unreadable + skipped.length;
      if (lost) {
        const details = [replay.problem, ...skipped.slice(0, 3)].filter(Boolean).join('; ');
        this.warnings.push(
          `${lost} journal record${lost === 1 ? '' : 's'} unreadable or unusable, skipped; every other record was kept (${details})`,
        );
      }
      this.removeStrayRunFiles();
      this.saveRetention();
      this.closeOrphans();
      if (lost) this.snapshot(); // the journal starts over: its damage is reported once, kept aside
      this.scheduleDigests();
    } catch (err) {
      this.journal?.close();
      this.journal = undefined;
      releaseLock(dbPath);
      throw err;
    }
    for (const w of this.warnings) this.opts.log?.(w);
  }

  /** Whether the store has its files (see StoreOptions.createOnFirstWrite). */
  get created(): boolean {
    return !this.unborn;
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
    if (!this.unborn || this.closed) return;
    this.takeFiles(this.secret ?? randomBytes(32).toString('hex'));
    this.unborn = false;
    for (const l of [...this.createdListeners]) l();
    this.emit({ type: 'runs', runIds: this.listRuns().map((r) => r.id) });
  }

  private static openReadOnly(SQL: SqlJsStatic, dbPath: string, opts: StoreOptions): TraceStore {
    const warnings: string[] = [];
    const store = new TraceStore(SQL, new Db(loadDatabase(SQL, dbPath, warnings, true)), { ...opts, path: undefined }, runsDirOf(dbPath));
    store.readOnly = true;
    store.warnings.push(...warnings);
    store.migrate();
    store.catalogSeq = store.seq = Number(store.catalog.meta('journal_seq') ?? '0');
    const replay = new Journal(`${dbPath}.journal`).replay(true);
    const skipped = store.replay(replay.records);
    if (replay.unreadable + skipped.length)
      store.warnings.push(`${replay.unreadable + skipped.length} journal record(s) unreadable or unusable, skipped`);
    return store;
  }

  /**
   * Apply journalled records, each on its own: a record that cannot be applied (damaged, or
   * written by a bug) is rolled back alone and reported, never taking the records after it,
   * or the store, with it. Each database takes only the records after those its file holds;
   * the runs whose spans were replayed have their counts recomputed from their spans.
   */
  private replay(records: JournalRecord[]): string[] {
    const skipped: string[] = [];
    const touched = new Set<string>();
    this.replayTouched = touched;
    try {
      for (const rec of records) {
        try {
          this.atomically(() => this.applyRecord(fromJournal(rec)));
        } catch (err) {
          skipped.push(`record ${rec.seq} (${rec.op}): ${(err as Error).message}`);
        }
        if (rec.seq > this.seq) this.seq = rec.seq;
      }
    } finally {
      this.replayTouched = undefined;
    }
    for (const id of touched) if (this.runExists(id)) this.recount(id);
    return skipped;
  }

  // ------------------------------------------------------------------ writes

  /** Upsert runs and spans. Durable (journalled) when it returns; see ApplyOptions.defer. */
  apply(batch: IngestBatch, options: ApplyOptions = {}): ApplyResult {
    if (!batch.runs.length && !batch.spans.length) return { rejected: 0 };
    this.born();
    const defer = options.defer === true && !this.closed && !this.readOnly;
    if (defer && batch.spans.length > DEFER_RECORD_SPANS) {
      // Journalled as several records, so writing each later is a short slice of work.
      let rejected = 0;
      let rejectMessage: string | undefined;
      for (let i = 0; i < batch.spans.length; i += DEFER_RECORD_SPANS) {
        const part = this.apply({ runs: i ? [] : batch.runs, spans: batch.spans.slice(i, i + DEFER_RECORD_SPANS) }, options);
        rejected += part.rejected;
        rejectMessage ??= part.rejectMessage;
      }
      return rejectMessage ? { rejected, rejectMessage } : { rejected };
    }
    if (!defer) this.flush();
    this.op++;
    const newRuns = new Set<string>();
    const spans = this.admit(batch.spans, newRuns);
    const rejected = batch.spans.length - spans.length;
    // Fix a new run's start now, so replaying the journal later gives the same row.
    const runs = batch.runs.map((r) => {
      if (this.runExists(r.id)) return boundRun(r, this.limits);
      newRuns.add(r.id);
      return boundRun(r.startNs === undefined ? { ...r, startNs: nowNs() } : r, this.limits);
    });
    const created = newRuns.size > 0;
    // Each span becomes its SQL row once; the journal line is made of the same strings
    // (attributes serialised once, shared by the journal and the database).
    const resources: string[] = [];
    const resourceIndex = new Map<object, number>();
    const rows: SpanRow[] = new Array(spans.length);
    const lines: string[] = new Array(spans.length);
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i]!; // i < spans.length (an indexed loop: this is the ingest path)
      let res: number | null = null;
      if (s.resource) {
        // Spans of one export share their resource object: serialise it once.
        const known = resourceIndex.get(s.resource);
        if (known === undefined) {
          res = resources.push(JSON.stringify(s.resource)) - 1;
          resourceIndex.set(s.resource, res);
        } else res = known;
      }
      const row = spanRow(s, res);
      rows[i] = row;
      lines[i] = journalRow(row);
    }
    const rec = this.record('apply', { at: nowNs(), runs }, { resources: JSON.stringify(resources), rows: `[${lines.join(',')}]` });
    rec.resources = resources;
    rec.rows = rows;
    const result: ApplyResult = rejected
      ? { rejected, rejectMessage: `a run holds at most ${this.limits.spansPerRun} spans` }
      : { rejected: 0 };
    if (defer) {
      this.backlog.push({ rec, spans, created });
      this.backlogSpans += spans.length;
      for (const s of spans) this.backlogPerRun.set(s.runId, (this.backlogPerRun.get(s.runId) ?? 0) + 1);
      if (this.backlogSpans > MAX_BACKLOG_SPANS) this.flush();
      else this.backlogTimer ??= setImmediate(() => this.writeBacklog());
      return result;
    }
    const conflicts = this.materialise({ rec, spans, created });
    if (conflicts.length) result.conflicts = conflicts;
    return result;
  }

  /** Write a journalled apply's rows, tell the views, apply retention. Returns the spans kept out (conflicts). */
  private materialise(p: Pending): (SpanKey & { runId: string })[] {
    this.conflicts = [];
    const runIds = this.atomically(() => this.applyRecord(p.rec));
    const conflicts = this.conflicts;
    this.conflicts = [];
    this.emit({ type: 'runs', runIds });
    if (p.spans.length) {
      const moved = conflicts.length ? new Set(conflicts.map((k) => `${k.traceId} ${k.spanId}`)) : undefined;
      const stored = moved ? p.spans.filter((s) => !moved.has(`${s.traceId} ${s.spanId}`)) : p.spans;
      if (stored.length) this.emit({ type: 'spans', runIds, spans: stored });
    }
    if (conflicts.length)
      this.opts.log?.(`${conflicts.length} span(s) already stored in another run were left there (a span never moves between runs)`);
    if (p.created) this.enforceRetention();
    if (!this.flushing) this.afterWrite(); // a slice of the backlog calls it once, after its commit
    return conflicts;
  }

  /**
   * Write journalled rows now (before a read or another write: everything reads as
   * journalled, in order). `budgetMs`: stop after about that long (the rest is written on the
   * next turn of the event loop, so a burst never blocks it for long).
   */
  private flush(budgetMs = Infinity): void {
    if (!this.backlog.length || this.flushing) return;
    this.flushing = true;
    const until = performance.now() + budgetMs;
    const sliceDbs = new Set<Db>([this.catalog]);
    this.sliceDbs = sliceDbs;
    this.catalog.exec('SAVEPOINT slice');
    try {
      while (this.backlog.length) {
        const p = this.backlog.shift()!;
        this.backlogSpans -= p.spans.length;
        for (const s of p.spans) {
          const n = (this.backlogPerRun.get(s.runId) ?? 1) - 1;
          if (n > 0) this.backlogPerRun.set(s.runId, n);
          else this.backlogPerRun.delete(s.runId);
        }
        try {
          this.materialise(p);
        } catch (err) {
          // Journalled: the next open replays it and reports what it cannot apply.
          this.opts.log?.(`journalled spans could not be written now (they are kept in the journal): ${(err as Error).message}`);
        }
        if (performance.now() >= until) break;
      }
    } finally {
      this.flushing = false;
      this.sliceDbs = undefined;
      for (const d of sliceDbs) {
        try {
          d.exec('RELEASE slice');
        } catch {
          /* closed (a run deleted by retention) */
        }
      }
    }
    if (this.backlog.length) this.backlogTimer ??= setImmediate(() => this.writeBacklog());
    this.afterWrite();
  }

  private writeBacklog(): void {
    this.backlogTimer = undefined;
    if (this.closed) return;
    this.flush(BACKLOG_SLICE_MS);
    this.trim();
  }

  /** The spans of a batch within the limits, less those of runs that are full. */
  private admit(spans: Span[], newRuns: Set<string>): Span[] {
    const room = new Map<string, number>();
    const out: Span[] = [];
    for (const s of spans) {
      let left = room.get(s.runId);
      if (left === undefined) {
        const row = this.catalog.all('SELECT span_count FROM runs WHERE id = ?', [s.runId])[0];
        if (!row) newRuns.add(s.runId);
        left = this.limits.spansPerRun - (row ? Number(row.span_count) : 0) - (this.backlogPerRun.get(s.runId) ?? 0);
      }
      room.set(s.runId, left - 1);
      if (left > 0) out.push(boundSpan(s, this.limits));
    }
    return out;
  }

  /**
   * A run's process ended: its still-open spans become INCOMPLETE, its status is settled.
   * `cancelled`: the user stopped it (CANCELLED). `incomplete`: why the run ended without its
   * process saying so (INCOMPLETE, the reason kept in `runlens.incomplete_reason`).
   */
  endRun(runId: string, exit: { exitCode?: number; signal?: string; endNs?: bigint; cancelled?: boolean; incomplete?: string }): Run {
    this.born();
    this.flush();
    this.op++;
    const rec = this.record('end', {
      runId,
      exitCode: exit.exitCode,
      signal: exit.signal,
      endNs: exit.endNs ?? nowNs(),
      cancelled: exit.cancelled || undefined,
      incomplete: exit.incomplete,
    });
    const changed = this.atomically(() => {
      const r = this.runDb(runId, false);
      const before = r ? this.readSpans(r, "WHERE s.status = 'RUNNING'") : [];
      this.applyRecord(rec);
      return before.map((s) => ({ ...s, status: 'INCOMPLETE' as const }));
    });
    this.emit({ type: 'runs', runIds: [runId] });
    if (changed.length) this.emit({ type: 'spans', runIds: [runId], spans: changed });
    this.enforceRetention();
    this.afterWrite();
    const run = this.getRun(runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    return run;
  }

  /**
   * Plain output lines of a run (not span data), kept up to a cap per run. `start`: the line
   * number of the first line (a writer that sends its run's output again after a hand-over
   * rewrites the same lines, never appends them twice). Default: after the last.
   */
  appendOutput(runId: string, stream: 'stdout' | 'stderr', lines: string[], start?: number): void {
    if (!lines.length) return;
    this.born();
    this.flush();
    this.op++;
    const from = start ?? this.nextOutputSeq(runId);
    const room = Math.max(0, MAX_OUTPUT_LINES - from);
    if (room === 0) return;
    const kept = lines.slice(0, room).map((l) => (l.length > MAX_OUTPUT_LINE ? l.slice(0, MAX_OUTPUT_LINE) + '…' : l));
    const rec = this.record('output', { runId, stream, start: from, lines: kept });
    this.atomically(() => this.applyRecord(rec));
    this.emit({ type: 'output', runIds: [runId] });
    this.afterWrite();
  }

  deleteRun(runId: string): void {
    this.born();
    this.flush();
    const rec = this.record('delete', { runIds: [runId] });
    this.atomically(() => this.applyRecord(rec));
    this.emit({ type: 'deleted', runIds: [runId] });
    this.afterWrite();
  }

  clear(): void {
    this.born();
    this.flush();
    const ids = this.listRuns().map((r) => r.id);
    const rec = this.record('clear', {});
    this.atomically(() => this.applyRecord(rec));
    this.emit({ type: 'cleared', runIds: ids });
    this.afterWrite();
  }

  // ------------------------------------------------------------------ reads

  listRuns(opts: { limit?: number; workflow?: string; status?: string } = {}): Run[] {
    this.flush();
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (opts.workflow !== undefined) {
      where.push('workflow = ?');
      params.push(opts.workflow);
    }
    if (opts.status !== undefined) {
      where.push('status = ?');
      params.push(opts.status);
    }
    const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY start_ns DESC, id DESC LIMIT ?`;
    params.push(opts.limit ?? -1);
    return this.catalog.all(sql, params).map(rowToRun);
  }

  /** By id, unique id prefix, or `last` (the newest run). */
  getRun(idOrPrefix: string): Run | undefined {
    this.flush();
    if (idOrPrefix === 'last') return this.listRuns({ limit: 1 })[0];
    const exact = this.catalog.all('SELECT * FROM runs WHERE id = ?', [idOrPrefix])[0];
    if (exact) return rowToRun(exact);
    const rows = this.catalog.all("SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' LIMIT 2", [idOrPrefix.replace(/[\\%_]/g, '\\$&') + '%']);
    const [only] = rows;
    return only && rows.length === 1 ? rowToRun(only) : undefined;
  }

  getSpans(runId: string): Span[] {
    this.flush();
    this.op++;
    const r = this.runDb(runId, false);
    const spans = r ? this.readSpans(r, '') : [];
    this.trim();
    return spans;
  }

  /**
   * A run's spans without attributes, events, resource (a narrow read for drawing many
   * spans: the timeline, the tree); events are decoded only for failed spans, for `error`.
   */
  spanHeads(runId: string): SpanHead[] {
    this.flush();
    this.op++;
    const r = this.runDb(runId, false);
    const out: SpanHead[] = [];
    r?.db.each(
      `SELECT ${HEAD_COLUMNS},
              json_extract(r.attributes, '$."service.name"') AS service
       FROM spans s LEFT JOIN resources r ON r.id = s.resource_id ORDER BY s.start_ns, s.span_id`,
      [],
      (row) => {
        const head = headOf(runId, row);
        if (typeof row[11] === 'string' && row[11] !== '') head.service = row[11];
        if (head.status === 'ERROR' || head.status === 'INCOMPLETE') {
          const events = row[10] === null ? [] : decode<SpanEvent[]>(String(row[10]));
          head.error = errorSummary({ ...head, attributes: {}, events });
        }
        out.push(head);
      },
    );
    this.trim();
    return out;
  }

  getSpan(runId: string, spanId: string): Span | undefined {
    this.flush();
    this.op++;
    const r = this.runDb(runId, false);
    const span = r ? this.readSpans(r, 'WHERE s.span_id = ?', [spanId])[0] : undefined;
    this.trim();
    return span;
  }

  /** The stored spans with these (trace id, span id) keys, whatever their run. */
  spansByKey(keys: readonly SpanKey[]): Span[] {
    this.flush();
    this.op++;
    const out: Span[] = [];
    const byTrace = new Map<string, string[]>();
    for (const k of keys) {
      let ids = byTrace.get(k.traceId);
      if (!ids) byTrace.set(k.traceId, (ids = []));
      ids.push(k.spanId);
    }
    for (const [traceId, spanIds] of byTrace) {
      for (const runId of this.runsOfTrace(traceId)) {
        const r = this.runDb(runId, false);
        if (!r) continue;
        for (const spanId of spanIds) out.push(...this.readSpans(r, 'WHERE s.trace_id = ? AND s.span_id = ?', [traceId, spanId]));
      }
    }
    this.trim();
    return out;
  }

  /** A run's output lines in order, from line number `from` on. */
  getOutput(runId: string, from = 0): { stream: string; text: string; seq: number }[] {
    this.flush();
    this.op++;
    const r = this.runDb(runId, false);
    const lines = r
      ? (
          r.db.all('SELECT stream, text, seq FROM output WHERE seq >= ? ORDER BY seq', [from]) as {
            stream: string;
            text: string;
            seq: unknown;
          }[]
        ).map((x) => ({
          stream: x.stream,
          text: x.text,
          seq: Number(x.seq),
        }))
      : [];
    this.trim();
    return lines;
  }

  /**
   * A run's digest (see digest.ts): kept in the catalog for a finished run, so the editor's
   * lenses, Problems and the tree's filter never read every run's spans; computed from the
   * run's spans when missing or stale (and then kept, by a writer).
   */
  runDigest(runId: string, opts: { ifReady?: boolean } = {}): RunDigest | undefined {
    const run = this.getRun(runId);
    if (!run) return undefined;
    const finished = run.status !== 'RUNNING';
    if (finished) {
      const row = this.catalog.all('SELECT digest FROM run_digests WHERE run_id = ?', [run.id])[0];
      if (row) {
        try {
          const d = decode<RunDigest>(String(row.digest));
          if (d.v === DIGEST_VERSION && d.spanCount === run.spanCount && d.status === run.status) return d;
        } catch {
          /* unreadable: made again below */
        }
      }
    }
    // `ifReady`: a finished run's digest not made yet is made in the background (see digestSome), not now.
    if (finished && opts.ifReady) {
      this.scheduleDigests(0);
      return undefined;
    }
    const digest = digestRun(run, this.digestSpans(run.id));
    // Derived, not journalled: lost with a crash, it is made again.
    if (finished && !this.closed) {
      this.catalog.run('INSERT OR REPLACE INTO run_digests (run_id, digest) VALUES (?, ?)', [run.id, encode(digest)]);
      this.catalogDirty = true;
      this.scheduleSnapshot();
    }
    return digest;
  }

  /**
   * A run's spans as a digest reads them (see digest.sourcePart): the columns it needs, the
   * `code.*` attributes drawn out by SQLite, events only for failed spans — not every
   * attribute of every span decoded (a 100k-span run: ~0.5 s instead of ~2 s).
   */
  private digestSpans(runId: string): Span[] {
    this.flush();
    const r = this.runDb(runId, false);
    const out: Span[] = [];
    const CODE = [
      'code.filepath',
      'code.file.path',
      'code.lineno',
      'code.line.number',
      'code.column',
      'code.column.number',
      'code.function',
      'code.function.name',
    ];
    r?.db.each(
      `SELECT ${HEAD_COLUMNS},
              ${CODE.map((k) => `json_extract(s.attributes, '$."${k}"')`).join(', ')}
       FROM spans s ORDER BY s.start_ns, s.span_id`,
      [],
      (row) => {
        const attributes: Attributes = {};
        for (let k = 0; k < CODE.length; k++) {
          const v = row[11 + k];
          if (v !== null && v !== undefined) attributes[CODE[k]!] = typeof v === 'bigint' ? Number(v) : (v as string | number);
        }
        out.push({
          ...headOf(runId, row),
          attributes,
          events: row[10] === null ? [] : decode<SpanEvent[]>(String(row[10])).filter((e) => e.name === 'exception'),
        });
      },
    );
    return out;
  }

  /**
   * Make the digests finished runs lack, one run per turn of the event loop, newest first,
   * and tell the views (a 'runs' change) as each is ready: a store opened with many runs
   * and no digests (migrated, or written by the CLI) never makes a window wait for them all.
   */
  private scheduleDigests(delayMs = 1000): void {
    if (this.digestTimer || this.closed) return;
    this.digestTimer = setTimeout(() => {
      this.digestTimer = undefined;
      this.digestSome();
    }, delayMs);
    this.digestTimer.unref();
  }

  /**
   * Someone is asking questions (a window's views, through the store's thread): background
   * work (digests) waits until they have been quiet for a moment, so each question is not
   * answered only after another run's digest.
   */
  yieldToReaders(ms = 300): void {
    this.readersUntil = this.now() + ms;
  }

  private digestSome(): void {
    if (this.closed || this.unborn) return;
    const wait = this.readersUntil - this.now();
    if (wait > 0) {
      this.scheduleDigests(wait);
      return;
    }
    this.flush();
    const row = this.catalog.all(
      `SELECT id FROM runs WHERE status != 'RUNNING' AND id NOT IN (SELECT run_id FROM run_digests) ORDER BY received_ns DESC, id DESC LIMIT 1`,
    )[0];
    if (!row) return;
    const id = String(row.id);
    try {
      this.runDigest(id);
    } catch (err) {
      this.opts.log?.(`digest of run ${id} could not be made: ${(err as Error).message}`);
      return;
    }
    this.emit({ type: 'runs', runIds: [id] });
    this.scheduleDigests(0);
  }

  /** Runs with a span whose name contains `text` (case-insensitive), from their digests. */
  runsWithSpanMatching(text: string): Set<string> {
    this.flush();
    const needle = text.toLowerCase();
    const out = new Set<string>();
    for (const r of this.catalog.all('SELECT id FROM runs')) {
      const id = String(r.id);
      const d = this.runDigest(id, { ifReady: true });
      const hit = d?.names.some((n) => n.toLowerCase().includes(needle)) ?? false;
      if (hit) out.add(id);
      else if (
        (!d || !d.namesComplete) &&
        this.queryRun(id, 'SELECT 1 AS x FROM spans WHERE instr(lower(name), ?) > 0 LIMIT 1', [needle]).length
      )
        out.add(id);
    }
    return out;
  }

  /** Raw SQL on the catalog (runs, run_traces, meta) for tools and tests (read-only use expected). */
  query(sql: string, params: (string | number | bigint | null)[] = []): Row[] {
    this.flush();
    return this.catalog.all(sql, params);
  }

  /** Raw SQL on one run's database (spans, resources, output); no rows when the run has none. */
  queryRun(runId: string, sql: string, params: (string | number | bigint | null)[] = []): Row[] {
    this.flush();
    this.op++;
    const rows = this.runDb(runId, false)?.db.all(sql, params) ?? [];
    this.trim();
    return rows;
  }

  onChange(listener: (c: StoreChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Approximate size of everything the store holds, in bytes: the catalog and every run's database. */
  sizeBytes(): number {
    this.flush();
    let total = this.catalog.sizeBytes();
    for (const r of this.catalog.all('SELECT id FROM runs')) total += this.runBytes(String(r.id));
    return total;
  }

  private runBytes(runId: string): number {
    const open = this.runDbs.get(runId);
    if (open && (open.dirty || !open.file)) return open.db.sizeBytes();
    let bytes = this.fileBytes.get(runId);
    if (bytes === undefined) {
      try {
        bytes = this.runsDir ? fs.statSync(path.join(this.runsDir, runFileName(runId))).size : 0;
      } catch {
        bytes = 0;
      }
      this.fileBytes.set(runId, bytes);
    }
    return bytes;
  }

  // ------------------------------------------------------------------ persistence

  /**
   * Write every changed database now (each atomically: the runs' first, then the catalog)
   * and start the journal over. Unchanged runs' files are not touched: the cost is what
   * changed, not what the store holds.
   */
  snapshot(): void {
    this.flush();
    // Never while rows are half written (a slice's transaction is open) or still waiting:
    // the journal, which holds them, is emptied by a snapshot.
    if (this.flushing || this.backlog.length) return;
    if (!this.opts.path || !this.journal) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    // A background snapshot still writing will not put its (older) files in place after this one.
    this.generation++;
    for (const r of this.runDbs.values()) if (r.dirty || this.writingRuns.has(r.runId)) this.writeRun(r);
    this.writingRuns.clear();
    this.largestDirtyBytes = 0;
    this.catalog.setMeta('journal_seq', String(this.seq));
    const data = this.catalog.export();
    writeFileAtomic(this.opts.path, data);
    this.catalogBytes = data.length;
    this.catalogSeq = this.seq;
    this.catalogDirty = false;
    this.journal.reset();
    this.trim();
  }

  /**
   * A snapshot that does not block: every changed database is exported now (a copy in
   * memory), the journal is rotated, and the files are written, fsynced and renamed into
   * place on the thread pool; the rotated journal is dropped once they all are. A crash
   * meanwhile replays both journals. Falls back to snapshot() when a rotation is pending.
   */
  private snapshotInBackground(): void {
    if (!this.opts.path || !this.journal || this.writing || this.closed) return;
    this.flush();
    if (this.flushing || this.backlog.length) return;
    if (!this.journal.rotate()) {
      this.snapshot();
      return;
    }
    const gen = ++this.generation;
    const seq = this.seq;
    const jobs: { file: string; data: Uint8Array; runId?: string }[] = [];
    for (const r of this.runDbs.values()) {
      if (!r.dirty || !r.file) continue;
      r.db.setMeta('journal_seq', String(seq));
      jobs.push({ file: r.file, data: r.db.export(), runId: r.runId });
      r.seq = seq;
      r.dirty = false;
      this.writingRuns.add(r.runId);
    }
    this.largestDirtyBytes = 0;
    this.catalog.setMeta('journal_seq', String(seq));
    jobs.push({ file: this.opts.path, data: this.catalog.export() });
    this.catalogSeq = seq;
    this.catalogDirty = false;
    this.writing = (async () => {
      try {
        for (const job of jobs) {
          if (job.runId) await fs.promises.mkdir(path.dirname(job.file), { recursive: true });
          const tmp = await writeFileDurable(job.file, job.data);
          // Checked and renamed in one turn: a snapshot() in between made these files stale.
          if (gen !== this.generation || (job.runId && !this.runExists(job.runId))) {
            fs.rmSync(tmp, { force: true });
            continue;
          }
          fs.renameSync(tmp, job.file);
          if (job.runId) this.fileBytes.set(job.runId, job.data.length);
          else this.catalogBytes = job.data.length;
        }
        if (gen === this.generation) this.journal?.dropRotated();
      } catch (err) {
        // Nothing is lost (the rotated journal stays); the next snapshot writes these again.
        for (const job of jobs) {
          const r = job.runId ? this.runDbs.get(job.runId) : undefined;
          if (r) r.dirty = true;
        }
        this.catalogDirty = true;
        this.opts.log?.(`snapshot failed (data is safe in the journal): ${(err as Error).message}`);
      } finally {
        if (gen === this.generation) this.writingRuns.clear();
        this.writing = undefined;
      }
    })();
  }

  private writeRun(r: RunDb): void {
    if (!r.file) return;
    r.db.setMeta('journal_seq', String(this.seq));
    const data = r.db.export();
    fs.mkdirSync(path.dirname(r.file), { recursive: true });
    writeFileAtomic(r.file, data);
    r.seq = this.seq;
    r.dirty = false;
    this.fileBytes.set(r.runId, data.length);
  }

  /** fsync the journal: acknowledged data then survives power loss too, not only kill -9. */
  sync(): void {
    this.journal?.sync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.writing?.catch(() => undefined);
    if (this.closed) return;
    this.flush();
    this.closed = true;
    try {
      if (this.opts.path && this.journal && (this.journal.size > 0 || this.catalogDirty || fs.existsSync(this.journal.rotatedPath)))
        this.snapshot();
    } finally {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      if (this.digestTimer) clearTimeout(this.digestTimer);
      if (this.backlogTimer) clearImmediate(this.backlogTimer);
      this.journal?.close();
      for (const r of this.runDbs.values()) r.db.close();
      this.runDbs.clear();
      this.catalog.close();
      if (this.opts.path && !this.unborn) releaseLock(this.opts.path);
      this.listeners.clear();
    }
  }

  // ------------------------------------------------------------------ run databases

  /**
   * A run's database, opened from its file (or created, with `create`) and kept among the
   * recently used. Undefined when the run has no database and `create` is false.
   */
  private runDb(runId: string, create: boolean): RunDb | undefined {
    let r = this.runDbs.get(runId);
    if (!r) {
      const file = this.runsDir ? path.join(this.runsDir, runFileName(runId)) : undefined;
      if (!create && (!file || !exists(file))) return undefined;
      const warnings: string[] = [];
      const db = new Db(file ? loadDatabase(this.SQL, file, warnings, this.readOnly) : new this.SQL.Database());
      for (const w of warnings) {
        this.warnings.push(w);
        this.opts.log?.(w);
      }
      db.migrate(RUN_MIGRATIONS, 'run database');
      r = {
        runId,
        db,
        file: this.readOnly ? undefined : file,
        seq: Number(db.meta('journal_seq') ?? '0'),
        dirty: false,
        usedAt: this.op,
        resourceIds: new Map(),
      };
      this.runDbs.set(runId, r);
    }
    r.usedAt = this.op;
    if (this.sliceDbs && !this.sliceDbs.has(r.db)) {
      r.db.exec('SAVEPOINT slice');
      this.sliceDbs.add(r.db);
    }
    if (this.recordDbs && !this.recordDbs.has(r.db)) {
      r.db.exec('SAVEPOINT record');
      this.recordDbs.add(r.db);
    }
    return r;
  }

  /** Close the run databases beyond the few most recently used; changed ones stay until written. */
  private trim(): void {
    if (this.runDbs.size <= OPEN_RUN_DBS || this.recordDbs || this.sliceDbs) return;
    const idle = [...this.runDbs.values()].filter(
      (r) => !r.dirty && !this.writingRuns.has(r.runId) && r.usedAt !== this.op && (r.file || this.readOnly),
    );
    idle.sort((a, b) => a.usedAt - b.usedAt);
    for (const r of idle.slice(0, Math.max(0, this.runDbs.size - OPEN_RUN_DBS))) {
      r.db.close();
      this.runDbs.delete(r.runId);
    }
  }

  private removeRunDb(runId: string): void {
    const r = this.runDbs.get(runId);
    if (r) {
      this.recordDbs?.delete(r.db);
      this.sliceDbs?.delete(r.db);
      r.db.close();
      this.runDbs.delete(runId);
    }
    this.fileBytes.delete(runId);
    if (this.runsDir && !this.readOnly) fs.rmSync(path.join(this.runsDir, runFileName(runId)), { force: true });
  }

  /** Run database files no run in the catalog owns (a delete cut short by a crash). */
  private removeStrayRunFiles(): void {
    if (!this.runsDir || this.readOnly || !fs.existsSync(this.runsDir)) return;
    const owned = new Set(this.catalog.all('SELECT id FROM runs').map((r) => runFileName(String(r.id))));
    for (const name of fs.readdirSync(this.runsDir)) {
      if (/^[0-9a-f]{32}\.db(\.tmp-[\d-]+)?$/.test(name) && (!owned.has(name.slice(0, 35)) || name.includes('.tmp-')))
        fs.rmSync(path.join(this.runsDir, name), { force: true });
    }
  }

  /** The runs holding spans of a trace. */
  private runsOfTrace(traceId: string): Set<string> {
    let runs = this.traceRuns.get(traceId);
    if (!runs) {
      if (this.traceRuns.size >= TRACE_CACHE) this.traceRuns.clear();
      runs = new Set(this.catalog.all('SELECT run_id FROM run_traces WHERE trace_id = ?', [traceId]).map((r) => String(r.run_id)));
      this.traceRuns.set(traceId, runs);
    }
    return runs;
  }

  private readSpans(r: RunDb, where: string, params: unknown[] = []): Span[] {
    return r.db
      .all(
        `SELECT s.*, r.attributes AS resource_attributes FROM spans s LEFT JOIN resources r ON r.id = s.resource_id ${where} ORDER BY s.start_ns, s.span_id`,
        params,
      )
      .map(rowToSpan);
  }

  private nextOutputSeq(runId: string): number {
    let next = this.outputSeq.get(runId);
    if (next === undefined) {
      const r = this.runDb(runId, false);
      next = r ? Number(r.db.all('SELECT coalesce(max(seq) + 1, 0) AS n FROM output')[0]!.n) : 0;
      this.outputSeq.set(runId, next);
    }
    return next;
  }

  // ------------------------------------------------------------------ internals

  private record(op: string, body: Record<string, unknown>, preEncoded?: Record<string, string>): JournalRecord {
    if (this.closed) throw new Error('the trace store is closed');
    this.born();
    if (this.readOnly) throw new Error('this trace store was opened read-only');
    const rec: JournalRecord = { seq: this.seq + 1, op, ...body };
    this.journal?.append(rec, preEncoded);
    this.seq = rec.seq;
    return rec;
  }

  /** Run `fn` as one unit across the catalog and every run database it touches. */
  private atomically<T>(fn: () => T): T {
    const dbs = new Set<Db>([this.catalog]);
    this.recordDbs = dbs;
    this.catalog.exec('SAVEPOINT record');
    try {
      const result = fn();
      for (const d of dbs) d.exec('RELEASE record');
      return result;
    } catch (err) {
      for (const d of dbs) {
        try {
          d.exec('ROLLBACK TO record; RELEASE record');
        } catch {
          /* the database is gone (deleted run) */
        }
      }
      // Ids and counts cached by the rolled-back record may not exist.
      for (const r of this.runDbs.values()) r.resourceIds.clear();
      this.traceRuns.clear();
      this.outputSeq.clear();
      throw err;
    } finally {
      this.recordDbs = undefined;
    }
  }

  /** Apply one journal record (live or on replay) to the catalog and the runs' databases. Returns touched run ids. */
  private applyRecord(rec: JournalRecord): string[] {
    // Replay: the catalog takes only the records after those its file holds (so does each run's file).
    const toCatalog = rec.seq > this.catalogSeq;
    switch (rec.op) {
      case 'apply': {
        const runs = rec.runs as RunPatch[];
        const rows = rec.rows as SpanRow[];
        const resources = rec.resources as string[];
        const counts = new Map<string, RunCounts>();
        // Journals before received times carry no `at`: their runs count as received on replay.
        const at = typeof rec.at === 'bigint' ? rec.at : nowNs();
        for (const r of runs) {
          if (toCatalog) this.upsertRun(r, at);
          counts.set(r.id, emptyCounts());
        }
        const groups = new Map<string, SpanRow[]>();
        for (const row of rows) {
          let g = groups.get(row[R.runId]);
          if (!g) groups.set(row[R.runId], (g = []));
          g.push(row);
        }
        for (const [runId, group] of groups) {
          let c = counts.get(runId);
          if (!c) {
            if (toCatalog && !this.runExists(runId))
              this.upsertRun(
                { id: runId, name: runId, source: 'otlp', startNs: BigInt(group[0]![R.startNs]), traceId: group[0]![R.traceId] },
                at,
              );
            counts.set(runId, (c = emptyCounts()));
          }
          this.replayTouched?.add(runId);
          const r = this.runDb(runId, true)!;
          if (r.seq >= rec.seq) continue; // its file holds these rows already
          const kept = this.withoutConflicts(runId, group);
          if (!kept.length) continue;
          r.dirty = true;
          this.insertRows(r, kept, resources, c);
          for (const traceId of new Set(kept.map((row) => row[R.traceId]))) {
            this.catalog.run('INSERT OR IGNORE INTO run_traces (trace_id, run_id) VALUES (?, ?)', [traceId, runId]);
            this.runsOfTrace(traceId).add(runId);
          }
        }
        if (toCatalog) {
          for (const [id, c] of counts) {
            this.refreshRun(id, c);
            this.catalog.run('DELETE FROM run_digests WHERE run_id = ?', [id]);
          }
        }
        return [...counts.keys()];
      }
      case 'end': {
        const runId = rec.runId as string;
        const endNs = rec.endNs as bigint;
        this.replayTouched?.add(runId);
        let hung = 0;
        const r = this.runDb(runId, false);
        if (r && r.seq < rec.seq) {
          r.db.run('UPDATE spans SET status = ? WHERE status = ?', ['INCOMPLETE', 'RUNNING']);
          hung = r.db.modified();
          if (hung) r.dirty = true;
        }
        if (!toCatalog) return [runId];
        this.catalog.run('DELETE FROM run_digests WHERE run_id = ?', [runId]);
        this.catalog.run('UPDATE runs SET running_count = running_count - ?, error_count = error_count + ? WHERE id = ?', [
          hung,
          hung,
          runId,
        ]);
        const counts = this.catalog.all('SELECT error_count, attributes FROM runs WHERE id = ?', [runId])[0];
        if (!counts) return [];
        const declared = (JSON.parse(String(counts.attributes)) as Attributes).pipeline_status;
        const exit = {
          exitCode: rec.exitCode as number | undefined,
          signal: rec.signal as string | undefined,
          cancelled: rec.cancelled === true,
          incomplete: typeof rec.incomplete === 'string' ? rec.incomplete : undefined,
        };
        let status = deriveRunStatus(exit, Number(counts.error_count));
        if ((status === 'SUCCESS' || status === 'PARTIAL') && (declared === 'PARTIAL' || declared === 'FAILED')) status = declared;
        this.catalog.run('UPDATE runs SET end_ns = ?, exit_code = ?, signal = ?, status = ? WHERE id = ?', [
          endNs,
          exit.exitCode ?? null,
          exit.signal ?? null,
          status,
          runId,
        ]);
        if (exit.incomplete) {
          this.catalog.run('UPDATE runs SET attributes = json_set(attributes, ?, ?) WHERE id = ?', [
            '$."runlens.incomplete_reason"',
            exit.incomplete,
            runId,
          ]);
        }
        return [runId];
      }
      case 'settle': {
        const ids = rec.runIds as string[];
        for (const id of ids) this.settled.add(id);
        if (!toCatalog) return ids;
        for (const id of ids) {
          this.catalog.run('UPDATE runs SET attributes = json_set(attributes, ?, json(?)) WHERE id = ?', [
            '$."runlens.settled"',
            'true',
            id,
          ]);
          this.refreshRun(id, emptyCounts());
        }
        return ids;
      }
      case 'output': {
        const runId = rec.runId as string;
        const lines = rec.lines as string[];
        let seq = rec.start as number;
        const r = this.runDb(runId, true)!;
        if (r.seq < rec.seq) {
          r.dirty = true;
          for (const text of lines)
            r.db.run('INSERT OR REPLACE INTO output (run_id, seq, stream, text) VALUES (?, ?, ?, ?)', [
              runId,
              seq++,
              rec.stream as string,
              text,
            ]);
        } else seq += lines.length;
        this.outputSeq.set(runId, Math.max(this.outputSeq.get(runId) ?? 0, seq));
        return [runId];
      }
      case 'delete': {
        const ids = rec.runIds as string[];
        for (const id of ids) {
          if (toCatalog) {
            this.catalog.run('DELETE FROM runs WHERE id = ?', [id]);
            this.catalog.run('DELETE FROM run_traces WHERE run_id = ?', [id]);
            this.catalog.run('DELETE FROM run_digests WHERE run_id = ?', [id]);
          }
          this.removeRunDb(id);
          this.outputSeq.delete(id);
          this.lastTouched.delete(id);
          this.settled.delete(id);
          this.pending.delete(id);
          this.replayTouched?.delete(id);
        }
        this.traceRuns.clear();
        return ids;
      }
      case 'clear': {
        if (toCatalog) this.catalog.exec('DELETE FROM runs; DELETE FROM run_traces; DELETE FROM run_digests;');
        for (const id of [...this.runDbs.keys()]) this.removeRunDb(id);
        if (this.runsDir && !this.readOnly && fs.existsSync(this.runsDir)) {
          for (const name of fs.readdirSync(this.runsDir))
            if (/^[0-9a-f]{32}\.db/.test(name)) fs.rmSync(path.join(this.runsDir, name), { force: true });
        }
        this.fileBytes.clear();
        this.traceRuns.clear();
        this.outputSeq.clear();
        this.lastTouched.clear();
        this.settled.clear();
        this.pending.clear();
        this.replayTouched?.clear();
        return [];
      }
      default:
        throw new Error(`unknown journal record ${rec.op}`);
    }
  }

  /**
   * A span never moves to another run (an import of a trace already stored, a client
   * reusing ids): rows whose (trace, span) another run holds stay where they are, and the
   * writer is told (ApplyResult.conflicts).
   */
  private withoutConflicts(runId: string, rows: SpanRow[]): SpanRow[] {
    const others = new Map<string, string[]>();
    for (const traceId of new Set(rows.map((row) => row[R.traceId]))) {
      const holders = [...this.runsOfTrace(traceId)].filter((id) => id !== runId);
      if (holders.length) others.set(traceId, holders);
    }
    if (!others.size) return rows;
    return rows.filter((row) => {
      for (const holder of others.get(row[R.traceId]) ?? []) {
        const r = this.runDb(holder, false);
        if (r && r.db.all('SELECT 1 AS x FROM spans WHERE trace_id = ? AND span_id = ?', [row[R.traceId], row[R.spanId]]).length) {
          this.conflicts.push({ traceId: row[R.traceId], spanId: row[R.spanId], runId: holder });
          return false;
        }
      }
      return true;
    });
  }

  /** Insert (or update) a run's rows in its database, adding them to the run's counts. */
  private insertRows(r: RunDb, rows: SpanRow[], resources: string[], c: RunCounts): void {
    const db = r.db;
    const resourceIds = new Map<number, number>();
    const insertOne = db.stmt(INSERT_SPAN_IF_NEW);
    const params: (string | number | null | Buffer)[] = [];
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const n = Math.min(INSERT_CHUNK, rows.length - i);
      params.length = 0;
      for (let j = i; j < i + n; j++) {
        const row = rows[j]!;
        const res = row[R.resource];
        if (res !== null) {
          let id = resourceIds.get(res);
          if (id === undefined) resourceIds.set(res, (id = this.resourceId(r, resources[res]!)));
          row[R.resource] = id;
        }
        countStatus(c, row[R.status], 1);
        c.spans++;
        (c.rows ??= []).push(row);
        const start = row[R.startNs];
        if (c.first === undefined || decLess(start, c.first)) c.first = start;
        const end = row[R.endNs];
        if (end !== null && (c.last === undefined || decLess(c.last, end))) c.last = end;
        if (n === INSERT_CHUNK) {
          for (let k = 0; k < R.attributes; k++) params.push(row[k] ?? null); // a SpanRow has every column
          params.push(Buffer.from(row[R.attributes]), Buffer.from(row[R.events]));
          for (let k = R.truncated; k < row.length; k++) params.push(row[k]);
        }
      }
      // New spans (the usual case) insert in one step, a chunk at a time; only spans seen
      // before are looked up and updated, in order.
      if (n === INSERT_CHUNK) {
        db.stmt(INSERT_SPANS_IF_NEW).run(params as never);
        const inserted = db.modified();
        if (inserted === n) continue;
        // Rows inserted by one statement take consecutive rowids after the largest one.
        const fresh = new Set<string>();
        if (inserted > 0) {
          const last = db.all('SELECT last_insert_rowid() AS id')[0]!.id as bigint;
          for (const x of db.all('SELECT trace_id, span_id FROM spans WHERE rowid > ?', [BigInt(last) - BigInt(inserted)]))
            fresh.add(`${x.trace_id} ${x.span_id}`);
        }
        for (let j = i; j < i + n; j++) {
          const key = `${rows[j]![R.traceId]} ${rows[j]![R.spanId]}`;
          if (fresh.delete(key)) continue; // the first of its key in the chunk: inserted
          this.updateSpan(r, rows[j]!, c);
        }
      } else {
        for (let j = i; j < i + n; j++) {
          insertOne.run(rows[j] as never);
          if (db.modified() !== 1) this.updateSpan(r, rows[j]!, c);
        }
      }
    }
    if (!r.file) return;
    const size = db.sizeBytes();
    if (size > this.largestDirtyBytes) this.largestDirtyBytes = size;
  }

  private runExists(id: string): boolean {
    return this.catalog.all('SELECT 1 AS x FROM runs WHERE id = ?', [id]).length > 0;
  }

  private upsertRun(p: RunPatch, receivedAt: bigint): void {
    const existing = this.catalog.all('SELECT * FROM runs WHERE id = ?', [p.id])[0];
    const cur: Partial<Run> = existing ? rowToRun(existing) : {};
    const merged = {
      ...cur,
      ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)),
      attributes: { ...(cur.attributes ?? {}), ...(p.attributes ?? {}) },
    } as Run;
    if (existing && p.startNs !== undefined && cur.startNs !== undefined && cur.startNs < p.startNs) merged.startNs = cur.startNs;
    this.catalog.run(
      `INSERT OR REPLACE INTO runs (id, name, status, source, command, cwd, start_ns, end_ns, exit_code, signal, git_commit,
         trace_id, root_span_id, workflow, attributes, span_count, error_count, running_count, launch_sig, received_ns, owner)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        merged.id,
        merged.name ?? merged.id,
        merged.status ?? 'RUNNING',
        merged.source ?? 'otlp',
        merged.command ? JSON.stringify(merged.command) : null,
        merged.cwd ?? null,
        merged.startNs ?? nowNs(),
        merged.endNs ?? null,
        merged.exitCode ?? null,
        merged.signal ?? null,
        merged.gitCommit ?? null,
        merged.traceId ?? null,
        merged.rootSpanId ?? null,
        merged.workflow ?? null,
        JSON.stringify(merged.attributes ?? {}),
        cur.spanCount ?? 0,
        cur.errorCount ?? 0,
        existing ? Number(existing.running_count) : 0,
        merged.launchSignature ?? null,
        // Retention's order: when this store first received the run, by its own clock.
        existing ? ns(existing.received_ns) : receivedAt,
        merged.owner ? JSON.stringify(merged.owner) : null,
      ],
    );
  }

  /** A span that exists already: take its old status off the counts, then overwrite it. */
  private updateSpan(r: RunDb, row: SpanRow, c: RunCounts): void {
    const before = r.db.all('SELECT status FROM spans WHERE trace_id = ? AND span_id = ?', [row[R.traceId], row[R.spanId]])[0];
    if (before) {
      countStatus(c, String(before.status), -1);
      c.spans--;
    }
    r.db.run(UPSERT_SPAN, row);
  }

  /** The resources row of a resource (attributes as JSON) in a run's database, created on first use. */
  private resourceId(r: RunDb, json: string): number {
    const digest = createHash('sha1').update(json).digest('hex');
    let id = r.resourceIds.get(digest);
    if (id === undefined) {
      r.db.run('INSERT OR IGNORE INTO resources (digest, attributes) VALUES (?, ?)', [digest, json]);
      id = Number(r.db.all('SELECT id FROM resources WHERE digest = ?', [digest])[0]!.id);
      r.resourceIds.set(digest, id);
    }
    return id;
  }

  /** A run's counts from its spans (after a replay: its file and the catalog may have been written at different times). */
  private recount(runId: string): void {
    const r = this.runDb(runId, false);
    const c = r?.db.all(
      `SELECT count(*) AS n, coalesce(sum(status IN ('ERROR', 'INCOMPLETE')), 0) AS errors, coalesce(sum(status = 'RUNNING'), 0) AS running FROM spans`,
    )[0];
    this.catalog.run('UPDATE runs SET span_count = ?, error_count = ?, running_count = ? WHERE id = ?', [
      Number(c?.n ?? 0),
      Number(c?.errors ?? 0),
      Number(c?.running ?? 0),
      runId,
    ]);
    this.pending.delete(runId);
    this.refreshRun(runId, emptyCounts());
  }

  /**
   * Add a batch's span counts to its run (O(batch), never O(run): live runs grow large).
   * Runs without a process (attached, imported) get their status and time range from spans.
   */
  private refreshRun(runId: string, c: RunCounts): void {
    this.catalog.run(
      `UPDATE runs SET span_count = span_count + ?, error_count = error_count + ?, running_count = running_count + ?
       WHERE id = ?`,
      [c.spans, c.errors, c.running, runId],
    );
    const run = this.catalog.all('SELECT source, attributes, running_count, error_count, end_ns FROM runs WHERE id = ?', [runId])[0];
    if (!run || run.source === 'launch') return;
    const attributes = JSON.parse(String(run.attributes)) as Attributes;
    const declared = attributes.pipeline_status;
    if (run.source === 'import' && typeof declared === 'string') return;
    let status = Number(run.running_count) > 0 ? 'RUNNING' : Number(run.error_count) > 0 ? 'FAILED' : 'SUCCESS';
    if (run.source === 'otlp') {
      this.lastTouched.set(runId, this.now());
      // OTLP exports a span when it ends, so an attached trace is still going while a span
      // points at a parent that has not arrived (the root ends, and is exported, last).
      const settled = this.settled.has(runId) || attributes['runlens.settled'] === true;
      if (status !== 'RUNNING' && !settled && this.pendingParents(runId, c).size > 0) status = 'RUNNING';
    }
    // While RUNNING the end is unset; when the run stops running (its last span, or settled)
    // the end is the latest of all its spans, not only of this batch's.
    const prevEnd =
      status !== 'RUNNING' && run.end_ns === null
        ? big(this.runDb(runId, false)?.db.all('SELECT max(end_ns) AS e FROM spans')[0]?.e)
        : big(run.end_ns);
    const last = c.last === undefined ? undefined : BigInt(c.last);
    const end = last !== undefined && (prevEnd === undefined || last > prevEnd) ? last : prevEnd;
    this.catalog.run(
      'UPDATE runs SET status = ?, start_ns = min(start_ns, coalesce(CAST(? AS INTEGER), start_ns)), end_ns = ? WHERE id = ?',
      [status, c.first === undefined ? null : BigInt(c.first), status === 'RUNNING' ? null : (end ?? null), runId],
    );
  }

  /**
   * Parents an attached run's spans point at that have not arrived ("trace parent"). Read
   * from the run's database once per run and session, then kept up to date from each batch's
   * spans: O(batch), whatever the size of the run.
   */
  private pendingParents(runId: string, c: RunCounts): Set<string> {
    let pending = this.pending.get(runId);
    const r = this.runDb(runId, false);
    if (!pending) {
      pending = new Set();
      for (const x of r?.db.all(
        `SELECT DISTINCT s.trace_id AS t, s.parent_span_id AS p FROM spans s WHERE s.parent_span_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM spans q WHERE q.trace_id = s.trace_id AND q.span_id = s.parent_span_id)`,
      ) ?? [])
        pending.add(`${x.t} ${x.p}`);
      this.pending.set(runId, pending);
      return pending; // already includes this batch
    }
    if (!c.rows) return pending;
    const arrived = new Set<string>();
    for (const row of c.rows) {
      const k = `${row[R.traceId]} ${row[R.spanId]}`;
      arrived.add(k);
      pending.delete(k);
    }
    for (const row of c.rows) {
      const parent = row[R.parent];
      if (parent === null) continue;
      const t = row[R.traceId];
      const k = `${t} ${parent}`;
      if (arrived.has(k) || pending.has(k)) continue;
      if (!r?.db.all('SELECT 1 AS x FROM spans WHERE trace_id = ? AND span_id = ?', [t, parent]).length) pending.add(k);
    }
    return pending;
  }

  /**
   * Attached (OTLP) runs still waiting for a parent span that has sent nothing for `idleMs`
   * are taken as finished: the parent lives in a process that does not export here (a
   * remote parent) or never will. Their status then comes from their spans. Returns the runs
   * settled; called periodically by the collector.
   */
  settleIdle(idleMs: number, now = this.now()): string[] {
    if (this.readOnly || this.closed) return [];
    this.flush();
    const due: string[] = [];
    for (const r of this.catalog.all("SELECT id FROM runs WHERE source = 'otlp' AND status = 'RUNNING' AND running_count = 0") as {
      id: string;
    }[]) {
      const last = this.lastTouched.get(r.id) ?? this.openedAt;
      if (now - last >= idleMs && !this.settled.has(r.id)) due.push(r.id);
    }
    if (!due.length) return [];
    this.op++;
    // Journalled like any write: a settled run stays settled after a restart or a crash.
    const rec = this.record('settle', { runIds: due });
    this.atomically(() => this.applyRecord(rec));
    this.emit({ type: 'runs', runIds: due });
    this.afterWrite();
    return due;
  }

  /**
   * Runs still RUNNING whose recording process (`owner`: pid + start time on this host) is
   * gone are closed INCOMPLETE, with the reason: nothing stays RUNNING without a live owner.
   * Called on open and periodically by the collector. Returns the runs closed.
   */
  closeOrphans(): string[] {
    if (this.readOnly || this.closed) return [];
    this.flush();
    const closed: string[] = [];
    for (const r of this.catalog.all("SELECT id, owner FROM runs WHERE status = 'RUNNING' AND owner IS NOT NULL")) {
      let owner: Run['owner'];
      try {
        owner = JSON.parse(String(r.owner)) as Run['owner'];
      } catch {
        continue;
      }
      if (!owner || typeof owner.pid !== 'number' || isProcessAlive(owner) !== false) continue;
      this.endRun(String(r.id), { incomplete: `the process recording it (pid ${owner.pid}) ended without ending the run` });
      closed.push(String(r.id));
    }
    return closed;
  }

  /** Retention given by this process is saved with the store (a reading command never deletes). */
  private saveRetention(): void {
    const bounded = (v: number | undefined, min: number) =>
      v !== undefined && Number.isFinite(v) ? Math.max(min, Math.floor(v)) : undefined;
    const maxRuns = bounded(this.opts.maxRuns, 1);
    const maxBytes = bounded(this.opts.maxBytes, 1024 * 1024);
    let changed = false;
    for (const [key, value] of [
      ['retention_max_runs', maxRuns],
      ['retention_max_bytes', maxBytes],
    ] as const) {
      if (value === undefined || this.catalog.meta(key) === String(value)) continue;
      this.catalog.setMeta(key, String(value));
      changed = true;
    }
    if (changed) this.snapshot(); // rare (the setting changed): written now, not at the next write
  }

  /** The retention this store applies: saved with it by whoever configured it, else the defaults. */
  retention(): { maxRuns: number; maxBytes: number } {
    const saved = (key: string) => {
      const v = Number(this.catalog.meta(key));
      return Number.isFinite(v) && v > 0 ? v : undefined;
    };
    return {
      maxRuns: this.opts.maxRuns ?? saved('retention_max_runs') ?? DEFAULT_MAX_RUNS,
      maxBytes: this.opts.maxBytes ?? saved('retention_max_bytes') ?? DEFAULT_MAX_SIZE_MB * 1024 * 1024,
    };
  }

  private enforceRetention(): void {
    const { maxRuns, maxBytes } = this.retention();
    const finished = this.catalog.all("SELECT id FROM runs WHERE status != 'RUNNING' ORDER BY received_ns ASC, id ASC") as { id: string }[];
    const total = Number(this.catalog.all('SELECT count(*) AS n FROM runs')[0]!.n);
    const victims = new Set<string>();
    for (let i = 0; i < finished.length && total - victims.size > maxRuns; i++) victims.add(finished[i]!.id);
    let size = this.sizeBytes();
    if (size > maxBytes) {
      for (const { id } of finished) {
        if (size <= maxBytes * 0.9) break;
        if (victims.has(id)) continue;
        victims.add(id);
        size -= this.runBytes(id);
      }
    }
    if (!victims.size) return;
    const ids = [...victims];
    const rec = this.record('delete', { runIds: ids });
    this.atomically(() => this.applyRecord(rec));
    this.emit({ type: 'deleted', runIds: ids });
  }

  private afterWrite(): void {
    this.trim();
    // After a burst (an import the user is about to open): digests wait until writes stop.
    if (this.digestTimer) clearTimeout(this.digestTimer);
    this.digestTimer = undefined;
    this.scheduleDigests(DIGEST_AFTER_WRITES_MS);
    if (!this.opts.path || !this.journal) return;
    // Rewriting a file costs O(its size); waiting until the journal is as large as the
    // largest changed file keeps that cost O(1) per journalled byte however large a run grows.
    const threshold = this.opts.snapshotJournalBytes ?? Math.max(32 * 1024 * 1024, this.catalogBytes, this.largestDirtyBytes);
    if (this.journal.size >= threshold) {
      this.snapshotInBackground();
      return;
    }
    this.scheduleSnapshot();
  }

  /** Write what changed once nothing has been written for a while (snapshotIdleMs). */
  private scheduleSnapshot(): void {
    if (!this.opts.path || !this.journal) return;
    const idle = this.opts.snapshotIdleMs ?? 5000;
    if (idle <= 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.closed) {
        try {
          this.snapshotInBackground();
        } catch (err) {
          this.opts.log?.(`snapshot failed (data is safe in the journal): ${(err as Error).message}`);
        }
      }
    }, idle);
    this.idleTimer.unref();
  }

  private emit(change: StoreChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (err) {
        this.opts.log?.(`store listener failed: ${(err as Error).stack ?? err}`);
      }
    }
  }

  /** Bring the catalog to the current schema; true when runs moved into their own files just now. */
  private migrate(): boolean {
    let moved = false;
    this.catalog.migrate(MIGRATIONS, 'database', (to) => {
      if (to === 3) moved = this.moveToRunFiles();
    });
    return moved;
  }

  /**
   * Schema 3: every run's spans, resources and output move from the one database into a
   * database of their own, copied by SQLite itself (ATTACH; sql.js keeps both in its memory
   * file system). Each run's file is written before the catalog drops the rows, so a crash
   * part-way leaves the old database whole: the next open moves everything again.
   * Read-only, the run databases stay in memory and nothing is written.
   */
  private moveToRunFiles(): boolean {
    const seq = this.catalog.meta('journal_seq') ?? '0';
    const ids = this.catalog
      .all('SELECT DISTINCT run_id AS id FROM spans UNION SELECT DISTINCT run_id AS id FROM output')
      .map((r) => String(r.id));
    if (!ids.length) return false;
    this.opts.log?.(`Moving ${ids.length} run(s) into one database file each (once, for schema 3)…`);
    for (const runId of ids) {
      const database = new this.SQL.Database();
      const db = new Db(database);
      db.migrate(RUN_MIGRATIONS, 'run database');
      db.setMeta('journal_seq', seq);
      db.setMeta('run_id', runId);
      const name = (database as unknown as { filename: string }).filename;
      this.catalog.exec(`ATTACH DATABASE '${name.replace(/'/g, "''")}' AS run`);
      try {
        this.catalog.run(
          `INSERT INTO run.resources (id, digest, attributes)
             SELECT id, digest, attributes FROM main.resources WHERE id IN (SELECT DISTINCT resource_id FROM main.spans WHERE run_id = ?)`,
          [runId],
        );
        this.catalog.run(`INSERT INTO run.spans (${SPAN_COLUMNS}) SELECT ${SPAN_COLUMNS} FROM main.spans WHERE run_id = ?`, [runId]);
        this.catalog.run(
          'INSERT INTO run.output (run_id, seq, stream, text) SELECT run_id, seq, stream, text FROM main.output WHERE run_id = ?',
          [runId],
        );
      } finally {
        this.catalog.freeStatements();
        this.catalog.exec('DETACH DATABASE run');
      }
      const file = this.runsDir ? path.join(this.runsDir, runFileName(runId)) : undefined;
      if (file && !this.readOnly) {
        fs.mkdirSync(this.runsDir!, { recursive: true });
        writeFileAtomic(file, db.export());
        db.close();
      } else {
        this.runDbs.set(runId, { runId, db, file: undefined, seq: Number(seq), dirty: true, usedAt: this.op, resourceIds: new Map() });
      }
    }
    return true;
  }
}

// ---------------------------------------------------------------- rows

const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));
/** A stored time; a value no valid write produces (REAL, text from an old version) reads as 0, never throws. */
const ns = (v: unknown): bigint =>
  typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : 0n;
const big = (v: unknown): bigint | undefined => (v === null || v === undefined ? undefined : ns(v));
const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

function rowToRun(r: Row): Run {
  return {
    id: String(r.id),
    name: String(r.name),
    status: r.status as Run['status'],
    source: r.source as Run['source'],
    command: r.command ? (JSON.parse(String(r.command)) as string[]) : undefined,
    cwd: str(r.cwd),
    startNs: ns(r.start_ns),
    endNs: big(r.end_ns),
    exitCode: num(r.exit_code),
    signal: str(r.signal),
    gitCommit: str(r.git_commit),
    traceId: str(r.trace_id),
    rootSpanId: str(r.root_span_id),
    workflow: str(r.workflow),
    attributes: JSON.parse(String(r.attributes)) as Attributes,
    spanCount: Number(r.span_count),
    errorCount: Number(r.error_count),
    launchSignature: str(r.launch_sig),
    owner: r.owner ? (JSON.parse(String(r.owner)) as Run['owner']) : undefined,
  };
}

function rowToSpan(r: Row): Span {
  return {
    runId: String(r.run_id),
    traceId: String(r.trace_id),
    spanId: String(r.span_id),
    parentSpanId: str(r.parent_span_id),
    name: String(r.name),
    kind: Number(r.kind),
    startNs: ns(r.start_ns),
    endNs: big(r.end_ns),
    status: r.status as Span['status'],
    statusMessage: str(r.status_message),
    statusLabel: str(r.status_label),
    attributes: JSON.parse(String(r.attributes)) as Attributes,
    events: decode<SpanEvent[]>(String(r.events)),
    truncated: r.truncated ? (JSON.parse(String(r.truncated)) as Record<string, number>) : undefined,
    resource: r.resource_attributes ? (JSON.parse(String(r.resource_attributes)) as Attributes) : undefined,
    scope: r.scope_name !== null && r.scope_name !== undefined ? { name: String(r.scope_name), version: str(r.scope_version) } : undefined,
  };
}

/** The columns of a narrow span read (spanHeads, digests): events only for failed spans. */
const HEAD_COLUMNS = `s.trace_id, s.span_id, s.parent_span_id, s.name, s.kind, s.start_ns, s.end_ns, s.status, s.status_message, s.status_label,
              CASE WHEN s.status IN ('ERROR', 'INCOMPLETE') THEN s.events END AS events`;

/** A row of HEAD_COLUMNS as a span head (no error or service yet). */
function headOf(runId: string, row: unknown[]): SpanHead {
  return {
    runId,
    traceId: String(row[0]),
    spanId: String(row[1]),
    parentSpanId: row[2] === null ? undefined : String(row[2]),
    name: String(row[3]),
    kind: Number(row[4]),
    startNs: ns(row[5]),
    endNs: big(row[6]),
    status: row[7] as SpanHead['status'],
    statusMessage: row[8] === null ? undefined : String(row[8]),
    statusLabel: row[9] === null ? undefined : String(row[9]),
  };
}

// ---------------------------------------------------------------- file, lock

/** Whether a file exists; any error but "no such file" (a folder this user may not enter…) is thrown, not taken as absent. */
function exists(file: string): boolean {
  try {
    fs.statSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new Error(`cannot read the trace database ${file}: ${(err as Error).message}`);
  }
}

function lockPath(dbPath: string): string {
  return `${dbPath}.lock`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLock(dbPath: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(lockPath(path.resolve(dbPath)), 'utf8')) as LockInfo;
    return typeof info.pid === 'number' && pidAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Say in the lock file what holds the database (shown to a second writer); who holds it stays as it is. */
export function describeLock(dbPath: string, info: Omit<LockInfo, 'pid' | 'thread'>): void {
  const p = lockPath(path.resolve(dbPath));
  let holder: Pick<LockInfo, 'pid' | 'thread'> = { pid: process.pid };
  try {
    const cur = JSON.parse(fs.readFileSync(p, 'utf8')) as LockInfo;
    if (cur.pid === process.pid) holder = { pid: cur.pid, thread: cur.thread };
  } catch {
    /* none yet */
  }
  fs.writeFileSync(p, JSON.stringify({ ...holder, ...info }));
}

function acquireLock(dbPath: string): void {
  if (openPaths.has(dbPath)) throw new DatabaseLockedError(dbPath, { pid: process.pid, what: 'this process' });
  const p = lockPath(dbPath);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(p, JSON.stringify(threadId ? { pid: process.pid, thread: threadId } : { pid: process.pid }), { flag: 'wx' });
      openPaths.add(dbPath);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readLock(dbPath);
      // Another process, or another thread of this one (a window's store thread), holds it.
      if (owner && (owner.pid !== process.pid || (owner.thread ?? 0) !== threadId)) throw new DatabaseLockedError(dbPath, owner);
      fs.rmSync(p, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${dbPath}`);
}

function releaseLock(dbPath: string): void {
  openPaths.delete(dbPath);
  try {
    const info = JSON.parse(fs.readFileSync(lockPath(dbPath), 'utf8')) as LockInfo;
    if (info.pid === process.pid && (info.thread ?? 0) === threadId) {
      fs.rmSync(secretPath(dbPath), { force: true });
      fs.rmSync(lockPath(dbPath), { force: true });
    }
  } catch {
    /* already gone */
  }
}

const secretPath = (dbPath: string): string => `${dbPath}.secret`;

/**
 * A fresh secret for this owner of the database, readable only by this user (0600), next
 * to the lock: local Runlens processes read it to send to the owner's collector; a web page
 * cannot. Rewritten by every owner, so a secret that came with a cloned repository is void.
 */
function writeSecret(dbPath: string, secret = randomBytes(32).toString('hex')): string {
  const tmp = `${secretPath(dbPath)}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.writeFileSync(tmp, secret, { mode: 0o600, flag: 'wx' });
  fs.renameSync(tmp, secretPath(dbPath));
  return secret;
}

/** The secret of the process that holds the database (for forwarding to it), if readable. */
export function readStoreSecret(dbPath: string): string | undefined {
  try {
    const text = fs.readFileSync(secretPath(path.resolve(dbPath)), 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
