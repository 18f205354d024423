/**
 * Ingest benchmark: OTLP JSON and protobuf over loopback HTTP into a file-backed store,
 * beside the same-run limits (JSON.parse alone; sql.js prepared inserts in one transaction
 * alone), and the cost of persisting one small batch into a 10 MB and a 200 MB database.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import { TraceStore } from '../src/core/store/store';
import { Collector } from '../src/core/collector';
import { encodeExportRequestProtobuf } from '../src/core/ingest/otlp';
import { MIGRATIONS } from '../src/core/store/schema';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let idCounter = 0;
/** A realistic agent-ish OTLP request: nested spans, a dozen attributes, an event on some. */
export function otlpRequest(spans: number, traceSeed = idCounter++) {
  const traceId = (traceSeed + 1).toString(16).padStart(32, '0');
  const base = 1_731_000_000_000_000_000n + BigInt(traceSeed) * 1_000_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench-agent' } }, { key: 'host.name', value: { stringValue: 'bench' } }] },
        scopeSpans: [
          {
            scope: { name: 'bench', version: '1.0.0' },
            spans: Array.from({ length: spans }, (_, i) => {
              const id = ((traceSeed << 20) + i + 1).toString(16).padStart(16, '0');
              const parent = i === 0 ? undefined : ((traceSeed << 20) + Math.floor((i - 1) / 8) + 1).toString(16).padStart(16, '0');
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
                events: i % 10 === 0 ? [{ timeUnixNano: String(base + BigInt(i) * 1000n + 500n), name: 'retry', attributes: [{ key: 'attempt', value: { intValue: '1' } }] }] : [],
                status: { code: i % 97 === 0 ? 2 : 0 },
              };
            }),
          },
        ],
      },
    ],
  };
}

function post(port: number, body: Buffer, type: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', headers: { 'content-type': type, 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The insert-only limit: the same rows the store writes (attributes as JSON, same schema
 * and indexes) inserted the way the store inserts them — prepared multi-row statements of
 * 64 spans with attributes and events bound as UTF-8 bytes cast to TEXT — one transaction
 * per request, into one database that grows across requests as the store's does, and
 * nothing else: no HTTP, parsing, normalising or journal. When the store finds a faster way
 * to insert, this limit uses it too, so the ratio stays a measure of everything else.
 */
async function sqlInsertLimit(spans: number, reps: number): Promise<number> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.exec('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;');
  db.exec(MIGRATIONS[0]);
  db.exec("INSERT INTO runs (id, name, status, source, start_ns) VALUES ('r', 'r', 'RUNNING', 'otlp', 0)");
  const CHUNK = 64;
  const cols = 'trace_id, span_id, run_id, parent_span_id, name, kind, start_ns, end_ns, status, attributes, events, resource_id, scope_name, scope_version';
  const tuple = "(?, ?, 'r', ?, ?, 1, ?, ?, 'OK', CAST(? AS TEXT), CAST(? AS TEXT), 1, 'bench', '1.0.0')";
  const chunkStmt = db.prepare(`INSERT INTO spans (${cols}) VALUES ${Array(CHUNK).fill(tuple).join(', ')} ON CONFLICT (trace_id, span_id) DO NOTHING`);
  const oneStmt = db.prepare(`INSERT INTO spans (${cols}) VALUES ${tuple} ON CONFLICT (trace_id, span_id) DO NOTHING`);
  const times: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const rows = otlpRequest(spans).resourceSpans[0].scopeSpans[0].spans.map((s) => [
      s.traceId,
      s.spanId,
      s.parentSpanId ?? null,
      s.name,
      String(BigInt(s.startTimeUnixNano)),
      String(BigInt(s.endTimeUnixNano)),
      JSON.stringify(Object.fromEntries(s.attributes.map((a) => [a.key, Object.values(a.value)[0]]))),
      '[]',
    ]);
    const t0 = performance.now();
    db.exec('BEGIN');
    const params: unknown[] = [];
    let i = 0;
    for (; i + CHUNK <= rows.length; i += CHUNK) {
      params.length = 0;
      for (let j = i; j < i + CHUNK; j++) {
        const row = rows[j]!;
        params.push(row[0], row[1], row[2], row[3], row[4], row[5], Buffer.from(row[6] as string), Buffer.from(row[7] as string));
      }
      chunkStmt.run(params as never);
    }
    for (; i < rows.length; i++) {
      const row = rows[i]!;
      oneStmt.run([row[0], row[1], row[2], row[3], row[4], row[5], Buffer.from(row[6] as string), Buffer.from(row[7] as string)] as never);
    }
    db.exec('COMMIT');
    if (r > 0) times.push(performance.now() - t0); // the first is warm-up, as in endToEnd
  }
  chunkStmt.free();
  oneStmt.free();
  db.close();
  return spans / (median(times) / 1000);
}

function jsonParseLimit(body: Buffer, spans: number, reps: number): number {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    JSON.parse(body.toString('utf8'));
    times.push(performance.now() - t0);
  }
  return spans / (median(times) / 1000);
}

async function endToEnd(spans: number, reps: number, format: 'json' | 'protobuf'): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-bench-'));
  const store = await TraceStore.open({ path: path.join(dir, 'traces.db'), maxRuns: 100_000, maxBytes: 10 * 1024 ** 3, snapshotIdleMs: 0, snapshotJournalBytes: 1024 ** 3 });
  const collector = await Collector.start(store, { port: 0, maxBodyBytes: 256 * 1024 * 1024 });
  const bodies = Array.from({ length: reps + 1 }, () => {
    const req = otlpRequest(spans);
    return format === 'json' ? Buffer.from(JSON.stringify(req)) : Buffer.from(encodeExportRequestProtobuf(req));
  });
  const type = format === 'json' ? 'application/json' : 'application/x-protobuf';
  await post(collector.port, bodies[0], type); // warm-up
  const times: number[] = [];
  for (let r = 1; r <= reps; r++) {
    const t0 = performance.now();
    const status = await post(collector.port, bodies[r], type);
    times.push(performance.now() - t0);
    if (status !== 200) throw new Error(`collector answered ${status}`);
  }
  await collector.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return spans / (median(times) / 1000);
}

/** Grow a store to about `mb` MB, then time persisting a 10-span batch (what a live run sends). */
async function persistCost(mb: number): Promise<{ dbMB: number; batchMs: number; fullExportMs: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-bench-'));
  const file = path.join(dir, 'traces.db');
  const store = await TraceStore.open({ path: file, maxRuns: 100_000, maxBytes: 10 * 1024 ** 3, snapshotIdleMs: 0, snapshotJournalBytes: 1024 ** 3 });
  const { ingestOtlpJson } = await import('../src/core/ingest/otlp');
  while (store.sizeBytes() < mb * 1024 * 1024) store.apply(ingestOtlpJson(otlpRequest(5000)));
  store.snapshot();
  const times: number[] = [];
  for (let r = 0; r < 30; r++) {
    const batch = ingestOtlpJson(otlpRequest(10));
    const t0 = performance.now();
    store.apply(batch);
    times.push(performance.now() - t0);
  }
  const t0 = performance.now();
  store.snapshot();
  const fullExportMs = performance.now() - t0;
  const dbMB = fs.statSync(file).size / 1024 / 1024;
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { dbMB: Math.round(dbMB), batchMs: median(times), fullExportMs };
}

export async function benchIngest(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const spans of [1000, 10_000]) {
    const reps = spans === 1000 ? 15 : 5;
    const body = Buffer.from(JSON.stringify(otlpRequest(spans)));
    const jsonParse = jsonParseLimit(body, spans, reps);
    const sqlInsert = await sqlInsertLimit(spans, reps);
    const json = await endToEnd(spans, reps, 'json');
    const protobuf = await endToEnd(spans, reps, 'protobuf');
    const row = {
      spansPerRequest: spans,
      limitJsonParseSpansPerSec: Math.round(jsonParse),
      limitSqlInsertSpansPerSec: Math.round(sqlInsert),
      otlpJsonSpansPerSec: Math.round(json),
      otlpProtobufSpansPerSec: Math.round(protobuf),
      jsonVsInsertLimit: +(json / sqlInsert).toFixed(2),
      protobufVsInsertLimit: +(protobuf / sqlInsert).toFixed(2),
    };
    results[`ingest_${spans}`] = row;
    console.log(
      `ingest ${String(spans).padStart(6)} spans/request: OTLP JSON ${row.otlpJsonSpansPerSec} spans/s (${row.jsonVsInsertLimit}× insert limit), ` +
        `protobuf ${row.otlpProtobufSpansPerSec} spans/s (${row.protobufVsInsertLimit}×); limits: JSON.parse ${row.limitJsonParseSpansPerSec}, sql.js inserts ${row.limitSqlInsertSpansPerSec} spans/s`,
    );
  }
  const small = await persistCost(10);
  const large = await persistCost(200);
  results.persist = { small, large, ratioLargeToSmall: +(large.batchMs / small.batchMs).toFixed(2) };
  console.log(
    `persist a 10-span batch: ${small.batchMs.toFixed(2)} ms into ${small.dbMB} MB, ${large.batchMs.toFixed(2)} ms into ${large.dbMB} MB ` +
      `(ratio ${(large.batchMs / small.batchMs).toFixed(2)}); a full file write costs ${small.fullExportMs.toFixed(0)} ms / ${large.fullExportMs.toFixed(0)} ms`,
  );
  return results;
}
