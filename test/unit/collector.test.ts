import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import { TraceStore } from '../../src/core/store/store';
import { Collector } from '../../src/core/collector';
import { encodeExportRequestProtobuf } from '../../src/core/ingest/otlp';
import { fixtureJson, at } from './helpers/fixtures';
import { postJson, request } from './helpers/http';
import { assertSdkSpans } from './helpers/spans';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const protoRoot = require('@opentelemetry/otlp-transformer/build/src/generated/root');

describe('OTLP/HTTP collector', () => {
  let store: TraceStore;
  let collector: Collector;
  beforeEach(async () => {
    store = await TraceStore.open();
    collector = await Collector.start(store, { port: 0, maxBodyBytes: 64 * 1024 });
  });
  afterEach(async () => {
    await collector.close();
    await store.close();
  });

  it('stores an OTLP/JSON export and answers with an empty ExportTraceServiceResponse', async () => {
    const reply = await postJson(`${collector.endpoint}/v1/traces`, fixtureJson('otlp/agent-run.json'));
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body.toString()), {});
    const run = at(store.listRuns(), 0);
    assert.equal(run.name, 'support-agent: agent.run');
    assert.equal(run.status, 'FAILED', 'an attached run fails when one of its spans did');
    assert.equal(store.getSpans(run.id).length, 2);
  });

  it('stores a protobuf export and answers in protobuf', async () => {
    const body = Buffer.from(encodeExportRequestProtobuf(fixtureJson('otlp/agent-run.json')));
    const reply = await request(`${collector.endpoint}/v1/traces`, { headers: { 'content-type': 'application/x-protobuf' }, body });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/x-protobuf');
    const decoded = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse.decode(reply.body);
    assert.equal(decoded.partialSuccess, null);
    assert.equal(at(store.listRuns(), 0).spanCount, 2);
  });

  it('accepts gzip-compressed bodies', async () => {
    const body = zlib.gzipSync(JSON.stringify(fixtureJson('otlp/agent-run.json')));
    const reply = await request(`${collector.endpoint}/v1/traces`, {
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body,
    });
    assert.equal(reply.status, 200);
    assert.equal(store.listRuns().length, 1);
  });

  it('reports rejected spans as partial_success with a count and a message', async () => {
    const reply = await postJson(`${collector.endpoint}/v1/traces`, fixtureJson('otlp/base64-ids.json'));
    assert.equal(reply.status, 200);
    const body = JSON.parse(reply.body.toString());
    assert.equal(body.partialSuccess.rejectedSpans, '1');
    assert.match(body.partialSuccess.errorMessage, /traceId/);
    assert.equal(at(store.listRuns(), 0).spanCount, 1);
  });

  it('answers 400 with a reason for malformed JSON, a non-OTLP shape and broken protobuf, storing nothing', async () => {
    const bad = await request(`${collector.endpoint}/v1/traces`, {
      headers: { 'content-type': 'application/json' },
      body: '{"resourceSpans": [',
    });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body.toString()).message, /not JSON/);
    const shape = await postJson(`${collector.endpoint}/v1/traces`, { resourceSpans: [{ scopeSpans: 'x' }] });
    assert.equal(shape.status, 400);
    const pb = await request(`${collector.endpoint}/v1/traces`, {
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from([0x0a, 0xff, 0xff, 0xff]),
    });
    assert.equal(pb.status, 400);
    const gz = await request(`${collector.endpoint}/v1/traces`, {
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'not gzip',
    });
    assert.equal(gz.status, 400);
    assert.equal(store.listRuns().length, 0);
  });

  it('answers 413 for bodies over the limit, declared or streamed, and for gzip bombs', async () => {
    const big = JSON.stringify({ resourceSpans: [], pad: 'x'.repeat(70 * 1024) });
    const declared = await request(`${collector.endpoint}/v1/traces`, { headers: { 'content-type': 'application/json' }, body: big });
    assert.equal(declared.status, 413);
    const bomb = zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    const inflated = await request(`${collector.endpoint}/v1/traces`, {
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bomb,
    });
    assert.equal(inflated.status, 413);
  });

  it('answers 415 for other content types and 404 for other paths (an OTLP signal it does not keep, such as profiles)', async () => {
    const text = await request(`${collector.endpoint}/v1/traces`, { headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(text.status, 415);
    const other = await postJson(`${collector.endpoint}/v1/profiles`, {});
    assert.equal(other.status, 404);
  });

  it('binds 127.0.0.1 only', async () => {
    assert.equal(collector.host, '127.0.0.1');
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return; // no other interface to try; the listen address was asserted above
    await assert.rejects(
      new Promise((resolve, reject) => {
        const sock = net.connect(collector.port, external.address, () => resolve(sock.end()));
        sock.on('error', reject);
      }),
      /ECONNREFUSED/,
    );
  });

  it('falls back to an ephemeral port when the wanted one is taken, and says so', async () => {
    const messages: string[] = [];
    const second = await Collector.start(store, { port: collector.port, log: (m) => messages.push(m) });
    try {
      assert.notEqual(second.port, collector.port);
      assert.equal(second.fellBack, true);
      assert.match(messages.join('\n'), new RegExp(`port ${collector.port} is taken`));
    } finally {
      await second.close();
    }
  });

  it('takes Runlens span events over HTTP into the run named by x-runlens-run-id', async () => {
    const lines = ['{"runlens":"start","span_id":"1111111111111111","name":"tail-step"}', 'not an event'].join('\n');
    const reply = await request(`${collector.endpoint}/runlens/v1/events`, {
      headers: { 'content-type': 'application/x-ndjson', 'x-runlens-run-id': 'rhttp1', 'x-runlens-token': collector.token },
      body: lines,
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body.toString()), { accepted: 1, ignoredLines: 1, unreadableLines: 0 });
    assert.equal(at(store.getSpans('rhttp1'), 0).status, 'RUNNING');
    await request(`${collector.endpoint}/runlens/v1/events`, {
      headers: { 'content-type': 'application/x-ndjson', 'x-runlens-run-id': 'rhttp1', 'x-runlens-token': collector.token },
      body: '{"runlens":"end","span_id":"1111111111111111"}',
    });
    assert.equal(at(store.getSpans('rhttp1'), 0).status, 'OK');
  });

  it('counts an events line it cannot read as a notice on the run and reads the lines after it', async () => {
    const headers = { 'content-type': 'application/x-ndjson', 'x-runlens-run-id': 'rhttp2', 'x-runlens-token': collector.token };
    const lines = [
      '{"trace_id":"t-1","pipeline_status":"SUCCESS","started_at":"2024-11-07T10:00:00Z","steps":[{"status":5}]}',
      '{"runlens":"start","span_id":"2222222222222222","name":"after"}',
    ].join('\n');
    const reply = await request(`${collector.endpoint}/runlens/v1/events`, { headers, body: lines });
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.body.toString()).unreadableLines, 1);
    assert.equal(store.getSpans('rhttp2')[0]?.name, 'after');
    assert.match(
      store
        .getOutput('rhttp2')
        .map((o) => o.text)
        .join('\n'),
      /line 1: .*ignored/,
    );
    assert.equal(store.getRun('rhttp2')!.attributes['runlens.unreadable_lines'], 1);
  });

  it('keeps an attached trace RUNNING while a span waits for its parent, and ends it when the root arrives', async () => {
    const trace = 'ab'.repeat(16);
    const span = (id: string, name: string, parent?: string) => ({
      traceId: trace,
      spanId: id.repeat(16),
      ...(parent ? { parentSpanId: parent.repeat(16) } : {}),
      name,
      startTimeUnixNano: '1000',
      endTimeUnixNano: '2000',
    });
    const body = (...spans: object[]) => ({
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'live' } }] }, scopeSpans: [{ spans }] }],
    });
    await postJson(`${collector.endpoint}/v1/traces`, body(span('2', 'child', '1')));
    assert.equal(store.listRuns()[0]?.status, 'RUNNING', 'the child ended, its parent has not');
    await postJson(`${collector.endpoint}/v1/traces`, body(span('1', 'root')));
    assert.equal(store.listRuns()[0]?.status, 'SUCCESS');
  });

  it('takes an attached trace whose parent never comes (a remote parent) as finished once it goes quiet', async () => {
    const quiet = await Collector.start(store, { port: 0, settleIdleMs: 100 });
    try {
      const s = {
        traceId: 'cd'.repeat(16),
        spanId: '3'.repeat(16),
        parentSpanId: '9'.repeat(16),
        name: 'handler',
        startTimeUnixNano: '1000',
        endTimeUnixNano: '2000',
        status: { code: 2 },
      };
      await postJson(`${quiet.endpoint}/v1/traces`, { resourceSpans: [{ scopeSpans: [{ spans: [s] }] }] });
      assert.equal(store.listRuns()[0]?.status, 'RUNNING');
      const changed = new Promise<void>((resolve) => store.onChange((c) => c.type === 'runs' && resolve()));
      await changed;
      assert.equal(store.listRuns()[0]?.status, 'FAILED', 'settled from its spans: the handler failed');
    } finally {
      await quiet.close();
    }
  });

  it('validates a forwarded Runlens batch before writing: a bad span is a 400 naming the field, and nothing of the batch is stored', async () => {
    const run = { id: 'rfwd1', name: 'fwd', status: 'RUNNING', source: 'launch', startNs: { '\u0000n': '1' }, attributes: {} };
    const bad = {
      runs: [run],
      spans: [
        {
          runId: 'rfwd1',
          traceId: 'zz',
          spanId: '1111111111111111',
          name: 's',
          kind: 1,
          startNs: { '\u0000n': '1' },
          status: 'OK',
          attributes: {},
          events: [],
        },
      ],
    };
    const reply = await request(`${collector.endpoint}/runlens/v1/batch`, {
      headers: { 'content-type': 'application/json', 'x-runlens-token': collector.token },
      body: JSON.stringify(bad),
    });
    assert.equal(reply.status, 400);
    assert.match(reply.body.toString(), /spans\.0\.traceId/);
    assert.deepEqual(store.listRuns(), []);
  });

  it('receives spans from the real OpenTelemetry JS SDK with its protobuf exporter', async () => {
    const { BasicTracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    const { Resource } = await import('@opentelemetry/resources');
    const provider = new BasicTracerProvider({
      resource: new Resource({ 'service.name': 'sdk-check', 'runlens.run_id': 'rsdk1' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.endpoint}/v1/traces` }))],
    } as never);
    const { trace, context } = await import('@opentelemetry/api');
    const tracer = provider.getTracer('collector-test');
    const outer = tracer.startSpan('outer');
    const inner = tracer.startSpan('inner', {}, trace.setSpan(context.active(), outer));
    inner.setAttribute('answer', 42);
    inner.recordException(new Error('inner broke'));
    inner.setStatus({ code: 2, message: 'inner broke' });
    inner.end();
    outer.end();
    await provider.forceFlush();
    await provider.shutdown();
    assertSdkSpans(store.getSpans('rsdk1'));
  });
});
