/**
 * OTLP logs and metrics over HTTP, end to end: the real OpenTelemetry JS SDK's protobuf log,
 * metric and trace exporters send to a real Collector on loopback, backed by a real store;
 * what they sent comes back from the store's read API exactly, each log record joined to the
 * span it was emitted under. Plus OTLP/JSON bodies, malformed ones, the limits, partial success.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { TraceStore } from '../../src/core/store/store';
import { Collector } from '../../src/core/collector';
import { tempDir } from './helpers/fixtures';
import { postJson, request } from './helpers/http';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const protoRoot = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** An OTLP/JSON logs request of one resource and one scope. */
function logsBody(resource: object[], records: object[]) {
  return { resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ scope: { name: 'test' }, logRecords: records }] }] };
}

describe('OTLP/HTTP logs and metrics', function () {
  this.timeout(30_000);
  let store: TraceStore;
  let collector: Collector;
  beforeEach(async () => {
    store = await TraceStore.open({ path: path.join(tempDir(), 'traces.db'), limits: { pointsPerRun: 5 } });
    collector = await Collector.start(store, { port: 0, limits: { logsPerRequest: 50 } });
  });
  afterEach(async () => {
    await collector.close();
    await store.close();
  });

  it('keeps what the real SDK exporters send: log records joined to their span, gauges and counters', async () => {
    const { BasicTracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    const { LoggerProvider, SimpleLogRecordProcessor } = await import('@opentelemetry/sdk-logs');
    const { OTLPLogExporter } = await import('@opentelemetry/exporter-logs-otlp-proto');
    const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
    const { SeverityNumber } = await import('@opentelemetry/api-logs');
    const { Resource } = await import('@opentelemetry/resources');
    const { trace, context } = await import('@opentelemetry/api');
    const resource = new Resource({ 'service.name': 'signals-check' });
    const tracer = new BasicTracerProvider({
      resource,
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.endpoint}/v1/traces` }))],
    } as never);
    const logs = new LoggerProvider({ resource });
    logs.addLogRecordProcessor(new SimpleLogRecordProcessor(new OTLPLogExporter({ url: `${collector.endpoint}/v1/logs` })));
    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${collector.endpoint}/v1/metrics` }),
      exportIntervalMillis: 3_600_000,
    });
    const meters = new MeterProvider({ resource, readers: [reader] });

    const span = tracer.getTracer('t').startSpan('load batch');
    const logger = logs.getLogger('l');
    logger.emit({
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body: 'retrying batch 2',
      attributes: { attempt: 2, 'batch.id': 'b2' },
      context: trace.setSpan(context.active(), span),
    });
    logger.emit({ severityNumber: SeverityNumber.ERROR, body: { structured: true }, context: trace.setSpan(context.active(), span) });
    span.end();
    const meter = meters.getMeter('m');
    meter.createCounter('rows.loaded', { unit: '{row}' }).add(41, { table: 'a' });
    meter.createObservableGauge('queue.depth').addCallback((r) => r.observe(7.5));
    await tracer.forceFlush();
    await logs.forceFlush();
    await meters.forceFlush();

    const run = store.getRun(`t${span.spanContext().traceId}`);
    assert.ok(run, 'the log records went to the attached run of their trace');
    assert.equal(store.getSpans(run.id).length, 1);
    const stored = store.getLogs(run.id);
    assert.deepEqual(
      stored.map((l) => [l.body, l.severityNumber, l.severityText, l.spanId, l.traceId, l.attributes]),
      [
        ['retrying batch 2', 13, 'WARN', span.spanContext().spanId, span.spanContext().traceId, { attempt: 2, 'batch.id': 'b2' }],
        ['{"structured":true}', 17, undefined, span.spanContext().spanId, span.spanContext().traceId, {}],
      ],
    );
    assert.equal(stored[0]!.resource?.['service.name'], 'signals-check');
    assert.equal(stored[0]!.scope?.name, 'l');
    assert.deepEqual(
      store.getLogs(run.id, { minSeverity: 17 }).map((l) => l.body),
      ['{"structured":true}'],
    );
    assert.deepEqual(store.logSummary(run.id), {
      count: 2,
      errors: 1,
      bySpan: { [span.spanContext().spanId]: { count: 2, maxSeverity: 17 } },
    });

    // Metrics carry no trace: they go to the newest run of their service running at their time.
    const series = store.getMetrics(run.id);
    assert.deepEqual(
      series.map((s) => [s.name, s.unit, s.kind, s.monotonic, s.attributes, s.points.map((p) => p.value)]),
      [
        ['queue.depth', undefined, 'gauge', undefined, {}, [7.5]],
        ['rows.loaded', '{row}', 'sum', true, { table: 'a' }, [41]],
      ],
    );
    await Promise.all([tracer.shutdown(), logs.shutdown(), meters.shutdown()]);
  });

  it('takes OTLP/JSON logs and metrics, answers partial success for what it does not keep, and keeps the rest through a crash and a restart', async () => {
    const reply = await postJson(
      `${collector.endpoint}/v1/logs`,
      logsBody(
        [str('runlens.run_id', 'r-json')],
        [
          { timeUnixNano: '1700000000000000000', severityNumber: 'SEVERITY_NUMBER_INFO', body: { stringValue: 'started' } },
          { timeUnixNano: '1700000000000000001', spanId: 'not-an-id', body: { stringValue: 'lost' } },
        ],
      ),
    );
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body.toString()), {
      partialSuccess: { rejectedLogRecords: '1', errorMessage: 'invalid traceId/spanId' },
    });
    const metrics = await postJson(`${collector.endpoint}/v1/metrics`, {
      resourceMetrics: [
        {
          resource: { attributes: [str('runlens.run_id', 'r-json')] },
          scopeMetrics: [
            {
              metrics: [
                { name: 'temp', unit: 'Cel', gauge: { dataPoints: [{ timeUnixNano: '5', asDouble: 21.5 }] } },
                { name: 'jobs', sum: { isMonotonic: false, dataPoints: [{ timeUnixNano: '6', asInt: '-2' }] } },
                { name: 'latency', histogram: { dataPoints: [{ timeUnixNano: '6', count: '3' }] } },
              ],
            },
          ],
        },
      ],
    });
    assert.deepEqual(JSON.parse(metrics.body.toString()).partialSuccess, {
      rejectedDataPoints: '1',
      errorMessage: '1 histogram or summary data point(s) not stored (Runlens keeps gauges and sums)',
    });
    assert.deepEqual(
      store.getMetrics('r-json').map((m) => [m.name, m.unit, m.kind, m.monotonic, m.points]),
      [
        ['jobs', undefined, 'sum', false, [{ timeNs: 6n, value: -2 }]],
        ['temp', 'Cel', 'gauge', undefined, [{ timeNs: 5n, value: 21.5 }]],
      ],
    );
    const dbPath = store.path!;
    // Acknowledged means journalled: another process reading the files now (no snapshot yet) sees them.
    const reading = await TraceStore.open({ path: dbPath, readOnly: true });
    assert.deepEqual(
      reading.getLogs('r-json').map((l) => l.body),
      ['started'],
    );
    await reading.close();
    await collector.close();
    await store.close();
    store = await TraceStore.open({ path: dbPath });
    collector = await Collector.start(store, { port: 0 });
    assert.deepEqual(
      store.getLogs('r-json').map((l) => [l.timeNs, l.severityNumber, l.body]),
      [[1700000000000000000n, 9, 'started']],
    );
  });

  it('says which field of a malformed body is wrong (400), in JSON and protobuf', async () => {
    const bad = await postJson(`${collector.endpoint}/v1/metrics`, {
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: [{ timeUnixNano: 'soon' }] } }] }] }],
    });
    assert.equal(bad.status, 400);
    assert.match(
      bad.body.toString(),
      /ExportMetricsServiceRequest: resourceMetrics\.0\.scopeMetrics\.0\.metrics\.0\.gauge\.dataPoints\.0\.timeUnixNano/,
    );
    const badLogs = await postJson(`${collector.endpoint}/v1/logs`, {
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: 'text' }] }] }],
    });
    assert.equal(badLogs.status, 400);
    assert.match(badLogs.body.toString(), /ExportLogsServiceRequest: resourceLogs\.0\.scopeLogs\.0\.logRecords\.0\.body: Expected object/);
    const garbage = await request(`${collector.endpoint}/v1/logs`, {
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]),
    });
    assert.equal(garbage.status, 400);
    assert.match(garbage.body.toString(), /not a protobuf ExportLogsServiceRequest/);
    assert.deepEqual(store.listRuns(), []);
  });

  it('refuses a request over the records-per-request limit whole (413) and a run past its room in part', async () => {
    const many = Array.from({ length: 51 }, (_, i) => ({ timeUnixNano: String(1e18 + i), body: { stringValue: `line ${i}` } }));
    const over = await postJson(`${collector.endpoint}/v1/logs`, logsBody([str('runlens.run_id', 'r-big')], many));
    assert.equal(over.status, 413);
    assert.match(over.body.toString(), /51 log records in one request; the limit is 50/);
    assert.equal(store.getRun('r-big'), undefined);

    const Request = protoRoot.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
    const points = Array.from({ length: 7 }, (_, i) => ({ timeUnixNano: 1e18 + i, asInt: i }));
    const body = Request.encode(
      Request.fromObject({
        resourceMetrics: [
          {
            resource: { attributes: [str('runlens.run_id', 'r-full')] },
            scopeMetrics: [
              {
                metrics: [
                  { name: 'n', sum: { dataPoints: points } },
                  { name: 'h', histogram: { dataPoints: [{}, {}] } },
                ],
              },
            ],
          },
        ],
      }),
    ).finish();
    const reply = await request(`${collector.endpoint}/v1/metrics`, {
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from(body),
    });
    assert.equal(reply.status, 200);
    const Response = protoRoot.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
    const partial = Response.decode(reply.body).partialSuccess;
    assert.equal(Number(partial.rejectedDataPoints), 4, 'two histogram points not stored, two points past the run’s room of 5');
    assert.match(partial.errorMessage, /histogram or summary data point\(s\) not stored.*a run holds at most 5 metric data points/);
    assert.deepEqual(
      store.getMetrics('r-full').map((s) => s.points.map((p) => p.value)),
      [[0, 1, 2, 3, 4]],
    );
  });

  it('gives records with neither run nor trace to the run of their service that was running then', async () => {
    store.apply({ runs: [{ id: 'early', name: 'e', source: 'otlp', workflow: 'svc', startNs: 100n, endNs: 200n }], spans: [] });
    store.apply({ runs: [{ id: 'late', name: 'l', source: 'otlp', workflow: 'svc', startNs: 300n, endNs: 400n }], spans: [] });
    const svc = [str('service.name', 'svc')];
    await postJson(`${collector.endpoint}/v1/logs`, logsBody(svc, [{ timeUnixNano: '150', body: { stringValue: 'in early' } }]));
    await postJson(`${collector.endpoint}/v1/logs`, logsBody(svc, [{ timeUnixNano: '900', body: { stringValue: 'after both' } }]));
    await postJson(
      `${collector.endpoint}/v1/logs`,
      logsBody([str('service.name', 'other')], [{ timeUnixNano: '5', body: { stringValue: 'alone' } }]),
    );
    assert.deepEqual(
      store.getLogs('early').map((l) => l.body),
      ['in early'],
    );
    assert.deepEqual(
      store.getLogs('late').map((l) => l.body),
      ['after both'],
    );
    const own = store.getRun('service:other');
    assert.equal(own?.workflow, 'other');
    assert.deepEqual(
      store.getLogs('service:other').map((l) => l.body),
      ['alone'],
    );
    store.deleteRun('early');
    assert.deepEqual(store.getLogs('early'), [], 'a deleted run’s records go with its file');
  });

  it('survives hostile input: huge bodies and attributes are cut, deep values refused, forged run ids kept apart', async () => {
    const huge = 'x'.repeat(50_000);
    const reply = await postJson(
      `${collector.endpoint}/v1/logs`,
      logsBody(
        [str('runlens.run_id', 'r-hostile')],
        [{ timeUnixNano: '1', body: { stringValue: huge }, attributes: Array.from({ length: 300 }, (_, i) => str(`k${i}`, huge)) }],
      ),
    );
    assert.equal(reply.status, 200);
    const [kept] = store.getLogs('r-hostile');
    assert.equal(kept!.body.length, store.limits.logBodyLength);
    assert.equal(kept!.attributes['runlens.body_length'], 50_000);
    assert.ok(Object.keys(kept!.attributes).length <= store.limits.attributesPerSpan + 1);
    assert.ok(Object.values(kept!.attributes).every((v) => typeof v !== 'string' || v.length <= store.limits.attrValueLength));

    let deep: object = { stringValue: 'bottom' };
    for (let i = 0; i < 100; i++) deep = { arrayValue: { values: [deep] } };
    const tooDeep = await postJson(`${collector.endpoint}/v1/logs`, logsBody([], [{ timeUnixNano: '1', body: deep }]));
    assert.equal(tooDeep.status, 400);
    assert.match(tooDeep.body.toString(), /nested more than/);

    const forged = await postJson(
      `${collector.endpoint}/v1/logs`,
      logsBody([str('runlens.run_id', 'r'.repeat(5000))], [{ timeUnixNano: '1', body: { stringValue: 'forged' } }]),
    );
    assert.deepEqual(JSON.parse(forged.body.toString()).partialSuccess.rejectedLogRecords, '1');
    assert.deepEqual(
      store.listRuns().map((r) => r.id),
      ['r-hostile'],
    );
  });
});
