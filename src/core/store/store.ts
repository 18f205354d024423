/**
 * The trace store: a sql.js SQLite database kept in memory, made durable by an append-only
 * journal (see journal.ts) and written out as a file by atomic snapshots. All writers go
 * through `apply`/`endRun`/`appendOutput`/`deleteRun`/`clear`; all views read the query
 * methods and subscribe to `onChange`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import initSqlJs, { type Database, type SqlJsStatic, type Statement } from 'sql.js';
import type { Attributes, IngestBatch, Run, RunPatch, Span, SpanEvent, SpanHead } from '../model';
import { deriveRunStatus, errorSummary, nowNs } from '../model';
import { Journal, type JournalRecord } from './journal';
import { MIGRATIONS } from './schema';
import { decode, encode, encodeData } from './codec';
import { boundRun, boundSpan, limitsWith, type Limits } from '../limits';
import { isProcessAlive } from '../processes';

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

export interface StoreChange {
  type: 'runs' | 'spans' | 'output' | 'deleted' | 'cleared';
  runIds: string[];
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
  what?: string;
  endpoint?: string;
}

const MAX_OUTPUT_LINES = 5000;
const MAX_OUTPUT_LINE = 4096;
const openPaths = new Set<string>();
let sqlPromise: Promise<SqlJsStatic> | undefined;

function loadSql(): Promise<SqlJsStatic> {
  if (!sqlPromise) {
    // Bundled: the wasm sits next to the bundle. Unbundled (tests): in the sql.js package.
    const candidates = [path.join(__dirname, 'sql-wasm.wasm')];
    try {
      candidates.push(path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm'));
    } catch {
      /* bundled without node_modules */
    }
    const wasm = candidates.find((p) => fs.existsSync(p));
    if (!wasm) throw new Error(`sql-wasm.wasm not found (looked in ${candidates.join(', ')})`);
    const wasmBinary = fs.readFileSync(wasm);
    sqlPromise = initSqlJs({ wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength) as ArrayBuffer });
  }
  return sqlPromise;
}

type Row = Record<string, unknown>;

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
const R = { traceId: 0, spanId: 1, runId: 2, parent: 3, startNs: 6, endNs: 7, status: 8, attributes: 11, events: 12, truncated: 13, resource: 14 } as const;

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
  const scalars = JSON.stringify([row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[14], row[15], row[16]]);
  return `${scalars.slice(0, -1)},${journalData(row[11])},${row[12]},${row[13] === null ? 'null' : journalData(row[13])}]`;
}

/** Plain JSON of data (the SQL column) as the journal must hold it: keys starting with U+0000 escaped (see codec). */
const journalData = (json: string): string => (json.includes('"\\u0000') ? encodeData(JSON.parse(json)) : json);

/** A journalled `apply` record → the rows `applyRecord` writes (also reads the older per-span form). */
function fromJournal(rec: JournalRecord): JournalRecord {
  if (rec.op !== 'apply') return rec;
  if (Array.isArray(rec.rows)) {
    const rows = (rec.rows as unknown[][]).map(
      (j): SpanRow => [
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
      ],
    );
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

/** sql.js reads INTEGER columns as bigint with this option (its typings predate it). */
interface BigIntRows {
  getAsObject(params: null, config: { useBigInt: boolean }): Row;
  get(params: null, config: { useBigInt: boolean }): unknown[];
}

export class TraceStore {
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private readonly statements = new Map<string, Statement>();
  private journal: Journal | undefined;
  private seq = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readOnly = false;
  private readonly resourceIds = new Map<string, number>();
  private readonly outputSeq = new Map<string, number>();
  /** Attached runs: when spans last arrived, and those taken as finished despite a missing parent. */
  private readonly lastTouched = new Map<string, number>();
  private readonly settled = new Set<string>();
  private readonly pending = new Map<string, Set<string>>();
  private readonly openedAt: number;
  /** Spans of the record being applied that belong to another run already (see updateSpan). */
  private conflicts: (SpanKey & { runId: string })[] = [];
  /** Size of the database file as last written (see afterWrite). */
  private snapshotBytes = 0;
  readonly maxAttrLength: number;
  readonly limits: Limits;
  /** Messages about recoveries made while opening (corrupt file moved aside…). */
  readonly warnings: string[] = [];

  private constructor(
    private readonly db: Database,
    private readonly opts: StoreOptions,
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
      const store = new TraceStore(new SQL.Database(), opts);
      store.secret = randomBytes(32).toString('hex');
      store.migrate();
      return store;
    }
    const dbPath = path.resolve(opts.path);
    if (opts.readOnly) return TraceStore.openReadOnly(SQL, dbPath, opts);
    const dir = path.dirname(dbPath);
    fs.mkdirSync(dir, { recursive: true });
    const ignore = path.join(dir, '.gitignore');
    if (path.basename(dir) === '.runlens' && !fs.existsSync(ignore)) fs.writeFileSync(ignore, '# Runlens trace database: local data, not source.\n*\n');
    acquireLock(dbPath);
    let secret: string;
    try {
      secret = writeSecret(dbPath);
    } catch (err) {
      releaseLock(dbPath);
      throw err;
    }
    const warnings: string[] = [];
    let db: Database;
    try {
      db = loadDatabase(SQL, dbPath, warnings);
    } catch (err) {
      releaseLock(dbPath);
      throw err;
    }
    const store = new TraceStore(db, { ...opts, path: dbPath });
    store.secret = secret;
    store.warnings.push(...warnings);
    try {
      store.snapshotBytes = fs.statSync(dbPath).size;
    } catch {
      /* a new database */
    }
    try {
      store.migrate();
      store.journal = new Journal(`${dbPath}.journal`);
      const snapshotSeq = Number(store.meta('journal_seq') ?? '0');
      const replay = store.journal.replay();
      store.seq = snapshotSeq;
      const skipped = store.replay(replay.records, snapshotSeq);
      const lost = replay.unreadable + skipped.length;
      if (lost) {
        const details = [replay.problem, ...skipped.slice(0, 3)].filter(Boolean).join('; ');
        store.warnings.push(`${lost} journal record${lost === 1 ? '' : 's'} unreadable or unusable, skipped; every other record was kept (${details})`);
      }
      store.recountOutput();
      store.saveRetention();
      store.closeOrphans();
      if (lost) store.snapshot(); // the journal starts over: its damage is reported once, kept aside
    } catch (err) {
      store.journal?.close();
      releaseLock(dbPath);
      throw err;
    }
    for (const w of store.warnings) opts.log?.(w);
    return store;
  }

  private static openReadOnly(SQL: SqlJsStatic, dbPath: string, opts: StoreOptions): TraceStore {
    let bytes: Buffer | undefined;
    try {
      bytes = fs.readFileSync(dbPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const store = new TraceStore(bytes?.length ? new SQL.Database(bytes) : new SQL.Database(), { ...opts, path: undefined });
    store.migrate();
    const snapshotSeq = Number(store.meta('journal_seq') ?? '0');
    const replay = new Journal(`${dbPath}.journal`).replay(true);
    const skipped = store.replay(replay.records, snapshotSeq);
    if (replay.unreadable + skipped.length) store.warnings.push(`${replay.unreadable + skipped.length} journal record(s) unreadable or unusable, skipped`);
    store.readOnly = true;
    return store;
  }

  /**
   * Apply journalled records after `afterSeq`, each on its own: a record that cannot be
   * applied (damaged, or written by a bug) is rolled back alone and reported, never taking
   * the records after it, or the store, with it.
   */
  private replay(records: JournalRecord[], afterSeq: number): string[] {
    const skipped: string[] = [];
    this.transaction(() => {
      for (const rec of records) {
        if (rec.seq <= afterSeq) continue;
        this.db.exec('SAVEPOINT record');
        try {
          this.applyRecord(fromJournal(rec));
          this.db.exec('RELEASE record');
        } catch (err) {
          this.db.exec('ROLLBACK TO record; RELEASE record');
          this.resourceIds.clear(); // ids cached by the rolled-back record may not exist
          skipped.push(`record ${rec.seq} (${rec.op}): ${(err as Error).message}`);
        }
        if (rec.seq > this.seq) this.seq = rec.seq;
      }
    });
    return skipped;
  }

  // ------------------------------------------------------------------ writes

  /** Upsert runs and spans. Durable (journalled) when it returns. */
  apply(batch: IngestBatch): ApplyResult {
    if (!batch.runs.length && !batch.spans.length) return { rejected: 0 };
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
      const s = spans[i];
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
    this.conflicts = [];
    const runIds = this.transaction(() => this.applyRecord(rec));
    const conflicts = this.conflicts;
    this.conflicts = [];
    this.emit({ type: 'runs', runIds });
    if (spans.length) {
      const moved = conflicts.length ? new Set(conflicts.map((k) => `${k.traceId} ${k.spanId}`)) : undefined;
      const stored = moved ? spans.filter((s) => !moved.has(`${s.traceId} ${s.spanId}`)) : spans;
      if (stored.length) this.emit({ type: 'spans', runIds, spans: stored });
    }
    if (created) this.enforceRetention();
    this.afterWrite();
    const result: ApplyResult = rejected ? { rejected, rejectMessage: `a run holds at most ${this.limits.spansPerRun} spans` } : { rejected: 0 };
    if (conflicts.length) result.conflicts = conflicts;
    return result;
  }

  /** The spans of a batch within the limits, less those of runs that are full. */
  private admit(spans: Span[], newRuns: Set<string>): Span[] {
    const room = new Map<string, number>();
    const out: Span[] = [];
    for (const s of spans) {
      let left = room.get(s.runId);
      if (left === undefined) {
        const row = this.all('SELECT span_count FROM runs WHERE id = ?', [s.runId])[0];
        if (!row) newRuns.add(s.runId);
        left = this.limits.spansPerRun - (row ? Number(row.span_count) : 0);
      }
      room.set(s.runId, left - 1);
      if (left > 0) out.push(boundSpan(s, this.limits));
    }
    return out;
  }

  /** A run's process ended: its still-open spans become INCOMPLETE, its status is settled. */
  /**
   * `cancelled`: the user stopped it (CANCELLED). `incomplete`: why the run ended without its
   * process saying so (INCOMPLETE, the reason kept in `runlens.incomplete_reason`).
   */
  endRun(runId: string, exit: { exitCode?: number; signal?: string; endNs?: bigint; cancelled?: boolean; incomplete?: string }): Run {
    const rec = this.record('end', {
      runId,
      exitCode: exit.exitCode,
      signal: exit.signal,
      endNs: exit.endNs ?? nowNs(),
      cancelled: exit.cancelled || undefined,
      incomplete: exit.incomplete,
    });
    const changed = this.transaction(() => {
      const before = this.getSpans(runId).filter((s) => s.status === 'RUNNING');
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

  /** Plain output lines of a run (not span data), kept up to a cap per run. */
  /**
   * `start`: the line number of the first line (a writer that sends its run's output again
   * after a hand-over rewrites the same lines, never appends them twice). Default: after the last.
   */
  appendOutput(runId: string, stream: 'stdout' | 'stderr', lines: string[], start = this.outputSeq.get(runId) ?? 0): void {
    if (!lines.length) return;
    const room = Math.max(0, MAX_OUTPUT_LINES - start);
    if (room === 0) return;
    const kept = lines.slice(0, room).map((l) => (l.length > MAX_OUTPUT_LINE ? l.slice(0, MAX_OUTPUT_LINE) + '…' : l));
    const rec = this.record('output', { runId, stream, start, lines: kept });
    this.transaction(() => this.applyRecord(rec));
    this.emit({ type: 'output', runIds: [runId] });
    this.afterWrite();
  }

  deleteRun(runId: string): void {
    const rec = this.record('delete', { runIds: [runId] });
    this.transaction(() => this.applyRecord(rec));
    this.emit({ type: 'deleted', runIds: [runId] });
    this.afterWrite();
  }

  clear(): void {
    const ids = this.listRuns().map((r) => r.id);
    const rec = this.record('clear', {});
    this.transaction(() => this.applyRecord(rec));
    this.emit({ type: 'cleared', runIds: ids });
    this.afterWrite();
  }

  // ------------------------------------------------------------------ reads

  listRuns(opts: { limit?: number; workflow?: string; status?: string } = {}): Run[] {
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
    return this.all(sql, params).map(rowToRun);
  }

  /** By id, unique id prefix, or `last` (the newest run). */
  getRun(idOrPrefix: string): Run | undefined {
    if (idOrPrefix === 'last') return this.listRuns({ limit: 1 })[0];
    const exact = this.all('SELECT * FROM runs WHERE id = ?', [idOrPrefix])[0];
    if (exact) return rowToRun(exact);
    const rows = this.all("SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' LIMIT 2", [idOrPrefix.replace(/[\\%_]/g, '\\$&') + '%']);
    return rows.length === 1 ? rowToRun(rows[0]) : undefined;
  }

  getSpans(runId: string): Span[] {
    return this.all(
      `SELECT s.*, r.attributes AS resource_attributes FROM spans s LEFT JOIN resources r ON r.id = s.resource_id
       WHERE s.run_id = ? ORDER BY s.start_ns, s.span_id`,
      [runId],
    ).map(rowToSpan);
  }

  /**
   * A run's spans without attributes, events, resource (a narrow read for drawing many
   * spans: the timeline, the tree); events are decoded only for failed spans, for `error`.
   */
  spanHeads(runId: string): SpanHead[] {
    const stmt = this.stmt(
      `SELECT trace_id, span_id, parent_span_id, name, kind, start_ns, end_ns, status, status_message, status_label,
              CASE WHEN status IN ('ERROR', 'INCOMPLETE') THEN events END AS events
       FROM spans WHERE run_id = ? ORDER BY start_ns, span_id`,
    );
    const out: SpanHead[] = [];
    try {
      stmt.bind([runId]);
      while (stmt.step()) {
        const r = (stmt as unknown as BigIntRows).get(null, { useBigInt: true });
        const head: SpanHead = {
          runId,
          traceId: String(r[0]),
          spanId: String(r[1]),
          parentSpanId: r[2] === null ? undefined : String(r[2]),
          name: String(r[3]),
          kind: Number(r[4]),
          startNs: ns(r[5]),
          endNs: big(r[6]),
          status: r[7] as SpanHead['status'],
          statusMessage: r[8] === null ? undefined : String(r[8]),
          statusLabel: r[9] === null ? undefined : String(r[9]),
        };
        if (head.status === 'ERROR' || head.status === 'INCOMPLETE') {
          const events = r[10] === null ? [] : decode<SpanEvent[]>(String(r[10]));
          head.error = errorSummary({ ...head, attributes: {}, events });
        }
        out.push(head);
      }
    } finally {
      stmt.reset();
    }
    return out;
  }

  getSpan(runId: string, spanId: string): Span | undefined {
    const row = this.all(
      `SELECT s.*, r.attributes AS resource_attributes FROM spans s LEFT JOIN resources r ON r.id = s.resource_id
       WHERE s.run_id = ? AND s.span_id = ?`,
      [runId, spanId],
    )[0];
    return row ? rowToSpan(row) : undefined;
  }

  /** The stored spans with these (trace id, span id) keys, whatever their run. */
  spansByKey(keys: readonly SpanKey[]): Span[] {
    const out: Span[] = [];
    for (const k of keys) {
      const row = this.all(
        `SELECT s.*, r.attributes AS resource_attributes FROM spans s LEFT JOIN resources r ON r.id = s.resource_id
         WHERE s.trace_id = ? AND s.span_id = ?`,
        [k.traceId, k.spanId],
      )[0];
      if (row) out.push(rowToSpan(row));
    }
    return out;
  }

  /** Spans with a given name across the newest runs (step history). */
  spansNamed(name: string, limit = 200): Span[] {
    return this.all(
      `SELECT s.* FROM spans s JOIN runs r ON r.id = s.run_id WHERE s.name = ? ORDER BY r.start_ns DESC LIMIT ?`,
      [name, limit],
    ).map(rowToSpan);
  }

  /** A run's output lines in order, from line number `from` on. */
  getOutput(runId: string, from = 0): { stream: string; text: string; seq: number }[] {
    return (this.all('SELECT stream, text, seq FROM output WHERE run_id = ? AND seq >= ? ORDER BY seq', [runId, from]) as { stream: string; text: string; seq: unknown }[]).map(
      (r) => ({ stream: r.stream, text: r.text, seq: Number(r.seq) }),
    );
  }

  /** Raw SQL for tools and tests (read-only use expected). */
  query(sql: string, params: (string | number | bigint | null)[] = []): Row[] {
    return this.all(sql, params);
  }

  onChange(listener: (c: StoreChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Approximate in-memory database size in bytes. */
  sizeBytes(): number {
    const pages = Number(this.all('PRAGMA page_count')[0].page_count);
    const size = Number(this.all('PRAGMA page_size')[0].page_size);
    return pages * size;
  }

  // ------------------------------------------------------------------ persistence

  /** Write the whole database file now (atomically) and start the journal over. */
  snapshot(): void {
    if (!this.opts.path || !this.journal) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.setMeta('journal_seq', String(this.seq));
    this.freeStatements(); // export() closes and reopens the database: statements die
    const data = this.db.export();
    this.tune();
    const tmp = `${this.opts.path}.tmp-${process.pid}`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.opts.path);
    this.snapshotBytes = data.length;
    this.journal.reset();
  }

  /** fsync the journal: acknowledged data then survives power loss too, not only kill -9. */
  sync(): void {
    this.journal?.sync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.opts.path && this.journal && this.journal.size > 0) this.snapshot();
    } finally {
      this.journal?.close();
      this.freeStatements();
      this.db.close();
      if (this.opts.path) releaseLock(this.opts.path);
      this.listeners.clear();
    }
  }

  // ------------------------------------------------------------------ internals

  private record(op: string, body: Record<string, unknown>, preEncoded?: Record<string, string>): JournalRecord {
    if (this.closed) throw new Error('the trace store is closed');
    if (this.readOnly) throw new Error('this trace store was opened read-only');
    const rec: JournalRecord = { seq: this.seq + 1, op, ...body };
    this.journal?.append(rec, preEncoded);
    this.seq = rec.seq;
    return rec;
  }

  /** Apply one journal record to the database (live or on replay). Returns touched run ids. */
  private applyRecord(rec: JournalRecord): string[] {
    switch (rec.op) {
      case 'apply': {
        const runs = rec.runs as RunPatch[];
        const rows = rec.rows as SpanRow[];
        const resourceIds = (rec.resources as string[]).map((json) => this.resourceId(json));
        const counts = new Map<string, RunCounts>();
        // Journals before received times carry no `at`: their runs count as received on replay.
        const at = typeof rec.at === 'bigint' ? rec.at : nowNs();
        for (const r of runs) {
          this.upsertRun(r, at);
          counts.set(r.id, emptyCounts());
        }
        const insertOne = this.stmt(INSERT_SPAN_IF_NEW);
        const params: (string | number | null | Buffer)[] = [];
        for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
          const n = Math.min(INSERT_CHUNK, rows.length - i);
          params.length = 0;
          for (let j = i; j < i + n; j++) {
            const row = rows[j];
            const runId = row[R.runId];
            let c = counts.get(runId);
            if (!c) {
              if (!this.runExists(runId)) this.upsertRun({ id: runId, name: runId, source: 'otlp', startNs: BigInt(row[R.startNs]), traceId: row[R.traceId] }, at);
              counts.set(runId, (c = emptyCounts()));
            }
            const res = row[R.resource];
            if (res !== null) row[R.resource] = resourceIds[res];
            countStatus(c, row[R.status], 1);
            c.spans++;
            (c.rows ??= []).push(row);
            const start = row[R.startNs];
            if (c.first === undefined || decLess(start, c.first)) c.first = start;
            const end = row[R.endNs];
            if (end !== null && (c.last === undefined || decLess(c.last, end))) c.last = end;
            if (n === INSERT_CHUNK) {
              for (let k = 0; k < R.attributes; k++) params.push(row[k]);
              params.push(Buffer.from(row[R.attributes]), Buffer.from(row[R.events]));
              for (let k = R.truncated; k < row.length; k++) params.push(row[k]);
            }
          }
          // New spans (the usual case) insert in one step, a chunk at a time; only spans seen
          // before are looked up and updated, in order.
          if (n === INSERT_CHUNK) {
            this.stmt(INSERT_SPANS_IF_NEW).run(params as never);
            const inserted = this.db.getRowsModified();
            if (inserted === n) continue;
            // Rows inserted by one statement take consecutive rowids after the largest one.
            const fresh = new Set<string>();
            if (inserted > 0) {
              const last = this.all('SELECT last_insert_rowid() AS id')[0].id as bigint;
              for (const r of this.all('SELECT trace_id, span_id FROM spans WHERE rowid > ?', [BigInt(last) - BigInt(inserted)])) fresh.add(`${r.trace_id} ${r.span_id}`);
            }
            for (let j = i; j < i + n; j++) {
              const key = `${rows[j][R.traceId]} ${rows[j][R.spanId]}`;
              if (fresh.delete(key)) continue; // the first of its key in the chunk: inserted
              this.updateSpan(rows[j], counts);
            }
          } else {
            for (let j = i; j < i + n; j++) {
              insertOne.run(rows[j] as never);
              if (this.db.getRowsModified() !== 1) this.updateSpan(rows[j], counts);
            }
          }
        }
        for (const [id, c] of counts) this.refreshRun(id, c);
        return [...counts.keys()];
      }
      case 'end': {
        const runId = rec.runId as string;
        const endNs = rec.endNs as bigint;
        this.run('UPDATE spans SET status = ? WHERE run_id = ? AND status = ?', ['INCOMPLETE', runId, 'RUNNING']);
        const hung = this.db.getRowsModified();
        this.run('UPDATE runs SET running_count = running_count - ?, error_count = error_count + ? WHERE id = ?', [hung, hung, runId]);
        const counts = this.all('SELECT error_count, attributes FROM runs WHERE id = ?', [runId])[0];
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
        this.run('UPDATE runs SET end_ns = ?, exit_code = ?, signal = ?, status = ? WHERE id = ?', [
          endNs,
          exit.exitCode ?? null,
          exit.signal ?? null,
          status,
          runId,
        ]);
        if (exit.incomplete) {
          this.run('UPDATE runs SET attributes = json_set(attributes, ?, ?) WHERE id = ?', ['$."runlens.incomplete_reason"', exit.incomplete, runId]);
        }
        return [runId];
      }
      case 'settle': {
        const ids = rec.runIds as string[];
        for (const id of ids) {
          this.settled.add(id);
          this.run('UPDATE runs SET attributes = json_set(attributes, ?, json(?)) WHERE id = ?', ['$."runlens.settled"', 'true', id]);
          this.refreshRun(id, emptyCounts());
        }
        return ids;
      }
      case 'output': {
        const runId = rec.runId as string;
        const lines = rec.lines as string[];
        let seq = rec.start as number;
        for (const text of lines) this.run('INSERT OR REPLACE INTO output (run_id, seq, stream, text) VALUES (?, ?, ?, ?)', [runId, seq++, rec.stream as string, text]);
        this.outputSeq.set(runId, Math.max(this.outputSeq.get(runId) ?? 0, seq));
        return [runId];
      }
      case 'delete': {
        const ids = rec.runIds as string[];
        for (const id of ids) {
          this.run('DELETE FROM spans WHERE run_id = ?', [id]);
          this.run('DELETE FROM output WHERE run_id = ?', [id]);
          this.run('DELETE FROM runs WHERE id = ?', [id]);
          this.outputSeq.delete(id);
          this.lastTouched.delete(id);
          this.settled.delete(id);
          this.pending.delete(id);
        }
        return ids;
      }
      case 'clear': {
        this.db.exec('DELETE FROM spans; DELETE FROM output; DELETE FROM runs; DELETE FROM resources;');
        this.resourceIds.clear();
        this.outputSeq.clear();
        this.lastTouched.clear();
        this.settled.clear();
        this.pending.clear();
        return [];
      }
      default:
        throw new Error(`unknown journal record ${rec.op}`);
    }
  }

  private runExists(id: string): boolean {
    return this.all('SELECT 1 AS x FROM runs WHERE id = ?', [id]).length > 0;
  }

  private upsertRun(p: RunPatch, receivedAt: bigint): void {
    const existing = this.all('SELECT * FROM runs WHERE id = ?', [p.id])[0];
    const cur: Partial<Run> = existing ? rowToRun(existing) : {};
    const merged = {
      ...cur,
      ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)),
      attributes: { ...(cur.attributes ?? {}), ...(p.attributes ?? {}) },
    } as Run;
    if (existing && p.startNs !== undefined && cur.startNs !== undefined && cur.startNs < p.startNs) merged.startNs = cur.startNs;
    this.run(
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
  private updateSpan(row: SpanRow, counts: Map<string, RunCounts>): void {
    const before = this.all('SELECT run_id, status FROM spans WHERE trace_id = ? AND span_id = ?', [row[R.traceId], row[R.spanId]])[0];
    const c = counts.get(row[R.runId])!;
    if (before && String(before.run_id) !== row[R.runId]) {
      // A span never moves to another run (an import of a trace already stored, a client
      // reusing ids): it stays where it is, and the writer is told (ApplyResult.conflicts).
      countStatus(c, row[R.status], -1);
      c.spans--;
      this.conflicts.push({ traceId: row[R.traceId], spanId: row[R.spanId], runId: String(before.run_id) });
      return;
    }
    if (before) {
      countStatus(c, String(before.status), -1);
      c.spans--;
    }
    this.run(UPSERT_SPAN, row);
  }

  /** The resources row of a resource (attributes as JSON), created on first use. */
  private resourceId(json: string): number {
    const digest = createHash('sha1').update(json).digest('hex');
    let id = this.resourceIds.get(digest);
    if (id === undefined) {
      this.run('INSERT OR IGNORE INTO resources (digest, attributes) VALUES (?, ?)', [digest, json]);
      id = Number(this.all('SELECT id FROM resources WHERE digest = ?', [digest])[0].id);
      this.resourceIds.set(digest, id);
    }
    return id;
  }

  /**
   * Add a batch's span counts to its run (O(batch), never O(run): live runs grow large).
   * Runs without a process (attached, imported) get their status and time range from spans.
   */
  private refreshRun(runId: string, c: RunCounts): void {
    this.run(
      `UPDATE runs SET span_count = span_count + ?, error_count = error_count + ?, running_count = running_count + ?
       WHERE id = ?`,
      [c.spans, c.errors, c.running, runId],
    );
    const run = this.all('SELECT source, attributes, running_count, error_count, end_ns FROM runs WHERE id = ?', [runId])[0];
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
    const prevEnd = status !== 'RUNNING' && run.end_ns === null ? big(this.all('SELECT max(end_ns) AS e FROM spans WHERE run_id = ?', [runId])[0]?.e) : big(run.end_ns);
    const last = c.last === undefined ? undefined : BigInt(c.last);
    const end = last !== undefined && (prevEnd === undefined || last > prevEnd) ? last : prevEnd;
    this.run('UPDATE runs SET status = ?, start_ns = min(start_ns, coalesce(CAST(? AS INTEGER), start_ns)), end_ns = ? WHERE id = ?', [
      status,
      c.first === undefined ? null : BigInt(c.first),
      status === 'RUNNING' ? null : (end ?? null),
      runId,
    ]);
  }

  /**
   * Parents an attached run's spans point at that have not arrived ("trace parent"). Read
   * from the database once per run and session, then kept up to date from each batch's
   * spans: O(batch), whatever the size of the run.
   */
  private pendingParents(runId: string, c: RunCounts): Set<string> {
    let pending = this.pending.get(runId);
    if (!pending) {
      pending = new Set();
      for (const r of this.all(
        `SELECT DISTINCT s.trace_id AS t, s.parent_span_id AS p FROM spans s WHERE s.run_id = ? AND s.parent_span_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM spans q WHERE q.trace_id = s.trace_id AND q.span_id = s.parent_span_id)`,
        [runId],
      ))
        pending.add(`${r.t} ${r.p}`);
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
      if (!this.all('SELECT 1 FROM spans WHERE trace_id = ? AND span_id = ?', [t, parent]).length) pending.add(k);
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
    const due: string[] = [];
    for (const r of this.all("SELECT id FROM runs WHERE source = 'otlp' AND status = 'RUNNING' AND running_count = 0") as { id: string }[]) {
      const last = this.lastTouched.get(r.id) ?? this.openedAt;
      if (now - last >= idleMs && !this.settled.has(r.id)) due.push(r.id);
    }
    if (!due.length) return [];
    // Journalled like any write: a settled run stays settled after a restart or a crash.
    const rec = this.record('settle', { runIds: due });
    this.transaction(() => this.applyRecord(rec));
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
    const closed: string[] = [];
    for (const r of this.all("SELECT id, owner FROM runs WHERE status = 'RUNNING' AND owner IS NOT NULL")) {
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
    const bounded = (v: number | undefined, min: number) => (v !== undefined && Number.isFinite(v) ? Math.max(min, Math.floor(v)) : undefined);
    const maxRuns = bounded(this.opts.maxRuns, 1);
    const maxBytes = bounded(this.opts.maxBytes, 1024 * 1024);
    let changed = false;
    for (const [key, value] of [['retention_max_runs', maxRuns], ['retention_max_bytes', maxBytes]] as const) {
      if (value === undefined || this.meta(key) === String(value)) continue;
      this.setMeta(key, String(value));
      changed = true;
    }
    if (changed) this.snapshot(); // rare (the setting changed): written now, not at the next write
  }

  /** The retention this store applies: saved with it by whoever configured it, else the defaults. */
  retention(): { maxRuns: number; maxBytes: number } {
    const saved = (key: string) => {
      const v = Number(this.meta(key));
      return Number.isFinite(v) && v > 0 ? v : undefined;
    };
    return {
      maxRuns: this.opts.maxRuns ?? saved('retention_max_runs') ?? 200,
      maxBytes: this.opts.maxBytes ?? saved('retention_max_bytes') ?? 200 * 1024 * 1024,
    };
  }

  private enforceRetention(): void {
    const { maxRuns, maxBytes } = this.retention();
    const finished = this.all("SELECT id FROM runs WHERE status != 'RUNNING' ORDER BY received_ns ASC, id ASC") as { id: string }[];
    const total = Number(this.all('SELECT count(*) AS n FROM runs')[0].n);
    const victims = new Set<string>();
    for (let i = 0; i < finished.length && total - victims.size > maxRuns; i++) victims.add(finished[i].id);
    if (this.sizeBytes() > maxBytes) {
      const sizes = this.all(
        `SELECT run_id, sum(length(attributes) + length(events) + length(name) + 120) AS bytes FROM spans GROUP BY run_id`,
      ) as { run_id: string; bytes: number }[];
      const byRun = new Map(sizes.map((r) => [r.run_id, Number(r.bytes)]));
      let estimate = [...byRun.values()].reduce((a, b) => a + b, 0);
      for (const { id } of finished) {
        if (estimate <= maxBytes * 0.9) break;
        if (!victims.has(id)) victims.add(id);
        estimate -= byRun.get(id) ?? 0;
      }
    }
    if (!victims.size) return;
    const ids = [...victims];
    const rec = this.record('delete', { runIds: ids });
    this.transaction(() => this.applyRecord(rec));
    if (this.sizeBytes() > maxBytes) {
      this.freeStatements();
      this.db.exec('VACUUM');
    }
    this.emit({ type: 'deleted', runIds: ids });
  }

  private afterWrite(): void {
    if (!this.opts.path || !this.journal) return;
    // Rewriting the file costs O(database); waiting until the journal is as large as the
    // file keeps that cost O(1) per journalled byte however large the database grows.
    const threshold = this.opts.snapshotJournalBytes ?? Math.max(32 * 1024 * 1024, this.snapshotBytes);
    if (this.journal.size >= threshold) {
      this.snapshot();
      return;
    }
    const idle = this.opts.snapshotIdleMs ?? 5000;
    if (idle <= 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.closed) {
        try {
          this.snapshot();
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

  /**
   * The database lives in memory and our journal makes writes durable, so SQLite's own
   * rollback journal and syncs are pure cost. export() resets pragmas: call again after it.
   */
  private tune(): void {
    this.db.exec('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;');
  }

  private migrate(): void {
    this.tune();
    const version = Number(this.all('PRAGMA user_version')[0].user_version);
    if (version > MIGRATIONS.length) {
      throw new Error(`database schema version ${version} is newer than this Runlens (${MIGRATIONS.length}); update Runlens`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.transaction(() => {
        this.db.exec(MIGRATIONS[v]);
        this.db.exec(`PRAGMA user_version = ${v + 1}`);
      });
    }
  }

  private recountOutput(): void {
    for (const row of this.all('SELECT run_id, max(seq) + 1 AS n FROM output GROUP BY run_id')) {
      this.outputSeq.set(String(row.run_id), Number(row.n));
    }
  }

  private meta(key: string): string | undefined {
    return this.all('SELECT value FROM meta WHERE key = ?', [key])[0]?.value as string | undefined;
  }

  private setMeta(key: string, value: string): void {
    this.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [key, value]);
  }

  private transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private freeStatements(): void {
    for (const s of this.statements.values()) s.free();
    this.statements.clear();
  }

  private run(sql: string, params: unknown[]): void {
    const s = this.stmt(sql);
    s.run(params as never);
  }

  private all(sql: string, params: unknown[] = []): Row[] {
    const s = this.stmt(sql);
    try {
      s.bind(params as never);
      const rows: Row[] = [];
      while (s.step()) rows.push((s as unknown as BigIntRows).getAsObject(null, { useBigInt: true }));
      return rows;
    } finally {
      s.reset();
    }
  }
}

// ---------------------------------------------------------------- rows

const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));
/** A stored time; a value no valid write produces (REAL, text from an old version) reads as 0, never throws. */
const ns = (v: unknown): bigint => (typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : 0n);
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

// ---------------------------------------------------------------- file, lock

/**
 * Read the database file. A file that is not a readable SQLite database is moved aside
 * (never overwritten) and an empty database starts in its place, with a warning.
 */
function loadDatabase(SQL: SqlJsStatic, dbPath: string, warnings: string[]): Database {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(dbPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new SQL.Database();
    throw new Error(`cannot read the trace database ${dbPath}: ${(err as Error).message}`);
  }
  if (bytes.length === 0) return new SQL.Database();
  let db: Database | undefined;
  try {
    db = new SQL.Database(bytes);
    const check = db.exec('PRAGMA quick_check');
    const verdict = String(check[0]?.values[0]?.[0] ?? '');
    if (verdict !== 'ok') throw new Error(verdict || 'integrity check failed');
    db.exec('SELECT count(*) FROM sqlite_master');
    return db;
  } catch (err) {
    db?.close();
    const aside = `${dbPath}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    fs.renameSync(dbPath, aside);
    warnings.push(
      `The trace database ${dbPath} could not be read (${(err as Error).message}). It was moved to ${aside}; ` +
        'a new empty database was started. The journal, if any, is replayed into it.',
    );
    return new SQL.Database();
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

/** Say in the lock file what holds the database (shown to a second writer). */
export function describeLock(dbPath: string, info: Omit<LockInfo, 'pid'>): void {
  const p = lockPath(path.resolve(dbPath));
  fs.writeFileSync(p, JSON.stringify({ pid: process.pid, ...info }));
}

function acquireLock(dbPath: string): void {
  if (openPaths.has(dbPath)) throw new DatabaseLockedError(dbPath, { pid: process.pid, what: 'this process' });
  const p = lockPath(dbPath);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(p, JSON.stringify({ pid: process.pid }), { flag: 'wx' });
      openPaths.add(dbPath);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readLock(dbPath);
      if (owner && owner.pid !== process.pid) throw new DatabaseLockedError(dbPath, owner);
      fs.rmSync(p, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${dbPath}`);
}

function releaseLock(dbPath: string): void {
  openPaths.delete(dbPath);
  try {
    const info = JSON.parse(fs.readFileSync(lockPath(dbPath), 'utf8')) as LockInfo;
    if (info.pid === process.pid) {
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
function writeSecret(dbPath: string): string {
  const secret = randomBytes(32).toString('hex');
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
