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
import { BATCH, encodeBody, REQUESTS, workload } from './otlpLoad';
import { jsonParse, nativeInsert, rowsOf } from './ingestLimits';
import { httpIngest } from './serve';

// Other benches take these from here.
export { otlpBatch, otlpRequest } from './otlpLoad';
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const REPS = 3;
const TARGET = 0.5;

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
  let nativeNote: string | undefined;
  for (let r = 0; r < REPS; r++) {
    const n = await nativeInsert(rows);
    native.push(n.spansPerSec);
    engine = n.engine;
    nativeNote = n.note;
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
