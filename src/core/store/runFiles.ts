/**
 * The runs' own databases (`<catalog>.runs/<sha256(id)>.db`: spans, resources, output): each
 * opened from its file when a question or a write needs it (or created), a few kept open,
 * the rest closed once idle and written; their files written, sized, removed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { SqlJsStatic } from 'sql.js';
import { RUN_MIGRATIONS } from './schema';
import { Db, loadDatabase, writeFileAtomic } from './sqlite';

/** A run's own database: its file (absent in memory), the journal record it holds up to. */
export interface RunDb {
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

/** Run databases kept open when not in use (the newest used). Changed ones stay until written. */
const OPEN_RUN_DBS = 4;

/** `<catalog>.runs/`: where a store's per-run database files live. */
export const runsDirOf = (dbPath: string): string => `${dbPath}.runs`;
/** A run's database file name: its id hashed (run ids come from clients: never a path). */
export const runFileName = (runId: string): string => `${createHash('sha256').update(runId).digest('hex').slice(0, 32)}.db`;

/** Whether a file exists; any error but "no such file" (a folder this user may not enter…) is thrown, not taken as absent. */
export function exists(file: string): boolean {
  try {
    fs.statSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new Error(`cannot read the trace database ${file}: ${(err as Error).message}`);
  }
}

/** The pool of one store's run databases. */
export class RunFiles {
  private readonly open = new Map<string, RunDb>();
  /** Sizes of the runs' files, as last written or read. */
  private readonly fileBytes = new Map<string, number>();
  /** The operation under way: reads and writes each start one (see RunDb.usedAt). */
  op = 0;
  /** The largest changed run database since the last snapshot (see Snapshots.due). */
  largestDirtyBytes = 0;
  /** Runs whose files a background snapshot is writing: kept open until it is done. */
  readonly writing = new Set<string>();
  /** Databases inside the record being applied (each holds a savepoint: the record is all or nothing). */
  recordDbs: Set<Db> | undefined;
  /** Databases inside the backlog slice being written (one commit per slice, not per record). */
  sliceDbs: Set<Db> | undefined;

  constructor(
    private readonly SQL: SqlJsStatic,
    /** Where the files are; undefined: an in-memory store. */
    readonly dir: string | undefined,
    private readonly readOnly: boolean,
    /** Told of recoveries made while opening a file (a damaged one moved aside…). */
    private readonly report: (warning: string) => void,
  ) {}

  /** How many are open. */
  get size(): number {
    return this.open.size;
  }

  /** The open ones. */
  values(): IterableIterator<RunDb> {
    return this.open.values();
  }

  /** A run's database if it is open, without opening or using it. */
  peek(runId: string): RunDb | undefined {
    return this.open.get(runId);
  }

  /** A run's file (undefined in memory). */
  fileOf(runId: string): string | undefined {
    return this.dir ? path.join(this.dir, runFileName(runId)) : undefined;
  }

  /**
   * A run's database, opened from its file (or created, with `create`) and kept among the
   * recently used; it joins the record and the slice being written. Undefined when the run
   * has no database and `create` is false.
   */
  get(runId: string, create: boolean): RunDb | undefined {
    let r = this.open.get(runId);
    if (!r) {
      const file = this.fileOf(runId);
      if (!create && (!file || !exists(file))) return undefined;
      const warnings: string[] = [];
      const db = new Db(file ? loadDatabase(this.SQL, file, warnings, this.readOnly) : new this.SQL.Database());
      for (const w of warnings) this.report(w);
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
      this.open.set(runId, r);
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

  /** Keep a database made elsewhere open (a run moved out of an old catalog, read-only). */
  adopt(r: RunDb): void {
    this.open.set(r.runId, r);
  }

  /** Close the run databases beyond the few most recently used; changed ones stay until written. */
  trim(): void {
    if (this.open.size <= OPEN_RUN_DBS || this.recordDbs || this.sliceDbs) return;
    const idle = [...this.open.values()].filter(
      (r) => !r.dirty && !this.writing.has(r.runId) && r.usedAt !== this.op && (r.file || this.readOnly),
    );
    idle.sort((a, b) => a.usedAt - b.usedAt);
    for (const r of idle.slice(0, Math.max(0, this.open.size - OPEN_RUN_DBS))) {
      r.db.close();
      this.open.delete(r.runId);
    }
  }

  /** Write a changed database to its file now, as holding the journal up to `seq`. */
  write(r: RunDb, seq: number): void {
    if (!r.file) return;
    r.db.setMeta('journal_seq', String(seq));
    const data = r.db.export();
    fs.mkdirSync(path.dirname(r.file), { recursive: true });
    writeFileAtomic(r.file, data);
    r.seq = seq;
    r.dirty = false;
    this.fileBytes.set(r.runId, data.length);
  }

  /** A run's file was written (by a background snapshot) with this many bytes. */
  wrote(runId: string, bytes: number): void {
    this.fileBytes.set(runId, bytes);
  }

  /** A run's size: its database while changed (or in memory), else its file's. */
  bytes(runId: string): number {
    const open = this.open.get(runId);
    if (open && (open.dirty || !open.file)) return open.db.sizeBytes();
    let bytes = this.fileBytes.get(runId);
    if (bytes === undefined) {
      try {
        bytes = this.dir ? fs.statSync(path.join(this.dir, runFileName(runId))).size : 0;
      } catch {
        bytes = 0;
      }
      this.fileBytes.set(runId, bytes);
    }
    return bytes;
  }

  /** Note a changed database's size (see largestDirtyBytes). */
  grew(bytes: number): void {
    if (bytes > this.largestDirtyBytes) this.largestDirtyBytes = bytes;
  }

  /** A rolled-back record may have cached resource ids that do not exist. */
  forgetResourceIds(): void {
    for (const r of this.open.values()) r.resourceIds.clear();
  }

  /** A run deleted: its database closed, its file removed. */
  remove(runId: string): void {
    const r = this.open.get(runId);
    if (r) {
      this.recordDbs?.delete(r.db);
      this.sliceDbs?.delete(r.db);
      r.db.close();
      this.open.delete(runId);
    }
    this.fileBytes.delete(runId);
    if (this.dir && !this.readOnly) fs.rmSync(path.join(this.dir, runFileName(runId)), { force: true });
  }

  /** Every run deleted: every database closed, every run file removed. */
  removeAll(): void {
    for (const id of [...this.open.keys()]) this.remove(id);
    if (this.dir && !this.readOnly && fs.existsSync(this.dir)) {
      for (const name of fs.readdirSync(this.dir))
        if (/^[0-9a-f]{32}\.db/.test(name)) fs.rmSync(path.join(this.dir, name), { force: true });
    }
    this.fileBytes.clear();
  }

  /** Run database files no run in the catalog (`owned`) owns: a delete cut short by a crash. */
  removeStray(owned: () => string[]): void {
    if (!this.dir || this.readOnly || !fs.existsSync(this.dir)) return;
    const names = new Set(owned().map(runFileName));
    for (const name of fs.readdirSync(this.dir)) {
      if (/^[0-9a-f]{32}\.db(\.tmp-[\d-]+)?$/.test(name) && (!names.has(name.slice(0, 35)) || name.includes('.tmp-')))
        fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }

  /** Close them all (the store closes). */
  closeAll(): void {
    for (const r of this.open.values()) r.db.close();
    this.open.clear();
  }
}
