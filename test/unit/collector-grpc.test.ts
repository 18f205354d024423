/**
 * OTLP/gRPC end to end: the real OpenTelemetry JS SDK's gRPC trace, log and metric exporters
 * send to a real GrpcReceiver on loopback, backed by a real store, and what they sent comes
 * back from the store as the OTLP/HTTP exporters' does. Then what a hostile or broken client
 * gets, with a raw grpc-js client: a message that does not decode, one too large (gzip or
 * not), an unknown service, a gzip-compressed export, and no way in from another address.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { TraceStore } from '../../src/core/store/store';
import { GrpcReceiver } from '../../src/core/collector/grpc';
import { encodeExportRequestProtobuf } from '../../src/core/ingest/otlp';
import { at, fixtureJson } from './helpers/fixtures';
import { assertSdkSpans } from './helpers/spans';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const protoRoot = require('@opentelemetry/otlp-transformer/build/src/generated/root');
const TRACES = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const bytes = (b: Uint8Array) => Buffer.from(b);

/** One unary call with a raw client: the reply's bytes, or the status it failed with. */
function call(client: grpc.Client, method: string, body: Uint8Array): Promise<{ reply?: Buffer; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, bytes, bytes, Buffer.from(body), (error, reply) =>
      resolve(error ? { error } : { reply: reply as Buffer }),
    );
  });
}

describe('OTLP/gRPC receiver', function () {
  this.timeout(30_000);
  let store: TraceStore;
  let receiver: GrpcReceiver;
  let client: grpc.Client;
  beforeEach(async () => {
    store = await TraceStore.open();
    receiver = await GrpcReceiver.start(store, { port: 0, limits: { bodyBytes: 64 * 1024, spansPerRequest: 3 } });
    client = new grpc.Client(`127.0.0.1:${receiver.port}`, grpc.credentials.createInsecure());
  });
  afterEach(async () => {
    client.close();
    await receiver.close();
    await store.close();
  });

  it('keeps what the real SDK gRPC exporters send: spans, log records joined to their span, gauges and counters', async () => {
    const { BasicTracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-grpc');
    const { LoggerProvider, SimpleLogRecordProcessor } = await import('@opentelemetry/sdk-logs');
    const { OTLPLogExporter } = await import('@opentelemetry/exporter-logs-otlp-grpc');
    const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-grpc');
    const { SeverityNumber } = await import('@opentelemetry/api-logs');
    const { Resource } = await import('@opentelemetry/resources');
    const { trace, context } = await import('@opentelemetry/api');
    const url = receiver.endpoint;
    const resource = new Resource({ 'service.name': 'grpc-check', 'runlens.run_id': 'rgrpc1' });
    const tracer = new BasicTracerProvider({
      resource,
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url }))],
    } as never);
    const logs = new LoggerProvider({ resource });
    logs.addLogRecordProcessor(new SimpleLogRecordProcessor(new OTLPLogExporter({ url })));
    const reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url }), exportIntervalMillis: 3_600_000 });
    const meters = new MeterProvider({ resource, readers: [reader] });

    const t = tracer.getTracer('grpc-test');
    const outer = t.startSpan('outer');
    const inner = t.startSpan('inner', {}, trace.setSpan(context.active(), outer));
    inner.setAttribute('answer', 42);
    inner.recordException(new Error('inner broke'));
    inner.setStatus({ code: 2, message: 'inner broke' });
    logs.getLogger('l').emit({
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body: 'retrying batch 2',
      attributes: { attempt: 2 },
      context: trace.setSpan(context.active(), inner),
    });
    inner.end();
    outer.end();
    const meter = meters.getMeter('m');
    meter.createCounter('rows.loaded', { unit: '{row}' }).add(41, { table: 'a' });
    meter.createObservableGauge('process.memory.rss', { unit: 'By' }).addCallback((r) => r.observe(1234.5));
    await tracer.forceFlush();
    await logs.forceFlush();
    await meters.forceFlush();

    const spans = store.getSpans('rgrpc1');
    const stored = assertSdkSpans(spans);
    assert.equal(stored.resource?.['service.name'], 'grpc-check');
    assert.deepEqual(
      store.getLogs('rgrpc1').map((l) => [l.body, l.severityNumber, l.severityText, l.spanId, l.traceId, l.attributes]),
      [['retrying batch 2', 13, 'WARN', stored.spanId, stored.traceId, { attempt: 2 }]],
    );
    assert.deepEqual(
      store.getMetrics('rgrpc1').map((s) => [s.name, s.unit, s.kind, s.monotonic, s.attributes, s.points.map((p) => p.value)]),
      [
        ['process.memory.rss', 'By', 'gauge', undefined, {}, [1234.5]],
        ['rows.loaded', '{row}', 'sum', true, { table: 'a' }, [41]],
      ],
    );
    assert.equal(receiver.stats.spans, 2);
    await Promise.all([tracer.shutdown(), logs.shutdown(), meters.shutdown()]);
  });

  it('answers a message that does not decode INVALID_ARGUMENT, saying why, and stores nothing', async () => {
    for (const method of [TRACES, '/opentelemetry.proto.collector.logs.v1.LogsService/Export']) {
      const { error } = await call(client, method, Buffer.from('this is not protobuf'));
      assert.equal(error?.code, grpc.status.INVALID_ARGUMENT, method);
      assert.match(error.details, /not a protobuf Export(Trace|Logs)ServiceRequest/);
    }
    assert.deepEqual(store.listRuns(), []);
  });

  it('answers a message over the size limit RESOURCE_EXHAUSTED, gzip bomb included', async () => {
    const big = await call(client, TRACES, Buffer.alloc(65 * 1024, 0x0a));
    assert.equal(big.error?.code, grpc.status.RESOURCE_EXHAUSTED);
    // 1 MiB that compresses to about 1 KiB: refused by its decompressed size.
    const zipped = new grpc.Client(`127.0.0.1:${receiver.port}`, grpc.credentials.createInsecure(), {
      'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
    });
    try {
      const bomb = await call(zipped, TRACES, Buffer.alloc(1024 * 1024, 0));
      assert.equal(bomb.error?.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(bomb.error.details, /decompresses to a size larger than 65536/);
    } finally {
      zipped.close();
    }
  });

  it('refuses an export of more spans than one request may hold INVALID_ARGUMENT, as HTTP refuses it 413', async () => {
    const request = fixtureJson<{ resourceSpans: { scopeSpans: { spans: object[] }[] }[] }>('otlp/agent-run.json');
    const scope = at(at(request.resourceSpans, 0).scopeSpans, 0);
    scope.spans = [0, 1].flatMap(() => scope.spans).map((s, i) => ({ ...s, spanId: `00000000000000a${i}` }));
    const { error } = await call(client, TRACES, encodeExportRequestProtobuf(request));
    assert.equal(error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(error.details, /4 spans in one request; the limit is 3/);
    assert.deepEqual(store.listRuns(), []);
  });

  it('reports spans the store refused as partial success in the ExportTraceServiceResponse', async () => {
    const small = await TraceStore.open({ limits: { spansPerRun: 1 } });
    const strict = await GrpcReceiver.start(small, { port: 0 });
    const to = new grpc.Client(`127.0.0.1:${strict.port}`, grpc.credentials.createInsecure());
    try {
      const { reply, error } = await call(to, TRACES, encodeExportRequestProtobuf(fixtureJson('otlp/agent-run.json')));
      assert.equal(error, undefined);
      const decoded = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse.decode(reply);
      assert.equal(Number(decoded.partialSuccess.rejectedSpans), 1);
      assert.match(decoded.partialSuccess.errorMessage, /a run holds at most 1 spans/);
      assert.equal(at(small.listRuns(), 0).spanCount, 1);
    } finally {
      to.close();
      await strict.close();
      await small.close();
    }
  });

  it('answers UNIMPLEMENTED for a service it does not serve', async () => {
    const { error } = await call(client, '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export', Buffer.alloc(0));
    assert.equal(error?.code, grpc.status.UNIMPLEMENTED);
  });

  it('takes a gzip-compressed export (grpc.default_compression_algorithm), fewer bytes on the wire than it holds', async () => {
    // A proxy that counts what the client sends proves the message crossed compressed.
    let sent = 0;
    const proxy = net.createServer((socket) => {
      const upstream = net.connect(receiver.port, '127.0.0.1');
      socket.on('data', (d) => (sent += d.length));
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const zipped = new grpc.Client(`127.0.0.1:${(proxy.address() as net.AddressInfo).port}`, grpc.credentials.createInsecure(), {
      'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
    });
    try {
      const request = fixtureJson<{ resourceSpans: { scopeSpans: { spans: { attributes?: object[] }[] }[] }[] }>('otlp/agent-run.json');
      const span = at(at(at(request.resourceSpans, 0).scopeSpans, 0).spans, 0);
      span.attributes = [...(span.attributes ?? []), { key: 'prompt', value: { stringValue: 'x'.repeat(40_000) } }];
      const body = encodeExportRequestProtobuf(request);
      const { error } = await call(zipped, TRACES, body);
      assert.equal(error, undefined);
      assert.ok(sent < body.length / 4, `${sent} bytes sent for a ${body.length}-byte message`);
      const run = at(store.listRuns(), 0);
      assert.equal(store.getSpans(run.id).find((s) => s.attributes.prompt !== undefined)?.attributes.prompt, 'x'.repeat(4096));
    } finally {
      zipped.close();
      proxy.close();
    }
  });

  it('listens on 127.0.0.1 only: the machine’s other addresses refuse the connection', async function () {
    const other = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === 'IPv4');
    if (!other) this.skip(); // a machine with loopback only has no other address to try
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect(receiver.port, other.address);
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    assert.equal(refused, 'ECONNREFUSED');
  });

  it('is no HTTP/1.1 server: a browser-style request gets no answer', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = http.request(
        { host: '127.0.0.1', port: receiver.port, method: 'POST', path: TRACES, headers: { 'content-type': 'application/grpc' } },
        (res) => resolve(`status ${res.statusCode}`),
      );
      req.on('error', () => resolve('refused'));
      req.end(zlib.gzipSync('x'));
    });
    assert.equal(outcome, 'refused');
    assert.deepEqual(store.listRuns(), []);
  });
});
