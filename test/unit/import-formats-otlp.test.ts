/**
 * OTLP JSON lines (the Collector's file exporter) and the Aspire dashboard's export (a zip of
 * OTLP JSON, or one trace's OTLP JSON) imports (issue 16 item 4): what is stored, logs and
 * metrics counted, hostile archives refused with why.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatImportReport, importTraceFiles } from '../../src/core/ingest/importPlan';
import { FIXTURES, at, tempDir } from './helpers/fixtures';
import { FIX as INTEGRITY, closeStores, importPaths, openStore, write } from './helpers/importIntegrity';
import { zip } from './helpers/zip';
import { buildCli, runCli } from './helpers/cli';

const FIX = path.join(FIXTURES, 'import');
const ASPIRE = path.join(FIX, 'aspire-export');
const aspireEntry = (name: string) => ({ name, data: fs.readFileSync(path.join(ASPIRE, name)) });
const writeBytes = (dir: string, name: string, bytes: Buffer) => {
  fs.writeFileSync(path.join(dir, name), bytes);
  return path.join(dir, name);
};

describe('import: OTLP JSON lines (the Collector file exporter)', () => {
  afterEach(closeStores);

  it('stores the spans of every traces line as one run, to the ns, with the log records and metric points of the other lines', async () => {
    const store = await openStore(tempDir());
    const r = importPaths(store, path.join(FIX, 'otlp-file-exporter.jsonl'));
    const f = at(r.files, 0);
    assert.equal(f.format, 'otlp-json-lines');
    const run = store.getRun('t4bf92f3577b34da6a3ce929d0e0e4736')!;
    assert.equal(run.name, 'orders: POST /orders');
    assert.equal(run.status, 'FAILED');
    const spans = store.getSpans(run.id);
    const post = spans.find((s) => s.name === 'POST /orders')!;
    const insert = spans.find((s) => s.name === 'INSERT orders')!;
    assert.equal(insert.parentSpanId, post.spanId);
    assert.equal(post.startNs, 1731000000000000001n);
    assert.equal(post.endNs, 1731000000250000999n);
    assert.equal(post.attributes['http.response.status_code'], 201);
    assert.equal(insert.status, 'ERROR');
    assert.equal(insert.statusMessage, 'deadlock detected');
    assert.deepEqual(
      insert.events.map((e) => [e.name, e.timeNs]),
      [['exception', 1731000000150000000n]],
    );
    assert.deepEqual(insert.scope, { name: 'io.opentelemetry.jdbc', version: '2.10.0' });
    assert.equal(insert.resource?.['deployment.environment'], 'ci');
    assert.deepEqual(f.diagnostics, []);
    assert.equal(f.partial, false);
    const logs = store.getLogs(run.id, { minSeverity: 1 });
    assert.deepEqual(
      logs.map((l) => [l.body, l.severityText, l.spanId, l.timeNs]),
      [
        ['order 1182 accepted', 'INFO', '00f067aa0ba902b7', 1731000000100000000n],
        ['inventory slow', 'WARN', '00f067aa0ba902b7', 1731000000200000000n],
      ],
    );
    assert.deepEqual(
      store.getMetrics(run.id).map((m) => m.name),
      ['jvm.memory.used'],
      'a point of no trace goes to the one run of the file',
    );
    assert.match(
      at(formatImportReport(r), 0),
      /^otlp-file-exporter\.jsonl: OTLP JSON lines \(Collector file exporter\), 1 run, 2 spans; stored as run t4bf92f3577b34da6a3ce929d0e0e4736; 2 log records and 1 metric point stored with them$/,
    );
    const again = importPaths(store, path.join(FIX, 'otlp-file-exporter.jsonl'));
    assert.equal(at(at(again.files, 0).runs, 0).action, 'already-stored');
    assert.equal(store.getLogs(run.id, { minSeverity: 1 }).length, 2, 'the same file again writes no second copy of its logs');
  });

  it("still reads Runlens's own JSON-lines step events as JSON lines", async () => {
    const store = await openStore(tempDir());
    const r = importPaths(store, path.join(INTEGRITY, 'timed.jsonl'));
    assert.equal(at(r.files, 0).format, 'json-lines');
    assert.equal(at(store.listRuns(), 0).name, 'report-builder');
  });

  it('keeps the other lines when one is broken, and says which; a file of logs only is refused with why', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    const [traces, logs, , metrics] = fs.readFileSync(path.join(FIX, 'otlp-file-exporter.jsonl'), 'utf8').split('\n');
    const r = importPaths(
      store,
      write(dir, 'broken.jsonl', ['{"resourceSpans": [', traces, '{"hello": 1}'].join('\n')),
      write(dir, 'logs.jsonl', [logs, metrics].join('\n')),
    );
    const [broken, logsOnly] = r.files;
    assert.equal(broken!.spansStored, 1);
    assert.ok(broken!.partial);
    assert.equal(broken!.format, 'otlp-json-lines', 'a damaged first line does not hide what the file is');
    assert.match(at(broken!.diagnostics, 0), /^line 1: not JSON/);
    assert.match(
      at(broken!.diagnostics, 1),
      /^line 3: not an OTLP export request \(expected an object with resourceSpans, resourceLogs or resourceMetrics\)/,
    );
    assert.match(
      logsOnly!.error!,
      /OTLP JSON lines \(the Collector's file exporter\) with no spans: 2 log records and 1 metric point, which are imported with the spans of their run/,
    );
  });
});

describe('import: the Aspire dashboard export', () => {
  afterEach(closeStores);

  it('says what was expected when a file is almost OTLP JSON, or is a zip read as text', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    const r = importPaths(store, write(dir, 'odd.json', { resourceSpans: { spans: [] } }));
    assert.match(at(r.files, 0).error!, /OTLP JSON whose resourceSpans is not a list \(expected \{ "resourceSpans": \[ … \] \}\)/);
    const asText = importTraceFiles(store, [{ path: 'export.zip', text: fs.readFileSync(path.join(FIX, 'aspire-export.zip'), 'latin1') }]);
    assert.match(at(asText.files, 0).error!, /a zip archive read as text: import it by its path/);
  });

  it('stores the spans of every traces/<resource>.json of the zip as one run per trace, with its structured logs and metrics', async () => {
    const store = await openStore(tempDir());
    const r = importPaths(store, path.join(FIX, 'aspire-export.zip'));
    const f = at(r.files, 0);
    assert.equal(f.error, undefined);
    assert.equal(f.format, 'otlp-zip');
    const run = store.getRun('t0af7651916cd43dd8448eb211c80319c')!;
    assert.equal(run.name, 'webfrontend: GET /weather');
    assert.equal(run.status, 'FAILED');
    assert.equal(run.startNs, 1764500000123456789n);
    assert.equal(run.endNs, 1764500000456789012n);
    const spans = store.getSpans(run.id);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const api = byId.get('d9cf8d9381425553')!;
    assert.equal(spans.length, 3);
    assert.equal(byId.get(api.parentSpanId!)!.name, 'GET', 'nested across the two resources');
    assert.equal(api.startNs, 1764500000140000001n);
    assert.equal(api.status, 'ERROR');
    assert.equal(api.statusMessage, 'Forecast store unavailable');
    assert.equal(api.attributes['http.response.status_code'], '500', 'Aspire writes attribute values as strings');
    assert.equal(api.resource?.['service.instance.id'], 'm2x7hp4c');
    assert.equal(api.resource?.['telemetry.sdk.language'], 'dotnet');
    assert.equal(api.scope?.name, 'Microsoft.AspNetCore');
    assert.deepEqual(
      api.events.map((e) => [e.name, e.attributes['exception.type']]),
      [['exception', 'System.InvalidOperationException']],
    );
    assert.deepEqual(
      store.getLogs(run.id, { minSeverity: 1 }).map((l) => [l.body, l.spanId, l.resource?.['service.name']]),
      [['Forecast store unavailable', 'd9cf8d9381425553', 'apiservice']],
    );
    assert.deepEqual(
      store.getMetrics(run.id).map((m) => m.name),
      ['http.server.active_requests'],
    );
    assert.deepEqual(f.notices, ['1 resource file, 1 console-log file not imported: not OpenTelemetry data']);
    assert.equal(f.partial, false, "an export's console logs are not telemetry: said, and the import is whole");
    assert.match(at(formatImportReport(r), 0), /^aspire-export\.zip: OTLP JSON in a zip \(Aspire dashboard export\), 1 run, 3 spans/);
    const again = importPaths(store, path.join(FIX, 'aspire-export.zip'));
    assert.equal(at(at(again.files, 0).runs, 0).action, 'already-stored');
  });

  it("reads one trace's JSON export (spans and their logs in one OTLP document) as OTLP JSON, its logs too", async () => {
    const store = await openStore(tempDir());
    const r = importPaths(store, path.join(FIX, 'aspire-trace.json'));
    const f = at(r.files, 0);
    assert.equal(f.format, 'otlp-json');
    assert.equal(f.spansStored, 3);
    assert.equal(f.logsStored, 1);
    assert.equal(f.partial, false);
    assert.equal(store.getLogs('t0af7651916cd43dd8448eb211c80319c', { minSeverity: 1 }).length, 1);
  });

  it('refuses hostile archives whole, with why: a zip bomb, one over the import size, a bad CRC, encrypted, cut short, no traces', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { limits: { bodyBytes: 64 * 1024 } });
    const trace = aspireEntry('traces/apiservice.json');
    const big = '{"resourceSpans":[],"pad":"' + 'x'.repeat(200 * 1024) + '"}';
    const good = zip([trace]);
    const files = [
      writeBytes(dir, 'bomb.zip', zip([{ name: 'traces/a.json', data: big, declaredSize: 100 }])),
      writeBytes(dir, 'large.zip', zip([{ name: 'traces/a.json', data: big }])),
      writeBytes(dir, 'crc.zip', zip([{ ...trace, crc: 1234 }])),
      writeBytes(dir, 'locked.zip', zip([{ ...trace, flags: 1 }])),
      writeBytes(dir, 'cut.zip', good.subarray(0, good.length - 30)),
      writeBytes(dir, 'logs.zip', zip([aspireEntry('structuredlogs/apiservice.json'), { name: 'notes.json', data: '{}' }])),
    ];
    const r = importPaths(store, ...files);
    const errors = r.files.map((x) => x.error ?? '');
    assert.match(errors[0]!, /entry traces\/a\.json inflates to more than the 100 bytes it declares/);
    assert.match(errors[1]!, /entry traces\/a\.json inflates to 204,?\d+ bytes, more than the 65,?536 bytes one import still reads/);
    assert.match(errors[2]!, /entry traces\/apiservice\.json is damaged \(its size or CRC does not match\)/);
    assert.match(errors[3]!, /entry traces\/apiservice\.json is encrypted/);
    assert.match(errors[4]!, /not a zip archive Runlens can read \(no end of central directory/);
    assert.match(
      errors[5]!,
      /a zip archive without trace files: expected OTLP JSON with resourceSpans, as the Aspire dashboard exports in traces\/<resource>\.json \(1 log record and 0 metric points, which are imported with the spans of their run; notes\.json: not OTLP JSON/,
    );
    assert.equal(r.failed, 6);
    assert.equal(store.listRuns().length, 0, 'nothing of any of them was written');
    assert.equal(importPaths(store, writeBytes(dir, 'good.zip', good)).failed, 0, 'the same archive, intact, imports');
  });
});

describe('runlens import: the new formats through the built CLI', () => {
  before(buildCli);

  it('imports each by its content, whatever its name, says what it left out, and exits 0 when all telemetry was stored', async () => {
    const dir = tempDir();
    const copy = (from: string, to: string) => {
      fs.copyFileSync(path.join(FIX, from), path.join(dir, to));
      return path.join(dir, to);
    };
    const files = [copy('aspire-export.zip', 'export.bin'), copy('zipkin.json', 'a.txt'), copy('chrome-trace.json', 'b.log')];
    const db = path.join(dir, 'traces.db');
    const r = await runCli(['import', ...files, '--db', db], dir);
    assert.equal(r.code, 0, "the zip's console logs and the Chrome trace's counter are said, not partial");
    const lines = r.stdout.trim().split('\n');
    assert.match(
      at(lines, 0),
      /^export\.bin: OTLP JSON in a zip \(Aspire dashboard export\), 1 run, 3 spans; stored as run t0af7651916cd43dd8448eb211c80319c; .*console-log file.* not imported: not OpenTelemetry data$/,
    );
    assert.match(
      at(lines, 1),
      /^a\.txt: Zipkin v2 JSON, 2 runs, 4 spans; stored as run z8e3b2d9c0a1f4e6d; stored as run ze457b5a2e4d86bd1$/,
    );
    assert.match(
      at(lines, 2),
      /^b\.log: Chrome trace events, 1 run, 8 spans; stored as run r\w+; 1 span never ended \(INCOMPLETE\); .*counters, async, flow and object events are not spans$/,
    );
    const list = await runCli(['list', '--json', '--db', db], dir);
    assert.equal(JSON.parse(list.stdout).length, 4);
  });
});
