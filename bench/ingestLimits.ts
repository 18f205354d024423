/**
 * The limits the ingest bench compares HTTP ingest with, on the same spans: native SQLite
 * inserting the store's rows (better-sqlite3, or sql.js standing in), and JSON.parse alone.
 */
import initSqlJs from 'sql.js';
import { ingestOtlpJson } from '../src/core/ingest/otlp';
import { RUN_MIGRATIONS } from '../src/core/store/schema';
import { spanRow } from '../src/core/store/rows';

/** A run's database as the store creates it (its `spans` table and index, resources, output). */
const SPANS_DDL = RUN_MIGRATIONS[0]!;
const COLUMNS = 17;
const INSERT = (n: number) =>
  `INSERT INTO spans (trace_id, span_id, run_id, parent_span_id, name, kind, start_ns, end_ns, status, status_message, status_label,
     attributes, events, truncated, resource_id, scope_name, scope_version)
   VALUES ${Array(n)
     .fill(`(${Array(COLUMNS).fill('?').join(', ')})`)
     .join(', ')} ON CONFLICT (trace_id, span_id) DO NOTHING`;
const CHUNK = 64;

type Row = (string | number | bigint | null)[];

/** A request's spans as the rows the store writes (attributes and events as JSON text; resource 1). */
export function rowsOf(req: unknown): Row[] {
  return ingestOtlpJson(req).spans.map((s) => spanRow(s, 1));
}

interface NativeDb {
  engine: string;
  /** Why the engine is not native SQLite, when it is not. */
  note?: string;
  exec(sql: string): void;
  prepare(sql: string): { run(params: Row): void };
  /** Rows in the spans table (the inserts are checked, not assumed). */
  count(): number;
  close(): void;
}

/** The shape of better-sqlite3 this bench uses (it ships no types; @types is not a dependency). */
interface BetterSqlite3 {
  new (file: string): {
    exec(sql: string): void;
    prepare(sql: string): { run(...params: unknown[]): unknown; pluck(): { get(): unknown } };
    close(): void;
  };
}

async function openNative(): Promise<NativeDb> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3') as BetterSqlite3;
    const db = new Database(':memory:');
    return {
      engine: 'better-sqlite3 (native SQLite, in memory)',
      exec: (sql) => db.exec(sql),
      prepare: (sql) => {
        const stmt = db.prepare(sql);
        return { run: (params) => void stmt.run(...params) };
      },
      count: () => Number(db.prepare('SELECT count(*) FROM spans').pluck().get()),
      close: () => db.close(),
    };
  } catch (err) {
    const note = `better-sqlite3 could not be loaded (${(err as Error).message.split('\n')[0]}); sql.js (WASM) stands in for native SQLite`;
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    return {
      engine: 'sql.js (WASM SQLite, in memory; better-sqlite3 unavailable)',
      note,
      exec: (sql) => db.exec(sql),
      prepare: (sql) => {
        const stmt = db.prepare(sql);
        return { run: (params) => void stmt.run(params.map((v) => (typeof v === 'bigint' ? v.toString() : v)) as never) };
      },
      count: () => Number(db.exec('SELECT count(*) FROM spans')[0]!.values[0]![0]),
      close: () => db.close(),
    };
  }
}

/** Spans per second inserting `batches` of rows, one transaction per batch, into a fresh in-memory database. */
export async function nativeInsert(batches: Row[][]): Promise<{ spansPerSec: number; engine: string; note?: string }> {
  const db = await openNative();
  try {
    // As the store runs SQLite: foreign keys not enforced (SQLite's default; better-sqlite3 turns them on).
    db.exec('PRAGMA foreign_keys = OFF');
    db.exec(SPANS_DDL);
    const many = db.prepare(INSERT(CHUNK));
    const one = db.prepare(INSERT(1));
    const begin = db.prepare('BEGIN');
    const commit = db.prepare('COMMIT');
    const params: Row = [];
    let spans = 0;
    const t0 = performance.now();
    for (const rows of batches) {
      begin.run([]);
      let i = 0;
      for (; i + CHUNK <= rows.length; i += CHUNK) {
        params.length = 0;
        for (let j = i; j < i + CHUNK; j++) params.push(...rows[j]!);
        many.run(params);
      }
      for (; i < rows.length; i++) one.run(rows[i]!);
      commit.run([]);
      spans += rows.length;
    }
    const ms = performance.now() - t0;
    if (db.count() !== spans) throw new Error(`native insert stored ${db.count()} of ${spans} rows`);
    return { spansPerSec: spans / (ms / 1000), engine: db.engine, note: db.note };
  } finally {
    db.close();
  }
}

export function jsonParse(bodies: Buffer[], spans: number): number {
  const t0 = performance.now();
  for (const b of bodies) JSON.parse(b.toString('utf8'));
  return spans / ((performance.now() - t0) / 1000);
}
