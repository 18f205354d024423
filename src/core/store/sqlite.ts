/**
 * sql.js plumbing shared by the store's catalog and its per-run databases: loading the
 * engine, one database with its prepared statements, reading a file (a damaged one is moved
 * aside, never overwritten) and writing one atomically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs, { type Database, type SqlJsStatic, type Statement } from 'sql.js';

export type Row = Record<string, unknown>;

let sqlPromise: Promise<SqlJsStatic> | undefined;

export function loadSql(): Promise<SqlJsStatic> {
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
    sqlPromise = initSqlJs({
      wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength) as ArrayBuffer,
    });
  }
  return sqlPromise;
}

/** sql.js reads INTEGER columns as bigint with this option (its typings predate it). */
interface BigIntRows {
  getAsObject(params: null, config: { useBigInt: boolean }): Row;
  get(params: null, config: { useBigInt: boolean }): unknown[];
}

/** One in-memory SQLite database and its cached prepared statements. */
export class Db {
  private readonly statements = new Map<string, Statement>();

  constructor(readonly db: Database) {
    this.tune();
  }

  stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  run(sql: string, params: unknown[] = []): void {
    this.stmt(sql).run(params as never);
  }

  all(sql: string, params: unknown[] = []): Row[] {
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

  /** Rows as value arrays (no per-row object): for reads of many rows. */
  each(sql: string, params: unknown[], fn: (row: unknown[]) => void): void {
    const s = this.stmt(sql);
    try {
      s.bind(params as never);
      while (s.step()) fn((s as unknown as BigIntRows).get(null, { useBigInt: true }));
    } finally {
      s.reset();
    }
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  modified(): number {
    return this.db.getRowsModified();
  }

  transaction<T>(fn: () => T): T {
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

  meta(key: string): string | undefined {
    return this.all('SELECT value FROM meta WHERE key = ?', [key])[0]?.value as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [key, value]);
  }

  version(): number {
    return Number(this.all('PRAGMA user_version')[0]!.user_version);
  }

  /** Apply `migrations` from the database's version on, each in one transaction. */
  migrate(migrations: readonly string[], what: string, before?: (toVersion: number) => void): void {
    const version = this.version();
    if (version > migrations.length) {
      throw new Error(`${what} schema version ${version} is newer than this Runlens (${migrations.length}); update Runlens`);
    }
    for (let v = version; v < migrations.length; v++) {
      before?.(v + 1);
      this.transaction(() => {
        this.db.exec(migrations[v]!);
        this.db.exec(`PRAGMA user_version = ${v + 1}`);
      });
    }
  }

  sizeBytes(): number {
    return Number(this.all('PRAGMA page_count')[0]!.page_count) * Number(this.all('PRAGMA page_size')[0]!.page_size);
  }

  /** The database as file bytes. (sql.js closes and reopens it: statements die, pragmas reset.) */
  export(): Uint8Array {
    this.freeStatements();
    const data = this.db.export();
    this.tune();
    return data;
  }

  close(): void {
    this.freeStatements();
    this.db.close();
  }

  freeStatements(): void {
    for (const s of this.statements.values()) s.free();
    this.statements.clear();
  }

  /**
   * The database lives in memory and the store's journal makes writes durable, so SQLite's
   * own rollback journal and syncs are pure cost. The page cache is small (4 MB): sql.js's
   * "file" is itself in memory, so cached pages are copies — with a few run databases open a
   * large cache only multiplied the memory. export() resets pragmas: called again after it.
   */
  private tune(): void {
    this.db.exec('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -4096;');
  }
}

/**
 * Read a database file. A file that is not a readable SQLite database is moved aside
 * (never overwritten) and an empty database starts in its place, with a warning. With
 * `readOnly`, nothing is moved: the damage is reported and an empty database is read.
 */
export function loadDatabase(SQL: SqlJsStatic, file: string, warnings: string[], readOnly = false): Database {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new SQL.Database();
    throw new Error(`cannot read the trace database ${file}: ${(err as Error).message}`);
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
    if (readOnly) {
      warnings.push(`The trace database ${file} could not be read (${(err as Error).message}); it is shown as empty.`);
      return new SQL.Database();
    }
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    fs.renameSync(file, aside);
    warnings.push(
      `The trace database ${file} could not be read (${(err as Error).message}). It was moved to ${aside}; ` +
        'a new empty database was started. The journal, if any, is replayed into it.',
    );
    return new SQL.Database();
  }
}

let tmpCounter = 0;

/**
 * Write `data` next to `file` as a temporary file and fsync it, off this thread (the thread
 * pool). Returns the temporary file's path: the caller renames it into place (the commit).
 */
export async function writeFileDurable(file: string, data: Uint8Array): Promise<string> {
  const tmp = `${file}.tmp-${process.pid}-${++tmpCounter}`;
  const handle = await fs.promises.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return tmp;
}

/** Write `data` as `file` atomically: a temporary file, fsync, rename. */
export function writeFileAtomic(file: string, data: Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
