/**
 * Ingest (issue 13): spans per second acknowledged over HTTP by the real collector, for OTLP
 * JSON and OTLP protobuf bodies, sent by 1 and by 8 concurrent exporters, beside two limits
 * measured in the same run on the same spans:
 *
 * - native SQLite: better-sqlite3 (a dev dependency of the bench) inserting the same rows into
 *   an in-memory database with the store's `spans` table and indexes, the fastest fair way:
 *   prepared 64-row INSERT statements, one transaction per request's spans. When
 *   better-sqlite3 cannot be loaded, sql.js (WASM) with the same statements stands in, and
 *   the output says so.
 * - JSON.parse of the same JSON bodies (UTF-8 decode included), nothing else.
 *
 * The collector runs as `runlens serve` (a process of the built CLI with its own file-backed
 * store, as a VS Code window runs it on its extension host: its own thread, not the
 * exporters'). A response is the acknowledgement: the store has journalled the batch. Each
 * exporter sends one trace in requests of 512 spans (the OpenTelemetry SDK's default batch),
 * one request at a time over a keep-alive connection, bodies encoded before the clock starts.
 * A fresh server and database per measure, so retention never runs.
 *
 * Target: HTTP ingest ≥ 0.5 × the native SQLite rate, with 1 and with 8 exporters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import { encodeExportRequestProtobuf, ingestOtlpJson } from '../src/core/ingest/otlp';
import { RUN_MIGRATIONS } from '../src/core/store/schema';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'runlens.js');
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Spans per request: the OpenTelemetry SDK BatchSpanProcessor's default maxExportBatchSize. */
const BATCH = 512;
/** Requests in one measure, split evenly between the exporters (96 × 512 = 49,152 spans). */
const REQUESTS = 96;
const REPS = 3;
const TARGET = 0.5;

let idCounter = 0;
/** A realistic agent-ish OTLP request: nested spans, a dozen attributes, an event on some. */
export function otlpRequest(spans: number, traceSeed = idCounter++) {
  return otlpBatch(traceSeed, 0, spans);
}

/**
 * Spans `from` … `from + count - 1` of trace `traceSeed` as one OTLP request (a trace exported
 * in several batches has distinct span ids across them; each span's parent is span ⌊(i-1)/8⌋).
 */
export function otlpBatch(traceSeed: number, from: number, count: number, service = 'bench-agent') {
  const traceId = (traceSeed + 1).toString(16).padStart(32, '0');
  const base = 1_731_000_000_000_000_000n + BigInt(traceSeed) * 1_000_000_000n;
  const idOf = (i: number) => (BigInt(traceSeed) * 0x1000000n + BigInt(i) + 1n).toString(16).padStart(16, '0');
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: service } },
            { key: 'host.name', value: { stringValue: 'bench' } },
          ],
        },
        scopeSpans: [
          {
            scope: { name: 'bench', version: '1.0.0' },
            spans: Array.from({ length: count }, (_, k) => {
              const i = from + k;
              const id = idOf(i);
              const parent = i === 0 ? undefined : idOf(Math.floor((i - 1) / 8));
              return {
                traceId,
                spanId: id,
                ...(parent ? { parentSpanId: parent } : {}),
                name: `step.${i % 17}`,
                kind: 1,
                startTimeUnixNano: String(base + BigInt(i) * 1000n),
                endTimeUnixNano: String(base + BigInt(i) * 1000n + 900n),
                attributes: [
                  { key: 'code.filepath', value: { stringValue: '/workspace/agent/steps.py' } },
                  { key: 'code.lineno', value: { intValue: String(100 + (i % 50)) } },
                  { key: 'code.function', value: { stringValue: `step_${i % 17}` } },
                  { key: 'llm.model', value: { stringValue: 'local-stub-7b' } },
                  { key: 'llm.token_count.prompt', value: { intValue: '512' } },
                  { key: 'llm.token_count.completion', value: { intValue: '128' } },
                  { key: 'temperature', value: { doubleValue: 0.2 } },
                  { key: 'batch.index', value: { intValue: String(i % 4) } },
                  { key: 'input.value', value: { stringValue: `Summarise document ${i} in three bullet points.` } },
                  { key: 'output.value', value: { stringValue: `- point one about ${i}\n- point two\n- point three` } },
                ],
                events:
                  i % 10 === 0
                    ? [
                        {
                          timeUnixNano: String(base + BigInt(i) * 1000n + 500n),
                          name: 'retry',
                          attributes: [{ key: 'attempt', value: { intValue: '1' } }],
                        },
                      ]
                    : [],
                status: { code: i % 97 === 0 ? 2 : 0 },
              };
            }),
          },
        ],
      },
    ],
  };
}

// ------------------------------------------------------------------ the collector, as `runlens serve`

export interface Serve {
  port: number;
  stop(): Promise<void>;
}

/** `runlens serve --port 0` on a fresh database; resolves once it prints its endpoint. */
export function startServe(dbFile: string): Promise<Serve> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--db', dbFile, '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runlens serve did not print its endpoint within 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve({
        port: Number(m[1]),
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`runlens serve exited ${code} before listening:\n${out}`));
    });
  });
}

export function post(port: number, body: Buffer, type: string, agent?: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/traces',
        method: 'POST',
        agent,
        headers: { 'content-type': type, 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

type Format = 'json' | 'protobuf';
const CONTENT_TYPE: Record<Format, string> = { json: 'application/json', protobuf: 'application/x-protobuf' };

/** The requests of one measure: exporter e sends trace `seed + e`, in REQUESTS / exporters batches. */
function workload(exporters: number, seed: number): unknown[][] {
  const per = REQUESTS / exporters;
  return Array.from({ length: exporters }, (_, e) =>
    Array.from({ length: per }, (_, r) => otlpBatch(seed + e, r * BATCH, BATCH, `bench-exporter-${e}`)),
  );
}

const encodeBody = (req: unknown, format: Format): Buffer =>
  format === 'json' ? Buffer.from(JSON.stringify(req)) : Buffer.from(encodeExportRequestProtobuf(req));

/** Spans per second from the first request sent to the last acknowledgement. */
async function httpIngest(format: Format, exporters: number, seed: number): Promise<number> {
  const bodies = workload(exporters, seed).map((reqs) => reqs.map((r) => encodeBody(r, format)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-bench-ingest-'));
  const serve = await startServe(path.join(dir, 'traces.db'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: exporters });
  try {
    // Warm-up: a small request of another trace (connections, the server's first parse).
    const warm = await post(serve.port, encodeBody(otlpBatch(seed + 999, 0, 64), format), CONTENT_TYPE[format], agent);
    if (warm !== 200) throw new Error(`collector answered ${warm}`);
    const t0 = performance.now();
    await Promise.all(
      bodies.map(async (mine) => {
        for (const body of mine) {
          const status = await post(serve.port, body, CONTENT_TYPE[format], agent);
          if (status !== 200) throw new Error(`collector answered ${status}`);
        }
      }),
    );
    const ms = performance.now() - t0;
    return (REQUESTS * BATCH) / (ms / 1000);
  } finally {
    agent.destroy();
    await serve.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ the limits

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

const bigintJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

/** A request's spans as the rows the store writes (attributes and events as JSON text). */
function rowsOf(req: unknown): Row[] {
  return ingestOtlpJson(req).spans.map((s) => [
    s.traceId,
    s.spanId,
    s.runId,
    s.parentSpanId ?? null,
    s.name,
    s.kind,
    s.startNs,
    s.endNs ?? null,
    s.status,
    s.statusMessage ?? null,
    s.statusLabel ?? null,
    JSON.stringify(s.attributes),
    s.events.length ? bigintJson(s.events) : '[]',
    null,
    1,
    s.scope?.name ?? null,
    s.scope?.version ?? null,
  ]);
}

interface NativeDb {
  engine: string;
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

let nativeNote: string | undefined;
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
    nativeNote = `better-sqlite3 could not be loaded (${(err as Error).message.split('\n')[0]}); sql.js (WASM) stands in for native SQLite`;
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    return {
      engine: 'sql.js (WASM SQLite, in memory; better-sqlite3 unavailable)',
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
async function nativeInsert(batches: Row[][]): Promise<{ spansPerSec: number; engine: string }> {
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
    return { spansPerSec: spans / (ms / 1000), engine: db.engine };
  } finally {
    db.close();
  }
}

function jsonParse(bodies: Buffer[], spans: number): number {
  const t0 = performance.now();
  for (const b of bodies) JSON.parse(b.toString('utf8'));
  return spans / ((performance.now() - t0) / 1000);
}

// ------------------------------------------------------------------ the bench

const round = (n: number) => Math.round(n);
const k = (n: number) => `${(n / 1000).toFixed(1)}k`;

export async function benchIngest(): Promise<Record<string, unknown>> {
  // The limits, on the spans one exporter sends (the 8 exporters' spans are the same in number and shape).
  const requests = workload(1, 1_000)[0]!;
  const rows = requests.map(rowsOf);
  const jsonBodies = requests.map((r) => encodeBody(r, 'json'));
  const spans = REQUESTS * BATCH;
  const native: number[] = [];
  const parse: number[] = [];
  let engine = '';
  for (let r = 0; r < REPS; r++) {
    const n = await nativeInsert(rows);
    native.push(n.spansPerSec);
    engine = n.engine;
    parse.push(jsonParse(jsonBodies, spans));
  }
  if (nativeNote) console.log(`ingest: NOTE ${nativeNote}`);
  const nativeRate = median(native);
  const parseRate = median(parse);
  const bodyMB = jsonBodies.reduce((a, b) => a + b.length, 0) / 1024 / 1024;
  console.log(
    `ingest: limits on ${spans} spans (${REQUESTS} requests of ${BATCH}, ${bodyMB.toFixed(0)} MB of JSON): ` +
      `native SQLite inserts ${k(nativeRate)} spans/s (${engine}), JSON.parse ${k(parseRate)} spans/s (medians of ${REPS})`,
  );
  const results: Record<string, unknown> = {
    spansPerMeasure: spans,
    spansPerRequest: BATCH,
    nativeEngine: engine,
    ...(nativeNote ? { nativeNote } : {}),
    nativeSqliteSpansPerSec: round(nativeRate),
    nativeSqliteRuns: native.map(round),
    jsonParseSpansPerSec: round(parseRate),
    jsonParseRuns: parse.map(round),
  };
  let seed = 2_000;
  for (const format of ['json', 'protobuf'] as const) {
    for (const exporters of [1, 8]) {
      const runs: number[] = [];
      for (let r = 0; r < REPS; r++) {
        runs.push(await httpIngest(format, exporters, seed));
        seed += 16;
      }
      const rate = median(runs);
      const ratio = rate / nativeRate;
      const met = ratio >= TARGET;
      const label = `OTLP ${format === 'json' ? 'JSON' : 'protobuf'}, ${exporters} exporter${exporters > 1 ? 's' : ''}`;
      console.log(
        `ingest: ${label.padEnd(24)} ${k(rate).padStart(7)} spans/s acknowledged = ${ratio.toFixed(2)} × native SQLite` +
          (format === 'json' ? `, ${(rate / parseRate).toFixed(2)} × JSON.parse` : '') +
          ` (target ≥ ${TARGET} ×): ${met ? 'met' : 'NOT met'}`,
      );
      results[`${format} ${exporters} exporter${exporters > 1 ? 's' : ''}`] = {
        spansPerSec: round(rate),
        runs: runs.map(round),
        vsNativeSqlite: +ratio.toFixed(3),
        ...(format === 'json' ? { vsJsonParse: +(rate / parseRate).toFixed(3) } : {}),
        target: TARGET,
        met,
      };
    }
  }
  return results;
}
